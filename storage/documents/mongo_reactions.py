"""Reactions and pinned messages on MongoDB.

A reaction is a document of ``reactions`` (its ``_id`` names the message, the person and the emoji,
so a repeat is refused by the key); the message carries its counts, recounted after the reaction
is written and stored with the room's next ``rev`` on the condition that the message did not change
since it was read (else it is read and recounted again): the last recount stored is never older
than the last reaction written. A room's pins are counted before a pin is stored: two teachers
pinning at the same moment may pass the cap by one.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from rooms.audit_models import AuditEntry
from rooms.chat_models import Message
from rooms.classroom_models import ReactionCount
from rooms.errors import Conflict
from storage.documents.mongo_base import load, translated
from storage.documents.mongo_chat import ChatCollections

_ATTEMPTS = 8


def _key(message_id: str, user_id: str, emoji: str) -> str:
    return json.dumps([message_id, user_id, emoji])


class ReactionCollections(ChatCollections):  # changes go through ChatCollections.save_change
    async def _counts(self, message_id: str) -> list[ReactionCount]:
        """A message's counts as the reactions have them now: by first reaction, then emoji."""
        cursor = await self._c("reactions").aggregate([
            {"$match": {"message_id": message_id}},
            {"$group": {"_id": "$emoji", "count": {"$sum": 1}, "first": {"$min": "$at"}}}])
        groups = await cursor.to_list(None)
        groups.sort(key=lambda g: (g["first"], g["_id"]))
        return [ReactionCount(emoji=g["_id"], count=int(g["count"])) for g in groups]

    async def _recount(self, room_id: str, message_id: str, live: bool) -> Message | None:
        """Store the message with its counts recounted, its next rev; None when it is gone (or not live)."""
        where: dict[str, Any] = {"_id": message_id, "room_id": room_id, **({"deleted": False} if live else {})}
        for _ in range(_ATTEMPTS):
            record = await self._c("messages").find_one(where)
            if record is None:
                return None
            current = load(Message, record)
            counted = current.model_copy(update={"reactions": await self._counts(message_id)})
            guard = {**({"deleted": False} if live else {}), "rev": current.rev}
            saved = await self.save_change(counted, guard)
            if saved is not None:
                return saved
        raise RuntimeError(f"message {message_id}: changed under every recount")  # pragma: no cover

    @translated
    async def react(self, room_id: str, message_id: str, user_id: str, emoji: str, on: bool,
                    at: str) -> tuple[Message, bool] | None:
        record = await self._c("messages").find_one({"_id": message_id, "room_id": room_id, "deleted": False})
        if record is None:
            return None
        message = load(Message, record)
        reactions = self._c("reactions")
        if on:
            try:
                await reactions.insert_one({"_id": _key(message_id, user_id, emoji), "room_id": room_id,
                                            "message_id": message_id, "project_id": message.project_id,
                                            "user_id": user_id, "emoji": emoji, "at": at})
            except DuplicateKeyError:
                return message, False
        else:
            result = await reactions.delete_one({"_id": _key(message_id, user_id, emoji)})
            if not result.deleted_count:
                return message, False
        saved = await self._recount(room_id, message_id, live=True)
        return (saved, True) if saved is not None else None

    @translated
    async def reactions_of(self, room_id: str, message_id: str) -> list[tuple[str, str]]:
        records = await (self._c("reactions").find({"message_id": message_id, "room_id": room_id})
                         .sort([("at", ASCENDING), ("_id", ASCENDING)]).to_list(None))
        return [(r["emoji"], r["user_id"]) for r in records]

    @translated
    async def my_reactions(self, room_id: str, user_id: str, message_ids: list[str]) -> dict[str, list[str]]:
        if not message_ids:
            return {}
        records = await (self._c("reactions").find({"room_id": room_id, "user_id": user_id,
                                                     "message_id": {"$in": message_ids}})
                         .sort([("at", ASCENDING), ("_id", ASCENDING)]).to_list(None))
        mine: dict[str, list[str]] = defaultdict(list)
        for r in records:
            mine[r["message_id"]].append(r["emoji"])
        return dict(mine)

    @translated
    async def erase_reactions(self, project_id: str, user_id: str, at: str, limit: int) -> int:
        reactions = self._c("reactions")
        records = await reactions.find({"user_id": user_id, "project_id": project_id}).limit(limit).to_list(None)
        if not records:
            return 0
        await reactions.delete_many({"_id": {"$in": [r["_id"] for r in records]}})
        for room_id, message_id in dict.fromkeys((r["room_id"], r["message_id"]) for r in records):
            await self._recount(room_id, message_id, live=False)  # tombstones keep counts right too
        return len(records)

    @translated
    async def pin_message(self, room_id: str, message_id: str, pinned: bool, by: str, at: str, max_pins: int,
                          *, audit: AuditEntry | None = None) -> Message | None:
        messages = self._c("messages")
        for _ in range(_ATTEMPTS):
            record = await messages.find_one({"_id": message_id, "room_id": room_id, "deleted": False})
            if record is None:
                return None
            current = load(Message, record)
            if current.pinned == pinned:  # already so: nothing to store or record
                return current
            if pinned and await messages.count_documents(
                    {"room_id": room_id, "pinned_at": {"$ne": None}, "deleted": False}) >= max_pins:
                raise Conflict("chat.pins_full", max=max_pins)
            changes = {"pinned": pinned, "pinned_by": by if pinned else None, "pinned_at": at if pinned else None}
            saved = await self.save_change(current.model_copy(update=changes), {"deleted": False, "rev": current.rev},
                                           audit)
            if saved is not None:
                return saved
        return None  # pragma: no cover - eight changes landed in between

    @translated
    async def pinned_messages(self, room_id: str) -> list[Message]:
        records = await (self._c("messages").find({"room_id": room_id, "pinned_at": {"$ne": None}, "deleted": False})
                         .sort([("pinned_at", -1), ("rev", -1)]).to_list(None))
        return [load(Message, r) for r in records]
