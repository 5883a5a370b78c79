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
"""

from __future__ import annotations

import json
from typing import Any

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from rooms.audit_models import AuditEntry
from rooms.chat_models import Message
from rooms.errors import NotAttachable
from rooms.file_models import Attachment
from rooms.models import Project
from storage.documents.mongo_audit import AuditCollections
from storage.documents.mongo_base import doc_set, dump, load, translated
from storage.documents.mongo_files import claim, insert_item, release


def _where(message: Message) -> Attachment:
    return Attachment(kind="message", id=message.id, space_id=message.room_id)


def _send_key(message: Message) -> str:
    """What a retry of this send has in common with it: the idempotency key, as one string."""
    return json.dumps([message.room_id, message.author_id, message.client_id])


class ChatCollections(AuditCollections):  # the audit entries of its writes follow them
    def _record(self, message: Message) -> dict[str, Any]:
        return {"_id": message.id, "room_id": message.room_id, "seq": message.seq, "project_id": message.project_id,
                "author_id": message.author_id, "client_id": message.client_id, "created_at": message.created_at,
                "deleted": message.deleted, "doc": dump(message)}

    @translated
    async def append_message(self, message: Message) -> tuple[Message, bool]:
        earlier = await self.find_message(message.room_id, message.author, message.client_id)
        if earlier is not None:
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
            stored = message.model_copy(update={"seq": await self._next(f"room:{message.room_id}")})
        except Exception:
            await release(files, claimed, message.id)
            raise
        try:
            await insert_item(self._c("messages"), self._record(stored))
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
        await self._advance_read(stored.room_id, stored.author, stored.seq)
        return stored, True

    async def _fill(self, drawn: Message) -> None:
        """Fill a drawn seq that no message will have with a tombstone: the sequence stays gap-free."""
        filler = drawn.model_copy(update={"id": f"{drawn.id}_void", "client_id": f"void:{drawn.seq}",
                                          "text": None, "deleted": True, "deleted_by": "retry", "attachments": []})
        try:
            await self._c("messages").insert_one(self._record(filler))
        except DuplicateKeyError:
            pass  # the seq is taken after all: a failed insert that MongoDB applied late

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
        top = {"deleted": changes["deleted"]} if "deleted" in changes else {}
        record = await self._c("messages").find_one_and_update(
            {"_id": message_id, "room_id": room_id, "deleted": False}, {"$set": {**top, **doc_set(changes)}},
            return_document=ReturnDocument.AFTER)
        if record is None:
            return None
        await self._insert_audit(audit)
        return load(Message, record)

    @translated
    async def edit_message(self, room_id: str, message_id: str, text: str, at: str) -> Message | None:
        return await self._update(room_id, message_id, {"text": text, "edited_at": at})

    @translated
    async def delete_message(self, room_id: str, message_id: str, by: str, at: str, *,
                             audit: AuditEntry | None = None) -> Message | None:
        return await self._update(room_id, message_id, {"text": None, "deleted": True, "deleted_by": by,
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

    @translated
    async def set_chat_retention(self, project_id: str, days: int | None, at: str,
                                 audit: AuditEntry | None = None) -> Project | None:
        record = await self._c("projects").find_one_and_update(
            {"_id": project_id},
            {"$set": {"chat_retention_days": days, **doc_set({"chat_retention_days": days, "updated_at": at})}},
            return_document=ReturnDocument.AFTER)
        if record is None:
            return None
        await self._insert_audit(audit)
        return load(Project, record)
