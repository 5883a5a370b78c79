"""Polls and their votes on SQLite.

A vote is one transaction: the person's row in ``poll_votes`` is replaced (or deleted, for an empty
list), the poll's counts on the message move from their old choices to the new ones (no recount
over the other voters), and the message is saved as the room's next change
(:meth:`ChatTables.save_change`, which also keeps ``messages.poll_closes_at``, the index of
:meth:`polls_due`). The transaction holds the writer, so two votes at once are applied one after
the other.
"""

from __future__ import annotations

import json

from rooms.audit_models import AuditEntry
from rooms.chat_models import Message
from rooms.errors import Conflict
from rooms.polls import closed, tally
from storage.documents.sqlite_audit import insert_audit
from storage.documents.sqlite_base import WriteTransaction, _load
from storage.documents.sqlite_chat import ChatTables


def _choices(text: str) -> list[int]:
    return [int(i) for i in json.loads(text)]


class PollTables(ChatTables):  # changes go through ChatTables.save_change
    async def _live_poll(self, conn: WriteTransaction, room_id: str, message_id: str) -> Message | None:
        row = await self._one(conn, "SELECT doc FROM messages WHERE id = ? AND room_id = ? AND deleted = 0",
                              (message_id, room_id))
        message = _load(Message, row[0]) if row is not None else None
        return message if message is not None and message.poll is not None else None

    @staticmethod
    async def _swap(conn: WriteTransaction, room_id: str, message_id: str, user_id: str, choices: list[int],
                    at: str) -> list[int]:
        """Replace one person's vote (an empty list deletes it); their choices before."""
        row = await PollTables._one(conn, "SELECT choices FROM poll_votes WHERE message_id = ? AND user_id = ?",
                                    (message_id, user_id))
        before = _choices(row[0]) if row is not None else []
        if choices:
            await conn.execute("INSERT INTO poll_votes (room_id, message_id, user_id, choices, at) "
                               "VALUES (?, ?, ?, ?, ?) ON CONFLICT (message_id, user_id) "
                               "DO UPDATE SET choices = excluded.choices, at = excluded.at",
                               (room_id, message_id, user_id, json.dumps(choices), at))
        elif row is not None:
            await conn.execute("DELETE FROM poll_votes WHERE message_id = ? AND user_id = ?", (message_id, user_id))
        return before

    async def vote(self, room_id: str, message_id: str, user_id: str, choices: list[int],
                   at: str) -> tuple[Message, list[int]] | None:
        async with self._transaction() as conn:
            message = await self._live_poll(conn, room_id, message_id)
            if message is None:
                return None
            assert message.poll is not None
            if message.poll.closed:
                raise Conflict("chat.poll_closed")  # rolls the transaction back: nothing was written
            before = await self._swap(conn, room_id, message_id, user_id, choices, at)
            if before == choices:  # the same vote again: nothing changes, no rev
                return message, choices
            message = await self.save_change(conn, tally(message, before, choices))
        return message, choices

    async def close_poll(self, room_id: str, message_id: str, at: str, *,
                         audit: AuditEntry | None = None) -> Message | None:
        async with self._transaction() as conn:
            message = await self._live_poll(conn, room_id, message_id)
            if message is None or message.poll is None or message.poll.closed:
                return None
            saved = await self.save_change(conn, closed(message, at))
            await insert_audit(conn, audit)
        return saved

    async def polls_due(self, at: str, limit: int) -> list[Message]:
        sql = ("SELECT doc FROM messages WHERE poll_closes_at IS NOT NULL AND poll_closes_at <= ? "
               "ORDER BY poll_closes_at LIMIT ?")
        rows = self._rows(sql, (at, limit))
        return [_load(Message, doc) for (doc,) in rows]

    async def poll_votes(self, room_id: str, message_id: str) -> list[tuple[str, list[int]]]:
        sql = "SELECT user_id, choices FROM poll_votes WHERE message_id = ? AND room_id = ? ORDER BY at, rowid"
        rows = self._rows(sql, (message_id, room_id))
        return [(user_id, _choices(choices)) for user_id, choices in rows]

    async def my_votes(self, room_id: str, user_id: str, message_ids: list[str]) -> dict[str, list[int]]:
        if not message_ids:
            return {}
        marks = ", ".join("?" * len(message_ids))
        sql = f"SELECT message_id, choices FROM poll_votes WHERE room_id = ? AND user_id = ? AND message_id IN ({marks})"
        rows = self._rows(sql, (room_id, user_id, *message_ids))
        return {message_id: _choices(choices) for message_id, choices in rows}

    async def erase_votes(self, project_id: str, user_id: str, at: str, limit: int) -> int:
        async with self._transaction() as conn:
            async with conn.execute("SELECT v.room_id, v.message_id, v.choices FROM poll_votes v "
                                    "JOIN messages m ON m.id = v.message_id "
                                    "WHERE v.user_id = ? AND m.project_id = ? LIMIT ?",
                                    (user_id, project_id, limit)) as cur:
                rows = list(await cur.fetchall())
            for room_id, message_id, choices in rows:
                await conn.execute("DELETE FROM poll_votes WHERE message_id = ? AND user_id = ?", (message_id, user_id))
                row = await self._one(conn, "SELECT doc FROM messages WHERE id = ? AND room_id = ?",
                                      (message_id, room_id))
                message = _load(Message, row[0]) if row is not None else None
                if message is not None and message.poll is not None and not message.deleted:  # closed ones too
                    await self.save_change(conn, tally(message, _choices(choices), []))
        return len(rows)
