"""Chat messages, per-room sequences and read markers on MongoDB.

``seq`` comes from a per-room counter (``find_one_and_update`` with
``$inc``). Idempotency is the unique index on (room, author, client_id): a
retry that races the first send past the existence check loses on that
index, and the seq it drew is filled with a tombstone so the room's
sequence never has a hole.
"""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from rooms.chat_models import Message
from rooms.models import Project
from storage.documents.mongo_base import MongoBase, doc_set, dump, load, translated

EXPIRE_BATCH = 500  # messages per retention step


class ChatCollections(MongoBase):
    def _record(self, message: Message) -> dict[str, Any]:
        return {"_id": message.id, "room_id": message.room_id, "seq": message.seq, "project_id": message.project_id,
                "author_id": message.author_id, "client_id": message.client_id, "created_at": message.created_at,
                "deleted": message.deleted, "doc": dump(message)}

    @translated
    async def append_message(self, message: Message) -> tuple[Message, bool]:
        earlier = await self.find_message(message.room_id, message.author_id, message.client_id)
        if earlier is not None:
            return earlier, False
        stored = message.model_copy(update={"seq": await self._next(f"room:{message.room_id}")})
        try:
            await self._c("messages").insert_one(self._record(stored))
        except DuplicateKeyError:
            filler = stored.model_copy(update={"id": f"{stored.id}_void", "client_id": f"void:{stored.seq}",
                                               "text": None, "deleted": True, "deleted_by": "retry",
                                               "attachments": []})
            await self._c("messages").insert_one(self._record(filler))
            winner = await self.find_message(message.room_id, message.author_id, message.client_id)
            assert winner is not None
            return winner, False
        await self._advance_read(stored.room_id, stored.author_id, stored.seq)
        return stored, True

    @translated
    async def find_message(self, room_id: str, author_id: str, client_id: str) -> Message | None:
        record = await self._c("messages").find_one({"room_id": room_id, "author_id": author_id,
                                                     "client_id": client_id})
        return load(Message, record) if record else None

    @translated
    async def get_message(self, room_id: str, message_id: str) -> Message | None:
        record = await self._c("messages").find_one({"_id": message_id, "room_id": room_id})
        return load(Message, record) if record else None

    @translated
    async def messages_after(self, room_id: str, after_seq: int, limit: int) -> list[Message]:
        records = await (self._c("messages").find({"room_id": room_id, "seq": {"$gt": after_seq}})
                         .sort([("seq", ASCENDING)]).limit(limit).to_list(None))
        return [load(Message, r) for r in records]

    @translated
    async def messages_before(self, room_id: str, before_seq: int | None, limit: int) -> list[Message]:
        query: dict[str, Any] = {"room_id": room_id}
        if before_seq is not None:
            query["seq"] = {"$lt": before_seq}
        records = await self._c("messages").find(query).sort([("seq", DESCENDING)]).limit(limit).to_list(None)
        return [load(Message, r) for r in reversed(records)]

    async def _update(self, room_id: str, message_id: str, changes: dict[str, Any]) -> Message | None:
        top = {"deleted": changes["deleted"]} if "deleted" in changes else {}
        record = await self._c("messages").find_one_and_update(
            {"_id": message_id, "room_id": room_id, "deleted": False}, {"$set": {**top, **doc_set(changes)}},
            return_document=ReturnDocument.AFTER)
        return load(Message, record) if record else None

    @translated
    async def edit_message(self, room_id: str, message_id: str, text: str, at: str) -> Message | None:
        return await self._update(room_id, message_id, {"text": text, "edited_at": at})

    @translated
    async def delete_message(self, room_id: str, message_id: str, by: str, at: str) -> Message | None:
        return await self._update(room_id, message_id, {"text": None, "deleted": True, "deleted_by": by,
                                                        "edited_at": at})

    @translated
    async def last_seq(self, room_id: str) -> int:
        return await self._peek(f"room:{room_id}")

    @translated
    async def read_marker(self, room_id: str, user_id: str) -> int:
        record = await self._c("read_markers").find_one({"_id": f"{room_id}:{user_id}"})
        return int(record["seq"]) if record else 0

    async def _advance_read(self, room_id: str, user_id: str, seq: int) -> int:
        record = await self._c("read_markers").find_one_and_update(
            {"_id": f"{room_id}:{user_id}"}, {"$max": {"seq": seq}}, upsert=True,
            return_document=ReturnDocument.AFTER)
        return int(record["seq"])

    @translated
    async def mark_read(self, room_id: str, user_id: str, seq: int) -> int:
        return await self._advance_read(room_id, user_id, seq)

    @translated
    async def set_chat_retention(self, project_id: str, days: int | None, at: str) -> Project | None:
        record = await self._c("projects").find_one_and_update(
            {"_id": project_id},
            {"$set": {"chat_retention_days": days, **doc_set({"chat_retention_days": days, "updated_at": at})}},
            return_document=ReturnDocument.AFTER)
        return load(Project, record) if record else None

    @translated
    async def projects_with_retention(self, after_id: str, limit: int) -> list[Project]:
        records = await (self._c("projects").find({"chat_retention_days": {"$ne": None}, "_id": {"$gt": after_id}})
                         .sort([("_id", ASCENDING)]).limit(limit).to_list(None))
        return [load(Project, r) for r in records]

    @translated
    async def expire_messages(self, project_id: str, created_before: str, at: str) -> int:
        expired = 0
        while True:
            batch = await (self._c("messages").find({"project_id": project_id, "created_at": {"$lt": created_before},
                                                     "deleted": False}, {"_id": 1}).limit(EXPIRE_BATCH).to_list(None))
            if batch:
                await self._c("messages").update_many(
                    {"_id": {"$in": [r["_id"] for r in batch]}},
                    {"$set": {"deleted": True, **doc_set({"text": None, "deleted": True, "deleted_by": "retention",
                                                          "edited_at": at})}})
            expired += len(batch)
            if len(batch) < EXPIRE_BATCH:
                return expired
