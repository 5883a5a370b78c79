"""Chat messages, per-room sequences, change numbers and read markers on SQLite.

Each room has two counters in ``room_counters``: ``last_seq`` numbers its messages (gap-free), and
``last_rev`` its changes: a new message, and every later change to one (an edit, a deletion, a
moderator hiding it, a reaction, a pin, a vote, retention, erasure) takes the next ``rev`` in the
transaction that makes the change, so the change feed (``changes_after``) misses nothing.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path
from typing import Any

from rooms.audit_models import AuditEntry
from rooms.chat_models import Message
from rooms.classroom_models import Written
from rooms.errors import NotAttachable, Unavailable
from rooms.file_models import Attachment
from storage.documents.sqlite_audit import insert_audit
from storage.documents.sqlite_base import SqliteBase, WriteTransaction, _dump, _load
from storage.documents.sqlite_files import attach_each

# A send this long after the last commit of sends, with none waiting, is committed in its own call;
# closer, sends wait for the next turn of the loop to be committed together (under load, most do).
ALONE_AFTER_SECS = 0.001


def next_rev(raw: sqlite3.Connection, room_id: str) -> int:
    """The room's next change number, inside the caller's transaction (on the database thread)."""
    (rev,) = raw.execute("INSERT INTO room_counters (room_id, last_seq, last_rev) VALUES (?, 0, 1) "
                         "ON CONFLICT (room_id) DO UPDATE SET last_rev = last_rev + 1 RETURNING last_rev",
                         (room_id,)).fetchone()
    return int(rev)


async def next_rev_in(conn: WriteTransaction, room_id: str) -> int:
    """:func:`next_rev` in a transaction fed from the event loop."""
    async with conn.execute("INSERT INTO room_counters (room_id, last_seq, last_rev) VALUES (?, 0, 1) "
                            "ON CONFLICT (room_id) DO UPDATE SET last_rev = last_rev + 1 RETURNING last_rev",
                            (room_id,)) as cur:
        (rev,) = await cur.fetchone()
    return int(rev)


def message_columns(message: Message) -> tuple[Any, ...]:
    """The indexed columns that follow a message's document: rev, pinned_at, an open poll's closing time."""
    poll = message.poll
    closes = poll.closes_at if poll is not None and not poll.closed and not message.deleted else None
    return message.rev, message.pinned_at if message.pinned else None, closes


def _append(raw: sqlite3.Connection, message: Message, mention_ids: tuple[str, ...]) -> tuple[Message, bool]:
    """On the database thread, inside the send's savepoint: idempotency check, attachments, next seq
    and rev, insert, mentions, read marker. A file taken meanwhile raises ``NotAttachable``: the
    savepoint is rolled back."""
    row = raw.execute("SELECT doc FROM messages WHERE room_id = ? AND author_id = ? AND client_id = ?",
                      (message.room_id, message.author_id, message.client_id)).fetchone()
    if row is not None:
        return _load(Message, row[0]), False
    if message.attachments:  # most sends have none: build nothing for them
        attach_each(raw, message.attachments, message.author,
                    Attachment(kind="message", id=message.id, space_id=message.room_id))
    seq, rev = raw.execute("INSERT INTO room_counters (room_id, last_seq, last_rev) VALUES (?, 1, 1) "
                           "ON CONFLICT (room_id) DO UPDATE SET last_seq = last_seq + 1, last_rev = last_rev + 1 "
                           "RETURNING last_seq, last_rev", (message.room_id,)).fetchone()
    stored = message.model_copy(update={"seq": int(seq), "rev": int(rev)})
    raw.execute("INSERT INTO messages (room_id, seq, id, project_id, author_id, client_id, created_at, doc, "
                "rev, pinned_at, poll_closes_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (stored.room_id, stored.seq, stored.id, stored.project_id, stored.author_id, stored.client_id,
                 stored.created_at, _dump(stored), *message_columns(stored)))
    if mention_ids:
        raw.executemany("INSERT OR IGNORE INTO mentions (room_id, user_id, seq) VALUES (?, ?, ?)",
                        [(stored.room_id, uid, stored.seq) for uid in mention_ids])
    raw.execute("INSERT INTO read_markers (room_id, user_id, seq) VALUES (?, ?, ?) "
                "ON CONFLICT (room_id, user_id) DO UPDATE SET seq = MAX(seq, excluded.seq)",
                (stored.room_id, stored.author_id, stored.seq))
    return stored, True


def _append_each(raw: sqlite3.Connection, batch: list[tuple[Message, tuple[str, ...]]],
                 ) -> list[tuple[Message, bool] | sqlite3.Error | NotAttachable]:
    """Several appends in one transaction, each in its own savepoint: one failing fails alone. A send
    alone needs none: what it raises rolls the transaction back, and it fails (:func:`_fail`)."""
    if len(batch) == 1:
        return [_append(raw, *batch[0])]
    results: list[tuple[Message, bool] | sqlite3.Error | NotAttachable] = []
    for message, mention_ids in batch:
        raw.execute("SAVEPOINT append")
        try:
            results.append(_append(raw, message, mention_ids))
        except (sqlite3.Error, NotAttachable) as exc:
            raw.execute("ROLLBACK TO append")
            results.append(exc)
        raw.execute("RELEASE append")
    return results


_Waiting = list[tuple[Message, tuple[str, ...], "asyncio.Future[tuple[Message, bool]]"]]


def _rows_of(batch: _Waiting) -> list[tuple[Message, tuple[str, ...]]]:
    return [(message, mention_ids) for message, mention_ids, _ in batch]


def _settle(batch: _Waiting, results: list[tuple[Message, bool] | sqlite3.Error | NotAttachable]) -> None:
    """Each waiting send's outcome in its batch (:func:`_append_each`)."""
    for (_, _, future), result in zip(batch, results, strict=True):
        if future.done():
            continue
        if isinstance(result, sqlite3.Error):
            future.set_exception(Unavailable("backend.unavailable", backend="sqlite", detail=str(result)))
        elif isinstance(result, NotAttachable):
            future.set_exception(result)
        else:
            future.set_result(result)


def _failure(exc: BaseException) -> BaseException:
    """What a send whose transaction failed as a whole raises: the store as unavailable, unless the
    error is one of the domain's."""
    if isinstance(exc, sqlite3.Error):  # as a send's own error in a batch (_settle)
        return Unavailable("backend.unavailable", backend="sqlite", detail=str(exc))
    if not isinstance(exc, Exception):
        return Unavailable("backend.unavailable", backend="sqlite")
    return exc


def _fail(batch: _Waiting, exc: BaseException) -> None:
    """The batch's transaction failed as a whole: every send in it fails (:func:`_failure`)."""
    exc = _failure(exc)
    for _, _, future in batch:
        if not future.done():
            future.set_exception(exc)


class ChatTables(SqliteBase):
    """Chat on SQLite. Sends are committed in groups: the sends that arrive while one commit
    is being written go together in the next. A commit costs about three times the rows of one
    message (docs/performance.md), so under load this is what keeps storing ahead of the fan-out.
    A send that comes alone, ``ALONE_AFTER_SECS`` or more after the last commit, while no send offered
    the usual way waits for its handler to resume, is committed right away, in its own call (no future,
    no turn of the loop): most sends of a class's chat. Handlers answer in their sends' order either way."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self._appends: list[tuple[Message, tuple[str, ...], asyncio.Future[tuple[Message, bool]]]] = []
        self._appender: asyncio.Task[None] | None = None
        self._committed_at = 0.0  # time.perf_counter() when the last commit of sends ended
        # Sends offered the usual way and not yet back in their handler, stored or not: while there is
        # one, no send is stored in its own call, which would answer (and push) ahead of it.
        self._waiting = 0

    # ---- chat ----------------------------------------------------------------------------

    async def append_message(self, message: Message, mention_ids: tuple[str, ...] = ()) -> tuple[Message, bool]:
        if not self._waiting and time.perf_counter() - self._committed_at >= ALONE_AFTER_SECS:
            try:
                done = self._writer.transaction_here(lambda raw: _append(raw, message, mention_ids))
            except Exception as exc:  # rolled back: refused as a batch of one is (_fail)
                self._committed_at = time.perf_counter()
                failure = _failure(exc)
                if failure is exc:
                    raise
                raise failure from exc
            if done is not None:
                self._committed_at = time.perf_counter()
                return done[0]
            # The writer is busy (or another process holds the lock): the sends' usual way.
        loop = asyncio.get_running_loop()
        future: asyncio.Future[tuple[Message, bool]] = loop.create_future()
        self._appends.append((message, mention_ids, future))
        if len(self._appends) == 1 and not self._appending():
            # A callback, not a task: the sends offered before it runs go with this one.
            loop.call_soon(self._commit_waiting)
        self._waiting += 1
        try:
            return await future
        finally:
            self._waiting -= 1

    def _appending(self) -> bool:
        """Whether a task is offering sends to the writer's thread (it takes the ones waiting as well)."""
        return self._appender is not None and not self._appender.done()

    def _commit_waiting(self) -> None:
        """The sends waiting, committed on the loop's thread when the writer is idle (the common case:
        no task, no trip), else by a task that offers them to the writer's thread."""
        if not self._appends or self._appending():
            return
        batch = self._appends
        try:
            done = self._writer.transaction_here(lambda raw: _append_each(raw, _rows_of(batch)))
        except BaseException as exc:  # the whole transaction failed (or the store is closed)
            self._appends = []
            _fail(batch, exc)
            if not isinstance(exc, Exception):
                raise
            return
        if done is None:
            self._appender = asyncio.create_task(self._commit_appends(), name="sqlite-appends")
            return
        self._appends = []
        self._committed_at = time.perf_counter()
        _settle(batch, done[0])

    async def _commit_appends(self) -> None:
        while self._appends:
            batch, self._appends = self._appends, []
            try:
                results = await self._in_one_call(lambda raw: _append_each(raw, _rows_of(batch)), small=True)
            except BaseException as exc:  # the whole transaction failed (or we are shutting down)
                _fail(batch, exc)
                if not isinstance(exc, Exception):
                    raise
                continue
            self._committed_at = time.perf_counter()
            _settle(batch, results)

    async def find_message(self, room_id: str, author_id: str, client_id: str) -> Message | None:
        sql = "SELECT doc FROM messages WHERE room_id = ? AND author_id = ? AND client_id = ?"
        rows = self._rows(sql, (room_id, author_id, client_id))
        return _load(Message, rows[0][0]) if rows else None

    async def get_message(self, room_id: str, message_id: str) -> Message | None:
        sql = "SELECT doc FROM messages WHERE id = ? AND room_id = ?"
        rows = self._rows(sql, (message_id, room_id))
        return _load(Message, rows[0][0]) if rows else None

    async def messages_after(self, room_id: str, after_seq: int, limit: int) -> list[Message]:
        sql = "SELECT doc FROM messages WHERE room_id = ? AND seq > ? ORDER BY seq LIMIT ?"
        rows = self._rows(sql, (room_id, after_seq, limit))
        return [_load(Message, doc) for (doc,) in rows]

    async def messages_before(self, room_id: str, before_seq: int | None, limit: int) -> list[Message]:
        sql = "SELECT doc FROM messages WHERE room_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?"
        bound = before_seq if before_seq is not None else 2**62
        rows = self._rows(sql, (room_id, bound, limit))
        return [_load(Message, doc) for (doc,) in reversed(rows)]

    async def _update_message(self, room_id: str, message_id: str, update: dict[str, Any],
                              deleted: bool, audit: AuditEntry | None = None) -> Message | None:
        async with self._transaction() as conn:
            row = await self._one(conn, "SELECT doc FROM messages WHERE id = ? AND room_id = ? AND deleted = 0",
                                  (message_id, room_id))
            if row is None:
                return None
            message = _load(Message, row[0]).model_copy(update=update)
            message = await self.save_change(conn, message, deleted=deleted)
            await insert_audit(conn, audit)
        return message

    @staticmethod
    async def save_change(conn: WriteTransaction, message: Message, *, deleted: bool | None = None) -> Message:
        """Store ``message`` changed, as the room's next change (its ``rev``), inside ``conn``."""
        changed = message.model_copy(update={"rev": await next_rev_in(conn, message.room_id)})
        await conn.execute("UPDATE messages SET doc = ?, deleted = ?, rev = ?, pinned_at = ?, poll_closes_at = ? "
                           "WHERE id = ?", (_dump(changed), int(changed.deleted if deleted is None else deleted),
                                            *message_columns(changed), changed.id))
        return changed

    async def changes_after(self, room_id: str, after_rev: int, limit: int) -> list[Message]:
        sql = "SELECT doc FROM messages WHERE room_id = ? AND rev > ? ORDER BY rev LIMIT ?"
        rows = self._rows(sql, (room_id, after_rev, limit))
        return [_load(Message, doc) for (doc,) in rows]

    async def last_rev(self, room_id: str) -> int:
        rows = self._rows("SELECT last_rev FROM room_counters WHERE room_id = ?", (room_id,))
        return int(rows[0][0]) if rows else 0

    async def read_markers(self, room_id: str) -> dict[str, int]:
        rows = self._rows("SELECT user_id, seq FROM read_markers WHERE room_id = ?", (room_id,))
        return {user_id: int(seq) for user_id, seq in rows}

    async def latest_written(self, room_id: str, limit: int) -> list[Written]:
        # The primary key (room_id, seq) orders it; the columns are kept with every write of the doc.
        sql = "SELECT seq, author_id, deleted FROM messages WHERE room_id = ? ORDER BY seq DESC LIMIT ?"
        rows = self._rows(sql, (room_id, limit))
        return [Written(int(seq), str(author), bool(deleted)) for seq, author, deleted in reversed(rows)]

    async def mention_count(self, room_id: str, user_id: str, after_seq: int) -> int:
        sql = "SELECT COUNT(*) FROM mentions WHERE room_id = ? AND user_id = ? AND seq > ?"
        rows = self._rows(sql, (room_id, user_id, after_seq))
        return int(rows[0][0])

    async def edit_message(self, room_id: str, message_id: str, text: str, at: str) -> Message | None:
        return await self._update_message(room_id, message_id, {"text": text, "edited_at": at}, False)

    async def delete_message(self, room_id: str, message_id: str, by: str, at: str, *,
                             audit: AuditEntry | None = None) -> Message | None:
        return await self._update_message(
            room_id, message_id, {"text": None, "poll": None, "deleted": True, "deleted_by": by, "edited_at": at},
            True, audit)

    async def hide_message(self, room_id: str, message_id: str, hidden: bool, by: str, at: str, *,
                           audit: AuditEntry | None = None) -> Message | None:
        # ``at`` is kept in the audit entry; the message's own times stay the author's.
        return await self._update_message(room_id, message_id, {"hidden": hidden, "hidden_by": by if hidden else None},
                                          False, audit)

    async def last_seq(self, room_id: str) -> int:
        rows = self._rows("SELECT last_seq FROM room_counters WHERE room_id = ?", (room_id,))
        return int(rows[0][0]) if rows else 0

    async def read_marker(self, room_id: str, user_id: str) -> int:
        sql = "SELECT seq FROM read_markers WHERE room_id = ? AND user_id = ?"
        rows = self._rows(sql, (room_id, user_id))
        return int(rows[0][0]) if rows else 0

    @staticmethod
    async def _advance_marker(conn: WriteTransaction, room_id: str, user_id: str, seq: int) -> None:
        await conn.execute("INSERT INTO read_markers (room_id, user_id, seq) VALUES (?, ?, ?) "
                           "ON CONFLICT (room_id, user_id) DO UPDATE SET seq = MAX(seq, excluded.seq)",
                           (room_id, user_id, seq))

    async def mark_read(self, room_id: str, user_id: str, seq: int) -> int:
        async with self._transaction() as conn:
            await self._advance_marker(conn, room_id, user_id, seq)
            row = await self._one(conn, "SELECT seq FROM read_markers WHERE room_id = ? AND user_id = ?",
                                  (room_id, user_id))
        return int(row[0])
