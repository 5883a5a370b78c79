"""Plumbing of the SQLite document store: connections, migrations, transactions.

Two connections. The writer is owned by a thread of its own
(:class:`storage.documents.sqlite_writer.SqliteWriter`): transactions run
there one at a time (SQLite has one writer anyway), so a commit that
flushes the log never stops the event loop, and a chat send's whole
transaction is one trip to that thread. The reader is a plain ``sqlite3``
connection used on the event loop's own thread: reads are short and bounded (point lookups by key and
pages of at most a few hundred rows), under WAL they see only committed
data and never wait for the writer, and a point read takes about 20 µs
where the hop to a database thread and back costs about 100 µs
(docs/performance.md). Every chat event reads its room's access first.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from rooms.clock import parse
from rooms.errors import Unavailable
from rooms.search_text import terms
from storage.documents.sqlite_schema import MIGRATIONS
from storage.documents.sqlite_writer import SqliteWriter, WriteTransaction

__all__ = ["SqliteBase", "WriteTransaction"]

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5_000  # another process (``twinspace seed-demo``) may hold the write lock briefly
# A WAL reader waits only in rare moments (another process recovering the log after a crash);
# it waits on the event loop's thread, so briefly.
READER_BUSY_TIMEOUT_MS = 200

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


def _dump(model: BaseModel) -> str:
    return model.model_dump_json()


def _load(cls: type[M], doc: str) -> M:
    return cls.model_validate_json(doc)


@functools.lru_cache(maxsize=4096)
def _load_cached(cls: type[M], doc: str) -> M:
    """``_load`` for the documents every chat event reads again (space, project, membership).

    Keyed by the stored text itself, so a changed document is parsed afresh; the models are frozen.
    """
    return cls.model_validate_json(doc)


def search_terms(text: str | None) -> str:
    """What search indexes of a text: its folded words (rooms.search_text.terms), space-joined."""
    return " ".join(terms(text)) if text else ""


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
POS_TIES = 20  # bits of a search position for the items of one millisecond


def search_pos(created_at: str) -> int:
    """The first search position of the millisecond ``created_at`` (a stamp): newest first is
    position descending (storage/documents/sqlite_search.py)."""
    return ((parse(created_at) - _EPOCH) // timedelta(milliseconds=1)) << POS_TIES


def search_tag(kind: str, project_id: str, key: str) -> str:
    """A scope tag of the search index: ``kind`` (``v`` visible in a space, ``h`` hidden there, ``f`` a
    file's uploader, ``m`` a project's mail) and 64 bits of a hash of what it names, in hex: short
    and fixed whatever the ids (the query's scope is checked on ``search_items`` anyway)."""
    return kind + hashlib.blake2b(f"{project_id}/{key}".encode(), digest_size=8).hexdigest()


def register_search_functions(conn: sqlite3.Connection) -> None:
    """The functions the search triggers call (migration 11): every connection that writes needs them."""
    conn.create_function("search_terms", 1, search_terms, deterministic=True)
    conn.create_function("search_pos", 1, search_pos, deterministic=True)
    conn.create_function("search_tag", 3, search_tag, deterministic=True)


def _statements(script: str) -> list[str]:
    """The statements of a migration script, split at the semicolons that end one (not inside a trigger)."""
    statements, pending = [], ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n;"):
                statements.append(pending)
            pending = ""
    return statements


class SqliteBase:
    """A writer on its own thread, a reader on the event loop's (see the module's notes)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._writer = SqliteWriter(self._connect_writer, name=f"sqlite-writer {path.name}")
        self._reader: sqlite3.Connection | None = None

    # ---- lifecycle -------------------------------------------------------------

    async def open(self) -> None:
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            await self._writer.start()
            await self._writer.run(self._migrate)
            self._reader = self._connect_reader()
        except (sqlite3.Error, OSError) as exc:
            await self.aclose()
            raise Unavailable("backend.unavailable", backend="sqlite", detail=f"{self._path}: {exc}") from exc

    def _connect_writer(self) -> sqlite3.Connection:
        """On the writer's thread, which keeps the connection for its whole life."""
        # The loop's thread runs small transactions on it too, when the writer is idle (sqlite_writer.py).
        conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        try:
            conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA foreign_keys=ON")
            # NORMAL in WAL mode: a commit survives a process crash (SIGKILL);
            # only a power cut may lose the last transactions.
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA journal_mode=WAL")
            # The writer's thread checkpoints, never a commit on the loop's thread (sqlite_writer.py).
            conn.execute("PRAGMA wal_autocheckpoint=0")
            # Deleted and rewritten content is overwritten in the file, not left in free pages: what
            # retention and erasure remove is gone from the database file, not only from its rows.
            conn.execute("PRAGMA secure_delete=ON")
            register_search_functions(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def _connect_reader(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self._path, isolation_level=None)
        conn.execute(f"PRAGMA busy_timeout={READER_BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA query_only=ON")
        return conn

    @staticmethod
    def _migrate(conn: sqlite3.Connection) -> None:
        """On the writer's thread, in one transaction: the migrations this database has not had yet."""
        conn.execute("BEGIN IMMEDIATE")
        try:
            row = conn.execute("PRAGMA user_version").fetchone()
            version = row[0] if row else 0
            if version > len(MIGRATIONS):
                raise sqlite3.DatabaseError(f"database schema v{version} is newer than this server")
            for target, script in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in _statements(script):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version={target}")
                log.info("sqlite schema migrated to v%d", target)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    async def aclose(self) -> None:
        """Close both connections, once the writes already offered are done; safe to call more than once."""
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        await self._writer.aclose()

    async def ping(self) -> None:
        if self._rows("SELECT 1") != [(1,)]:
            raise Unavailable("backend.unavailable", backend="sqlite")

    # ---- plumbing ----------------------------------------------------------------

    def _rows(self, sql: str, params: Iterable[Any] = ()) -> list[Any]:
        """The rows of a read, at once: on the write connection when the writer is idle (its page cache
        is warm), else on the reader's snapshot. Neither waits (a read takes microseconds), so the
        callers need no context of their own around it."""
        if self._reader is None:
            raise Unavailable("backend.unavailable", backend="sqlite")
        args = tuple(params)
        try:
            rows = self._writer.read_here(sql, args)
            if rows is None:  # the writer is busy: the reader's snapshot
                rows = self._reader.execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            raise Unavailable("backend.unavailable", backend="sqlite") from exc
        return rows

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[WriteTransaction]:
        """A write transaction fed from the event loop, one trip to the writer's thread per statement.

        ``BEGIN IMMEDIATE`` goes with the first statement and ``COMMIT`` on a clean exit; any
        error rolls it back. For the code that decides between its statements; a hot path
        that does not should use :meth:`_in_one_call`.
        """
        try:
            async with self._writer.transaction() as conn:
                yield conn
        except sqlite3.Error as exc:
            raise Unavailable("backend.unavailable", backend="sqlite") from exc

    async def _in_one_call(self, work: Callable[[sqlite3.Connection], T], *, small: bool = False) -> T:
        """Run ``work`` as one write transaction on the writer's own thread, in a single trip.

        For the hot paths (a chat send): ``_transaction`` costs one trip per statement.
        ``work`` runs on that thread with the raw connection, so it must not touch the event loop.
        ``small`` work (a few statements: a chat send's) runs on the loop's thread instead when the
        writer is idle, with no trip (``SqliteWriter.run_transaction_here``).
        """
        try:
            if small:
                return await self._writer.run_transaction_here(work)
            return await self._writer.run_transaction(work)
        except sqlite3.Error as exc:
            raise Unavailable("backend.unavailable", backend="sqlite") from exc

    @staticmethod
    async def _one(conn: WriteTransaction, sql: str, params: Iterable[Any] = ()) -> Any:
        async with conn.execute(sql, tuple(params)) as cur:
            return await cur.fetchone()
