"""Polls and their votes on MongoDB.

Each person's vote is a document of ``poll_votes`` (``_id`` message id and user id), replaced
atomically (``find_one_and_update`` returning the vote before, or ``find_one_and_delete`` to take it
back): the swap says which choices the person had, so the counts on the message move from those
to the new ones, without counting the other votes again. The message is then saved with the
room's next ``rev`` on the condition that it is still at the ``rev`` the counts were computed from
(:meth:`ChatCollections.save_change` with a guard); when another vote landed in between, the
message is read again and the move applied to it: two votes at once never lose a count.

Without a transaction, two steps remain: a vote that finds the poll closed between its swap and
its count puts the person's earlier vote back and is refused; a write cut off between the swap
and the count (the connection lost) leaves that one vote uncounted on the message, until the
person votes again.
"""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, ReturnDocument

from rooms.audit_models import AuditEntry
from rooms.chat_models import Message
from rooms.errors import Conflict
from rooms.polls import closed, tally
from storage.documents.mongo_base import load, translated
from storage.documents.mongo_chat import ChatCollections

_RETRIES = 16  # votes landing in between, each a retry: far more than a classroom casts at one instant


def _key(message_id: str, user_id: str) -> str:
    return f"{message_id}:{user_id}"


class PollCollections(ChatCollections):  # changes go through ChatCollections.save_change
    async def _live_poll(self, room_id: str, message_id: str) -> Message | None:
        record = await self._c("messages").find_one({"_id": message_id, "room_id": room_id, "deleted": False})
        message = load(Message, record) if record is not None else None
        return message if message is not None and message.poll is not None else None

    async def _count(self, message: Message, before: list[int], after: list[int], *,
                     refuse_closed: bool) -> Message | None:
        """Move the counts of ``message`` from ``before`` to ``after``, guarded on its ``rev``, read again
        and retried when another change landed first. None when it is no longer a live poll;
        ``Conflict("chat.poll_closed")`` when it closed meanwhile (``refuse_closed``)."""
        current: Message | None = message
        for _ in range(_RETRIES):
            if current is None or current.poll is None:
                return None
            if refuse_closed and current.poll.closed:
                raise Conflict("chat.poll_closed")
            guard: dict[str, Any] = {"deleted": False, "rev": current.rev}
            saved = await self.save_change(tally(current, before, after), guard)
            if saved is not None:
                return saved
            current = await self._live_poll(message.room_id, message.id)
        raise RuntimeError(f"poll {message.id}: too many changes at once")  # pragma: no cover

    async def _swap(self, message: Message, user_id: str, choices: list[int], at: str) -> list[int]:
        """Replace one person's vote (an empty list deletes it); their choices before."""
        votes = self._c("poll_votes")
        key = _key(message.id, user_id)
        if choices:
            previous = await votes.find_one_and_update(
                {"_id": key},
                {"$set": {"room_id": message.room_id, "message_id": message.id, "project_id": message.project_id,
                          "user_id": user_id, "choices": choices, "at": at}},
                upsert=True, return_document=ReturnDocument.BEFORE)
        else:
            previous = await votes.find_one_and_delete({"_id": key})
        return [int(i) for i in previous["choices"]] if previous else []

    async def _put_back(self, message: Message, user_id: str, before: list[int], at: str) -> None:
        await self._swap(message, user_id, before, at)

    @translated
    async def vote(self, room_id: str, message_id: str, user_id: str, choices: list[int],
                   at: str) -> tuple[Message, list[int]] | None:
        message = await self._live_poll(room_id, message_id)
        if message is None:
            return None
        assert message.poll is not None
        if message.poll.closed:
            raise Conflict("chat.poll_closed")
        before = await self._swap(message, user_id, choices, at)
        if before == choices:  # the same vote again: nothing changes, no rev
            return message, choices
        try:
            counted = await self._count(message, before, choices, refuse_closed=True)
        except Conflict:
            await self._put_back(message, user_id, before, at)  # closed in between: the vote is refused
            raise
        return (counted, choices) if counted is not None else None

    @translated
    async def close_poll(self, room_id: str, message_id: str, at: str, *,
                         audit: AuditEntry | None = None) -> Message | None:
        for _ in range(_RETRIES):
            message = await self._live_poll(room_id, message_id)
            if message is None or message.poll is None or message.poll.closed:
                return None  # closed already (by hand, or by another instance's sweep)
            saved = await self.save_change(closed(message, at), {"deleted": False, "rev": message.rev}, audit)
            if saved is not None:
                return saved
        raise RuntimeError(f"poll {message_id}: too many changes at once")  # pragma: no cover

    @translated
    async def polls_due(self, at: str, limit: int) -> list[Message]:
        records = await (self._c("messages").find({"poll_closes_at": {"$ne": None, "$lte": at}})
                         .sort([("poll_closes_at", ASCENDING)]).limit(limit).to_list(None))
        return [load(Message, r) for r in records]

    @translated
    async def poll_votes(self, room_id: str, message_id: str) -> list[tuple[str, list[int]]]:
        records = await (self._c("poll_votes").find({"message_id": message_id, "room_id": room_id})
                         .sort([("at", ASCENDING), ("_id", ASCENDING)]).to_list(None))
        return [(r["user_id"], [int(i) for i in r["choices"]]) for r in records]

    @translated
    async def my_votes(self, room_id: str, user_id: str, message_ids: list[str]) -> dict[str, list[int]]:
        if not message_ids:
            return {}
        records = await self._c("poll_votes").find(
            {"_id": {"$in": [_key(m, user_id) for m in message_ids]}, "room_id": room_id}).to_list(None)
        return {r["message_id"]: [int(i) for i in r["choices"]] for r in records}

    @translated
    async def erase_votes(self, project_id: str, user_id: str, at: str, limit: int) -> int:
        votes = self._c("poll_votes")
        records = await votes.find({"project_id": project_id, "user_id": user_id}).limit(limit).to_list(None)
        for record in records:
            previous = await votes.find_one_and_delete({"_id": record["_id"]})
            if previous is None:
                continue  # taken back meanwhile: its count went with it
            message = await self._live_poll(record["room_id"], record["message_id"])
            if message is not None:  # closed ones too: the person's choices go
                await self._count(message, [int(i) for i in previous["choices"]], [], refuse_closed=False)
        return len(records)
