"""Chat messages, per-room sequences and read markers on MongoDB.

``seq`` comes from a per-room counter (``find_one_and_update`` with
``$inc``). Idempotency is the unique index on (room, author, client_id): a
retry that races the first send past the existence check loses on that
index, and the seq it drew is filled with a tombstone so the room's
sequence never has a hole.

A send with attachments goes: existence check, claim the files (see
``mongo_files``), draw the seq, insert. The claim comes before the seq so
that a claim that loses costs no seq; an insert that fails (and did not
land) releases the claims and fills its seq with a tombstone, as the lost
race does. A chat claim carries its send's key (room, author, client_id):
a retry of a send that died between its claim and its insert takes the
claim over, so the retry converges. If the first send was in fact still
under way and stores its message first, the retry loses on the unique
index and hands the files it took back to that message. What remains:
a retry that loses its claim to the first send while that one is between
its claim and its insert is refused (``file.not_attachable``), and the next
retry gets the stored message.

Change numbers (``rev``) come from a second per-room counter. A change draws
its ``rev``, then writes the message with it, on the condition that the
message's ``rev`` is still below (a later change landed first: draw again),
so a message's ``rev`` only grows. Unlike SQLite, drawing and writing are two
operations: two changes to different messages of one room, on two instances
at the same millisecond, may land in the other order, and a client fetching
the change feed exactly between them would see the later one first and miss
the earlier until that message changes again (the earlier one's push still
reaches connected clients, which keep a message's state with the highest
``rev``). The window is the time between the draw and the write.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from rooms.audit_models import AuditEntry
from rooms.chat_models import Message
from rooms.classroom_models import Written
from rooms.errors import NotAttachable
from rooms.file_models import Attachment
from storage.documents.mongo_base import doc_set, dump, load, translated
from storage.documents.mongo_files import claim, insert_item, release
from storage.documents.mongo_search import SearchEntries, attached_fields, message_entry


def _where(message: Message) -> Attachment:
    return Attachment(kind="message", id=message.id, space_id=message.room_id)


def _send_key(message: Message) -> str:
    """What a retry of this send has in common with it: the idempotency key, as one string."""
    return json.dumps([message.room_id, message.author_id, message.client_id])


def rev_counter(room_id: str) -> str:
    """The counter of a room's change numbers."""
    return f"rev:{room_id}"


def message_fields(message: Message) -> dict[str, Any]:
    """The indexed fields that follow a message's document: rev, pinned_at, an open poll's closing time."""
    poll = message.poll
    closes = poll.closes_at if poll is not None and not poll.closed and not message.deleted else None
    return {"rev": message.rev, "pinned_at": message.pinned_at if message.pinned else None, "poll_closes_at": closes,
            "deleted": message.deleted}


class ChatCollections(SearchEntries):  # the audit entries of its writes follow them
    def _record(self, message: Message, mention_ids: tuple[str, ...] = ()) -> dict[str, Any]:
        return {"_id": message.id, "room_id": message.room_id, "seq": message.seq, "project_id": message.project_id,
                "author_id": message.author_id, "client_id": message.client_id, "created_at": message.created_at,
                "mention_ids": list(mention_ids), **message_fields(message), "doc": dump(message)}

    async def next_rev(self, room_id: str) -> int:
        return await self._next(rev_counter(room_id))

    async def save_change(self, message: Message, guard: dict[str, Any] | None = None,
                          audit: AuditEntry | None = None) -> Message | None:
        """Store ``message`` changed, with the room's next ``rev``; None when no live message matches ``guard``
        (by default: the same id, not deleted). Drawn again when a later change landed first."""
        messages = self._c("messages")
        where = {"_id": message.id, "room_id": message.room_id, **(guard if guard is not None else {"deleted": False})}
        for _ in range(8):
            changed = message.model_copy(update={"rev": await self.next_rev(message.room_id)})
            result = await messages.update_one({**where, "$or": [{"rev": {"$lt": changed.rev}}, {"rev": None}]},
                                               {"$set": {**message_fields(changed), "doc": dump(changed)}})
            if result.matched_count:
                await self._index("message", changed.id, message_entry(changed))
                await self._insert_audit(audit)
                return changed
            if await messages.count_documents(where, limit=1) == 0:
                return None
        raise RuntimeError(f"message {message.id}: could not take a change number")  # pragma: no cover

    @translated
    async def append_message(self, message: Message, mention_ids: tuple[str, ...] = ()) -> tuple[Message, bool]:
        earlier = await self.find_message(message.room_id, message.author, message.client_id)
        if earlier is not None:  # a retry: index it again (its first send may have died before its entry)
            await self._index("message", earlier.id, message_entry(earlier))
            return earlier, False
        files = self._c("files")
        try:
            claimed = await claim(files, message.attachments, message.author, _where(message),
                                  _send_key(message)) if message.attachments else []
        except NotAttachable:
            winner = await self.find_message(message.room_id, message.author, message.client_id)
            if winner is None:
                raise
            return winner, False  # the first send of this retry stored its message (with these files) meanwhile
        # From here, a failure releases the claims, but a cancelled send leaves them to its retry (which
        # takes them over): it may have been cancelled after its insert landed.
        try:
            stored = message.model_copy(update={"seq": await self._next(f"room:{message.room_id}"),
                                                "rev": await self.next_rev(message.room_id)})
        except Exception:
            await release(files, claimed, message.id)
            raise
        try:
            await insert_item(self._c("messages"), self._record(stored, mention_ids))
        except DuplicateKeyError:
            await self._fill(stored)
            winner = await self.find_message(message.room_id, message.author, message.client_id)
            assert winner is not None
            await self._hand_over(claimed, message.id, winner)
            return winner, False
        except Exception:
            try:
                await release(files, claimed, message.id)
            finally:
                await self._fill(stored)
            raise
        await self._index("message", stored.id, message_entry(stored))
        await self._index_claimed(claimed, attached_fields("message", stored.room_id))
        await self._advance_read(stored.room_id, stored.author, stored.seq)
        return stored, True

    async def _fill(self, drawn: Message) -> None:
        """Fill a drawn seq that no message will have with a tombstone: the sequence stays gap-free."""
        filler = drawn.model_copy(update={"id": f"{drawn.id}_void", "client_id": f"void:{drawn.seq}",
                                          "text": None, "deleted": True, "deleted_by": "retry", "attachments": []})
        try:
            await self._c("messages").insert_one(self._record(filler))
        except DuplicateKeyError:  # the seq is taken after all: a failed insert that MongoDB applied late
            record = await self._c("messages").find_one({"room_id": drawn.room_id, "seq": drawn.seq})
            if record is not None:  # index what holds the seq as it is (a tombstone has no entry)
                held = load(Message, record)
                await self._index("message", held.id, message_entry(held))

    async def _hand_over(self, claimed: list[str], loser_id: str, winner: Message) -> None:
        """A send lost to its own earlier copy: the files it claimed go to the stored message, or back."""
        listed = {ref.id for ref in winner.attachments}
        files = self._c("files")
        ours = [f for f in claimed if f in listed]
        if ours:
            await files.update_many({"_id": {"$in": ours}, "doc.attached_to.id": loser_id},
                                    {"$set": doc_set({"attached_to": _where(winner)})})
        await release(files, [f for f in claimed if f not in listed], loser_id)

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

    async def _update(self, room_id: str, message_id: str, changes: dict[str, Any],
                      audit: AuditEntry | None = None) -> Message | None:
        for _ in range(8):  # a change made meanwhile is kept: apply ours to the message as it is now
            record = await self._c("messages").find_one({"_id": message_id, "room_id": room_id, "deleted": False})
            if record is None:
                return None
            current = load(Message, record)
            saved = await self.save_change(current.model_copy(update=changes),
                                           {"deleted": False, "rev": current.rev} if "rev" in record else None, audit)
            if saved is not None:
                return saved
        return None  # pragma: no cover - eight changes landed in between

    @translated
    async def changes_after(self, room_id: str, after_rev: int, limit: int) -> list[Message]:
        records = await (self._c("messages").find({"room_id": room_id, "rev": {"$gt": after_rev}})
                         .sort([("rev", ASCENDING)]).limit(limit).to_list(None))
        return [load(Message, r) for r in records]

    @translated
    async def last_rev(self, room_id: str) -> int:
        return await self._peek(rev_counter(room_id))

    @translated
    async def read_markers(self, room_id: str) -> dict[str, int]:
        prefix = f"{room_id}:"
        records = await self._c("read_markers").find({"_id": {"$regex": f"^{re.escape(prefix)}"}}).to_list(None)
        return {r["_id"][len(prefix):]: int(r["seq"]) for r in records}

    @translated
    async def latest_written(self, room_id: str, limit: int) -> list[Written]:
        records = await (self._c("messages").find({"room_id": room_id}, {"seq": 1, "author_id": 1, "deleted": 1})
                         .sort([("seq", DESCENDING)]).limit(limit).to_list(None))
        return [Written(int(r["seq"]), str(r.get("author_id") or ""), bool(r.get("deleted")))
                for r in reversed(records)]

    @translated
    async def mention_count(self, room_id: str, user_id: str, after_seq: int) -> int:
        return int(await self._c("messages").count_documents(
            {"room_id": room_id, "mention_ids": user_id, "seq": {"$gt": after_seq}}))

    @translated
    async def edit_message(self, room_id: str, message_id: str, text: str, at: str) -> Message | None:
        return await self._update(room_id, message_id, {"text": text, "edited_at": at})

    @translated
    async def delete_message(self, room_id: str, message_id: str, by: str, at: str, *,
                             audit: AuditEntry | None = None) -> Message | None:
        return await self._update(room_id, message_id, {"text": None, "poll": None, "deleted": True, "deleted_by": by,
                                                        "edited_at": at}, audit)

    @translated
    async def hide_message(self, room_id: str, message_id: str, hidden: bool, by: str, at: str, *,
                           audit: AuditEntry | None = None) -> Message | None:
        return await self._update(room_id, message_id, {"hidden": hidden, "hidden_by": by if hidden else None},
                                  audit)

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
