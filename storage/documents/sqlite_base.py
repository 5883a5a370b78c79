"""Plumbing of the SQLite document store: connections, migrations, transactions.

Two connections: one writer, whose transactions an ``asyncio.Lock``
serialises (SQLite has one writer anyway), and one reader, which under WAL
sees only committed data and never waits for the writer.
"""

from __future__ import annotations

import asyncio
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

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


def _dump(model: BaseModel) -> str:
    return model.model_dump_json()


def _load(cls: type[M], doc: str) -> M:
    return cls.model_validate_json(doc)


class SqliteBase:
    """Two connections: one writer, whose transactions an ``asyncio.Lock``
    serialises (SQLite has one writer anyway), and one reader, which under
    WAL sees only committed data and never waits for the writer."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()

    # ---- lifecycle -------------------------------------------------------------

    async def open(self) -> None:
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            self._writer = await self._connect()
            await self._writer.execute("PRAGMA journal_mode=WAL")
            await self._migrate(self._writer)
            self._reader = await self._connect()
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
        for conn in (self._reader, self._writer):
            if conn is not None:
                await conn.close()
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
            rows = list(await self._reader.execute_fetchall(sql, tuple(params)))  # one trip to its thread
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

