"""Reactions and pinned messages on SQLite.

A reaction is a row of ``reactions`` (one per message, person and emoji); a message carries its
counts (``Message.reactions``), recounted from those rows in the transaction that changes one, and
stored with the room's next ``rev`` (``ChatTables.save_change``). A pin is the message's own state
(``pinned``, ``pinned_by``, ``pinned_at``), with ``messages.pinned_at`` indexed for the room's list.
"""

from __future__ import annotations

from collections import defaultdict

from rooms.audit_models import AuditEntry
from rooms.chat_models import Message
from rooms.classroom_models import ReactionCount
from rooms.errors import Conflict
from storage.documents.sqlite_audit import insert_audit
from storage.documents.sqlite_base import WriteTransaction, _load
from storage.documents.sqlite_chat import ChatTables

_LIVE = "SELECT doc FROM messages WHERE id = ? AND room_id = ? AND deleted = 0"
_PINNED = "FROM messages WHERE room_id = ? AND pinned_at IS NOT NULL AND deleted = 0"


async def _recounted(conn: WriteTransaction, message: Message) -> Message:
    """``message`` with its counts as the ``reactions`` rows have them now: by first reaction, then emoji."""
    async with conn.execute("SELECT emoji, COUNT(*) FROM reactions WHERE message_id = ? GROUP BY emoji "
                            "ORDER BY MIN(at), emoji", (message.id,)) as cur:
        rows = await cur.fetchall()
    return message.model_copy(update={"reactions": [ReactionCount(emoji=e, count=int(n)) for e, n in rows]})


class ReactionTables(ChatTables):  # changes go through ChatTables.save_change
    async def react(self, room_id: str, message_id: str, user_id: str, emoji: str, on: bool,
                    at: str) -> tuple[Message, bool] | None:
        async with self._transaction() as conn:
            row = await self._one(conn, _LIVE, (message_id, room_id))
            if row is None:
                return None
            message = _load(Message, row[0])
            if on:
                cur = await conn.execute("INSERT OR IGNORE INTO reactions (room_id, message_id, user_id, emoji, at) "
                                         "VALUES (?, ?, ?, ?, ?)", (room_id, message_id, user_id, emoji, at))
            else:
                cur = await conn.execute("DELETE FROM reactions WHERE message_id = ? AND user_id = ? AND emoji = ?",
                                         (message_id, user_id, emoji))
            if not cur.rowcount:  # a repeat: nothing changed, no rev taken
                return message, False
            return await self.save_change(conn, await _recounted(conn, message)), True

    async def reactions_of(self, room_id: str, message_id: str) -> list[tuple[str, str]]:
        sql = "SELECT emoji, user_id FROM reactions WHERE message_id = ? AND room_id = ? ORDER BY at, rowid"
        rows = self._rows(sql, (message_id, room_id))
        return [(emoji, user_id) for emoji, user_id in rows]

    async def my_reactions(self, room_id: str, user_id: str, message_ids: list[str]) -> dict[str, list[str]]:
        if not message_ids:
            return {}
        marks = ", ".join("?" * len(message_ids))
        sql = (f"SELECT message_id, emoji FROM reactions WHERE room_id = ? AND user_id = ? "
               f"AND message_id IN ({marks}) ORDER BY at, rowid")
        mine: dict[str, list[str]] = defaultdict(list)
        rows = self._rows(sql, (room_id, user_id, *message_ids))
        for message_id, emoji in rows:
            mine[message_id].append(emoji)
        return dict(mine)

    async def erase_reactions(self, project_id: str, user_id: str, at: str, limit: int) -> int:
        async with self._transaction() as conn:  # by the project's rooms: the (room_id, user_id) index
            async with conn.execute("SELECT rowid, message_id FROM reactions WHERE user_id = ? AND room_id IN "
                                    "(SELECT id FROM spaces WHERE project_id = ?) LIMIT ?",
                                    (user_id, project_id, limit)) as cur:
                rows = list(await cur.fetchall())
            if not rows:
                return 0
            await conn.executemany("DELETE FROM reactions WHERE rowid = ?", [(rowid,) for rowid, _ in rows])
            for message_id in dict.fromkeys(m for _, m in rows):  # each changed message once, its next rev
                row = await self._one(conn, "SELECT doc FROM messages WHERE id = ?", (message_id,))
                if row is not None:
                    await self.save_change(conn, await _recounted(conn, _load(Message, row[0])))
        return len(rows)

    async def pin_message(self, room_id: str, message_id: str, pinned: bool, by: str, at: str, max_pins: int,
                          *, audit: AuditEntry | None = None) -> Message | None:
        async with self._transaction() as conn:
            row = await self._one(conn, _LIVE, (message_id, room_id))
            if row is None:
                return None
            message = _load(Message, row[0])
            if message.pinned == pinned:  # already so: nothing to store or record
                return message
            if pinned:
                (count,) = await self._one(conn, f"SELECT COUNT(*) {_PINNED}", (room_id,))
                if count >= max_pins:
                    raise Conflict("chat.pins_full", max=max_pins)
            changes = {"pinned": pinned, "pinned_by": by if pinned else None, "pinned_at": at if pinned else None}
            message = await self.save_change(conn, message.model_copy(update=changes))
            await insert_audit(conn, audit)
        return message

    async def pinned_messages(self, room_id: str) -> list[Message]:
        rows = self._rows(f"SELECT doc {_PINNED} ORDER BY pinned_at DESC, rev DESC", (room_id,))
        return [_load(Message, doc) for (doc,) in rows]
