"""The embedded document store: SQLite in WAL mode through aiosqlite.

Two connections: one writer, whose transactions an ``asyncio.Lock``
serialises (SQLite has one writer anyway), and one reader, which under WAL
sees only committed data and never waits for the writer.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite
from pydantic import BaseModel

from rooms.errors import Conflict, Unavailable
from rooms.chat_models import Message
from rooms.models import Member, Project, ProjectRole, ProjectStatus, Space, Visibility
from storage.documents.sqlite_schema import MIGRATIONS

log = logging.getLogger(__name__)

EXPIRE_BATCH = 500  # messages per retention transaction: short enough not to stall live sends
BUSY_TIMEOUT_MS = 5_000  # another process (``twinspace seed-demo``) may hold the write lock briefly

M = TypeVar("M", bound=BaseModel)


def _dump(model: BaseModel) -> str:
    return model.model_dump_json()


def _load(cls: type[M], doc: str) -> M:
    return cls.model_validate_json(doc)


class SqliteDocumentStore:
    """:class:`rooms.ports.DocumentStore` on SQLite."""

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
            async with self._reader.execute(sql, tuple(params)) as cur:
                rows = list(await cur.fetchall())
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

    @staticmethod
    async def _one(conn: aiosqlite.Connection, sql: str, params: Iterable[Any] = ()) -> Any:
        async with conn.execute(sql, tuple(params)) as cur:
            return await cur.fetchone()

    # ---- projects -------------------------------------------------------------------

    async def create_project(self, project: Project, founders: list[Member]) -> bool:
        async with self._transaction() as conn:
            if await self._one(conn, "SELECT 1 FROM projects WHERE id = ?", (project.id,)):
                return False
            await conn.execute("INSERT INTO projects (id, status, created_at, doc) VALUES (?, ?, ?, ?)",
                               (project.id, project.status, project.created_at, _dump(project)))
            for member in founders:
                await self._insert_member(conn, member)
        return True

    async def get_project(self, project_id: str) -> Project | None:
        async with self._read("SELECT doc FROM projects WHERE id = ?", (project_id,)) as rows:
            return _load(Project, rows[0][0]) if rows else None

    async def transition_project(self, project_id: str, from_status: ProjectStatus,
                                 to_status: ProjectStatus, reason: str | None, at: str,
                                 spaces: list[Space]) -> Project | None:
        async with self._transaction() as conn:
            row = await self._one(conn, "SELECT doc FROM projects WHERE id = ? AND status = ?",
                                  (project_id, from_status))
            if row is None:
                return None
            project = _load(Project, row[0]).model_copy(
                update={"status": to_status, "status_reason": reason, "updated_at": at})
            await conn.execute("UPDATE projects SET status = ?, doc = ? WHERE id = ?",
                               (to_status, _dump(project), project_id))
            for space in spaces:
                await self._insert_space(conn, space)
        return project

    async def list_projects_of(self, user_id: str, limit: int) -> list[tuple[Project, ProjectRole]]:
        sql = ("SELECT p.doc, m.role FROM members m JOIN projects p ON p.id = m.project_id "
               "WHERE m.user_id = ? ORDER BY p.created_at DESC, p.id LIMIT ?")
        async with self._read(sql, (user_id, limit)) as rows:
            return [(_load(Project, doc), role) for doc, role in rows]

    async def list_projects_by_status(self, status: ProjectStatus, limit: int) -> list[Project]:
        sql = "SELECT doc FROM projects WHERE status = ? ORDER BY created_at, id LIMIT ?"
        async with self._read(sql, (status, limit)) as rows:
            return [_load(Project, doc) for (doc,) in rows]

    # ---- members ------------------------------------------------------------------------

    async def _insert_member(self, conn: aiosqlite.Connection, member: Member) -> None:
        await conn.execute(
            "INSERT INTO members (project_id, user_id, role, joined_order, doc) VALUES (?, ?, ?, "
            "(SELECT COALESCE(MAX(joined_order), 0) + 1 FROM members WHERE project_id = ?), ?)",
            (member.project_id, member.user_id, member.role, member.project_id, _dump(member)))

    async def add_member(self, member: Member) -> bool:
        async with self._transaction() as conn:
            if await self._one(conn, "SELECT 1 FROM members WHERE project_id = ? AND user_id = ?",
                               (member.project_id, member.user_id)):
                return False
            await self._insert_member(conn, member)
        return True

    async def get_member(self, project_id: str, user_id: str) -> Member | None:
        sql = "SELECT doc FROM members WHERE project_id = ? AND user_id = ?"
        async with self._read(sql, (project_id, user_id)) as rows:
            return _load(Member, rows[0][0]) if rows else None

    async def list_members(self, project_id: str, limit: int) -> list[Member]:
        sql = "SELECT doc FROM members WHERE project_id = ? ORDER BY joined_order LIMIT ?"
        async with self._read(sql, (project_id, limit)) as rows:
            return [_load(Member, doc) for (doc,) in rows]

    async def _other_admins(self, conn: aiosqlite.Connection, project_id: str, user_id: str) -> int:
        row = await self._one(conn, "SELECT COUNT(*) FROM members WHERE project_id = ? AND role = 'admin' "
                                    "AND user_id != ?", (project_id, user_id))
        return int(row[0])

    async def set_member_role(self, project_id: str, user_id: str, role: ProjectRole) -> Member | None:
        async with self._transaction() as conn:
            row = await self._one(conn, "SELECT doc FROM members WHERE project_id = ? AND user_id = ?",
                                  (project_id, user_id))
            if row is None:
                return None
            member = _load(Member, row[0])
            if member.role == "admin" and role != "admin" and not await self._other_admins(conn, project_id, user_id):
                raise Conflict("member.last_admin")
            member = member.model_copy(update={"role": role})
            await conn.execute("UPDATE members SET role = ?, doc = ? WHERE project_id = ? AND user_id = ?",
                               (role, _dump(member), project_id, user_id))
        return member

    async def remove_member(self, project_id: str, user_id: str) -> bool:
        async with self._transaction() as conn:
            row = await self._one(conn, "SELECT role FROM members WHERE project_id = ? AND user_id = ?",
                                  (project_id, user_id))
            if row is None:
                return False
            if row[0] == "admin" and not await self._other_admins(conn, project_id, user_id):
                raise Conflict("member.last_admin")
            await conn.execute("DELETE FROM members WHERE project_id = ? AND user_id = ?", (project_id, user_id))
        return True

    # ---- spaces -------------------------------------------------------------------------

    async def _insert_space(self, conn: aiosqlite.Connection, space: Space) -> None:
        await conn.execute(
            "INSERT INTO spaces (id, project_id, visibility, created_order, doc) VALUES (?, ?, ?, "
            "(SELECT COALESCE(MAX(created_order), 0) + 1 FROM spaces WHERE project_id = ?), ?)",
            (space.id, space.project_id, space.visibility, space.project_id, _dump(space)))

    async def add_space(self, space: Space, max_per_project: int) -> bool:
        async with self._transaction() as conn:
            row = await self._one(conn, "SELECT COUNT(*) FROM spaces WHERE project_id = ?", (space.project_id,))
            if int(row[0]) >= max_per_project:
                return False
            await self._insert_space(conn, space)
        return True

    async def get_space(self, space_id: str) -> Space | None:
        async with self._read("SELECT doc FROM spaces WHERE id = ?", (space_id,)) as rows:
            return _load(Space, rows[0][0]) if rows else None

    async def list_spaces(self, project_id: str, visibilities: tuple[Visibility, ...]) -> list[Space]:
        if not visibilities:
            return []
        marks = ", ".join("?" for _ in visibilities)
        sql = (f"SELECT doc FROM spaces WHERE project_id = ? AND visibility IN ({marks}) "
               "ORDER BY created_order")
        async with self._read(sql, (project_id, *visibilities)) as rows:
            return [_load(Space, doc) for (doc,) in rows]



    # ---- chat ----------------------------------------------------------------------------

    async def append_message(self, message: Message) -> tuple[Message, bool]:
        async with self._transaction() as conn:
            row = await self._one(conn, "SELECT doc FROM messages WHERE room_id = ? AND author_id = ? "
                                        "AND client_id = ?", (message.room_id, message.author_id, message.client_id))
            if row is not None:
                return _load(Message, row[0]), False
            row = await self._one(conn, "INSERT INTO room_counters (room_id, last_seq) VALUES (?, 1) "
                                        "ON CONFLICT (room_id) DO UPDATE SET last_seq = last_seq + 1 "
                                        "RETURNING last_seq", (message.room_id,))
            stored = message.model_copy(update={"seq": int(row[0])})
            await conn.execute(
                "INSERT INTO messages (room_id, seq, id, project_id, author_id, client_id, created_at, doc) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (stored.room_id, stored.seq, stored.id, stored.project_id, stored.author_id, stored.client_id,
                 stored.created_at, _dump(stored)))
            await self._advance_marker(conn, stored.room_id, stored.author_id, stored.seq)
        return stored, True

    async def get_message(self, room_id: str, message_id: str) -> Message | None:
        sql = "SELECT doc FROM messages WHERE id = ? AND room_id = ?"
        async with self._read(sql, (message_id, room_id)) as rows:
            return _load(Message, rows[0][0]) if rows else None

    async def messages_after(self, room_id: str, after_seq: int, limit: int) -> list[Message]:
        sql = "SELECT doc FROM messages WHERE room_id = ? AND seq > ? ORDER BY seq LIMIT ?"
        async with self._read(sql, (room_id, after_seq, limit)) as rows:
            return [_load(Message, doc) for (doc,) in rows]

    async def messages_before(self, room_id: str, before_seq: int | None, limit: int) -> list[Message]:
        sql = "SELECT doc FROM messages WHERE room_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?"
        bound = before_seq if before_seq is not None else 2**62
        async with self._read(sql, (room_id, bound, limit)) as rows:
            return [_load(Message, doc) for (doc,) in reversed(rows)]

    async def _update_message(self, room_id: str, message_id: str, update: dict[str, Any],
                              deleted: bool) -> Message | None:
        async with self._transaction() as conn:
            row = await self._one(conn, "SELECT doc FROM messages WHERE id = ? AND room_id = ? AND deleted = 0",
                                  (message_id, room_id))
            if row is None:
                return None
            message = _load(Message, row[0]).model_copy(update=update)
            await conn.execute("UPDATE messages SET doc = ?, deleted = ? WHERE id = ?",
                               (_dump(message), int(deleted), message_id))
        return message

    async def edit_message(self, room_id: str, message_id: str, text: str, at: str) -> Message | None:
        return await self._update_message(room_id, message_id, {"text": text, "edited_at": at}, False)

    async def delete_message(self, room_id: str, message_id: str, by: str, at: str) -> Message | None:
        return await self._update_message(
            room_id, message_id, {"text": None, "deleted": True, "deleted_by": by, "edited_at": at}, True)

    async def last_seq(self, room_id: str) -> int:
        async with self._read("SELECT last_seq FROM room_counters WHERE room_id = ?", (room_id,)) as rows:
            return int(rows[0][0]) if rows else 0

    async def read_marker(self, room_id: str, user_id: str) -> int:
        sql = "SELECT seq FROM read_markers WHERE room_id = ? AND user_id = ?"
        async with self._read(sql, (room_id, user_id)) as rows:
            return int(rows[0][0]) if rows else 0

    @staticmethod
    async def _advance_marker(conn: aiosqlite.Connection, room_id: str, user_id: str, seq: int) -> None:
        await conn.execute("INSERT INTO read_markers (room_id, user_id, seq) VALUES (?, ?, ?) "
                           "ON CONFLICT (room_id, user_id) DO UPDATE SET seq = MAX(seq, excluded.seq)",
                           (room_id, user_id, seq))

    async def mark_read(self, room_id: str, user_id: str, seq: int) -> int:
        async with self._transaction() as conn:
            await self._advance_marker(conn, room_id, user_id, seq)
            row = await self._one(conn, "SELECT seq FROM read_markers WHERE room_id = ? AND user_id = ?",
                                  (room_id, user_id))
        return int(row[0])

    async def set_chat_retention(self, project_id: str, days: int | None, at: str) -> Project | None:
        async with self._transaction() as conn:
            row = await self._one(conn, "SELECT doc FROM projects WHERE id = ?", (project_id,))
            if row is None:
                return None
            project = _load(Project, row[0]).model_copy(update={"chat_retention_days": days, "updated_at": at})
            await conn.execute("UPDATE projects SET chat_retention_days = ?, doc = ? WHERE id = ?",
                               (days, _dump(project), project_id))
        return project

    async def projects_with_retention(self, after_id: str, limit: int) -> list[Project]:
        sql = ("SELECT doc FROM projects WHERE chat_retention_days IS NOT NULL AND id > ? "
               "ORDER BY id LIMIT ?")
        async with self._read(sql, (after_id, limit)) as rows:
            return [_load(Project, doc) for (doc,) in rows]

    async def expire_messages(self, project_id: str, created_before: str, at: str) -> int:
        expired = 0
        while True:  # in batches, so the write lock is never held long
            async with self._transaction() as conn:
                async with conn.execute("SELECT id, doc FROM messages WHERE project_id = ? AND created_at < ? "
                                        "AND deleted = 0 LIMIT ?", (project_id, created_before,
                                                                    EXPIRE_BATCH)) as cur:
                    rows = list(await cur.fetchall())
                for message_id, doc in rows:
                    tomb = _load(Message, doc).model_copy(
                        update={"text": None, "deleted": True, "deleted_by": "retention", "edited_at": at})
                    await conn.execute("UPDATE messages SET doc = ?, deleted = 1 WHERE id = ?",
                                       (_dump(tomb), message_id))
            expired += len(rows)
            if len(rows) < EXPIRE_BATCH:
                return expired
