"""Plumbing of the SQLite document store: connections, migrations, transactions.

Two connections. The writer is aiosqlite's: its transactions run on a
thread of their own, serialised by an ``asyncio.Lock`` (SQLite has one
writer anyway), so a commit that flushes the log never stops the event
loop. The reader is a plain ``sqlite3`` connection used on the event
loop's own thread: reads are short and bounded (point lookups by key and
pages of at most a few hundred rows), under WAL they see only committed
data and never wait for the writer, and a point read takes about 20 µs
where the hop to a database thread and back costs about 100 µs
(docs/performance.md). Every chat event reads its room's access first.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite
from pydantic import BaseModel

from rooms.errors import Unavailable
from storage.documents.sqlite_schema import MIGRATIONS

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


class SqliteBase:
    """A writer on its own thread, a reader on the event loop's (see the module's notes)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._writer: aiosqlite.Connection | None = None
        self._reader: sqlite3.Connection | None = None
        self._write_lock = asyncio.Lock()

    # ---- lifecycle -------------------------------------------------------------

    async def open(self) -> None:
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            self._writer = await self._connect()
            await self._writer.execute("PRAGMA journal_mode=WAL")
            await self._migrate(self._writer)
            self._reader = self._connect_reader()
        except (sqlite3.Error, OSError) as exc:
            await self.aclose()
            raise Unavailable("backend.unavailable", backend="sqlite", detail=f"{self._path}: {exc}") from exc

    async def _connect(self) -> aiosqlite.Connection:
        conn = await aiosqlite.connect(self._path, isolation_level=None)
        await conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        await conn.execute("PRAGMA foreign_keys=ON")
        # NORMAL in WAL mode: a commit survives a process crash (SIGKILL);
        # only a power cut may lose the last transactions.
        await conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    def _connect_reader(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self._path, isolation_level=None)
        conn.execute(f"PRAGMA busy_timeout={READER_BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA query_only=ON")
        return conn

    async def _migrate(self, conn: aiosqlite.Connection) -> None:
        await conn.execute("BEGIN IMMEDIATE")
        try:
            async with conn.execute("PRAGMA user_version") as cur:
                row = await cur.fetchone()
            version = row[0] if row else 0
            if version > len(MIGRATIONS):
                raise sqlite3.DatabaseError(f"database schema v{version} is newer than this server")
            for target, script in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in filter(str.strip, script.split(";")):
                    await conn.execute(statement)
                await conn.execute(f"PRAGMA user_version={target}")
                log.info("sqlite schema migrated to v%d", target)
            await conn.execute("COMMIT")
        except BaseException:
            await conn.execute("ROLLBACK")
            raise

    async def aclose(self) -> None:
        """Close both connections; safe to call more than once."""
        if self._reader is not None:
            self._reader.close()
        if self._writer is not None:
            await self._writer.close()
        self._reader = self._writer = None

    async def ping(self) -> None:
        async with self._read("SELECT 1") as rows:
            if rows != [(1,)]:
                raise Unavailable("backend.unavailable", backend="sqlite")

    # ---- plumbing ----------------------------------------------------------------

    @asynccontextmanager
    async def _read(self, sql: str, params: Iterable[Any] = ()) -> AsyncIterator[list[Any]]:
        if self._reader is None:
            raise Unavailable("backend.unavailable", backend="sqlite")
        try:
            rows = self._reader.execute(sql, tuple(params)).fetchall()
        except sqlite3.Error as exc:
            raise Unavailable("backend.unavailable", backend="sqlite") from exc
        yield rows

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        if self._writer is None:
            raise Unavailable("backend.unavailable", backend="sqlite")
        conn = self._writer
        async with self._write_lock:
            try:
                await conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise Unavailable("backend.unavailable", backend="sqlite") from exc
            try:
                yield conn
                await conn.execute("COMMIT")
            except sqlite3.Error as exc:
                await conn.execute("ROLLBACK")
                raise Unavailable("backend.unavailable", backend="sqlite") from exc
            except BaseException:
                await conn.execute("ROLLBACK")
                raise

    async def _in_one_call(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``work`` as one write transaction on the writer's own thread, in a single hop.

        For the hot paths (a chat send): ``_transaction`` costs one trip to the
        database thread per statement. This uses aiosqlite's ``_execute`` and
        its raw connection, which is why the aiosqlite version is pinned.
        """
        if self._writer is None:
            raise Unavailable("backend.unavailable", backend="sqlite")
        conn = self._writer

        def run() -> T:
            raw = conn._conn
            raw.execute("BEGIN IMMEDIATE")
            try:
                result = work(raw)
                raw.execute("COMMIT")
            except BaseException:
                if raw.in_transaction:
                    raw.execute("ROLLBACK")
                raise
            return result

        async with self._write_lock:
            try:
                return await conn._execute(run)
            except sqlite3.Error as exc:
                raise Unavailable("backend.unavailable", backend="sqlite") from exc

    @staticmethod
    async def _one(conn: aiosqlite.Connection, sql: str, params: Iterable[Any] = ()) -> Any:
        async with conn.execute(sql, tuple(params)) as cur:
            return await cur.fetchone()

