"""Shared file records on SQLite, and attaching them inside the write of the item they belong to."""

from __future__ import annotations

import sqlite3
from typing import Any

from rooms.audit_models import AuditEntry
from rooms.errors import NotAttachable
from rooms.file_models import Attachment, FileRecord, FileRef
from storage.documents.sqlite_audit import insert_audit
from storage.documents.sqlite_base import SqliteBase, _dump, _load

# One statement per file: it attaches only a file still unattached and still the author's, and
# says whether it did. The record's document gets its ``attached_to`` in place.
_ATTACH = ("UPDATE files SET attached = 1, doc = json_set(doc, '$.attached_to', json(?)) "
           "WHERE id = ? AND owner_id = ? AND attached = 0 RETURNING id")


def _attach_params(ref: FileRef, owner_id: str, attachment: Attachment) -> tuple[str, str, str]:
    return attachment.model_dump_json(), ref.id, owner_id


def attach_each(raw: sqlite3.Connection, refs: list[FileRef], owner_id: str, attachment: Attachment) -> None:
    """Inside the caller's transaction (on the writer's thread): attach every file or raise ``NotAttachable``.

    The caller rolls back (the transaction, or the send's savepoint) on the exception.
    """
    for ref in refs:
        if not raw.execute(_ATTACH, _attach_params(ref, owner_id, attachment)).fetchall():
            raise NotAttachable(ref.id)


async def attach_all(conn: Any, refs: list[FileRef], owner_id: str, attachment: Attachment) -> None:
    """``attach_each`` on a connection from ``SqliteBase._transaction()``, which rolls back on the exception."""
    for ref in refs:
        if await SqliteBase._one(conn, _ATTACH, _attach_params(ref, owner_id, attachment)) is None:
            raise NotAttachable(ref.id)


class FileTables(SqliteBase):
    async def add_file(self, record: FileRecord) -> None:
        async with self._transaction() as conn:
            await conn.execute("INSERT INTO files (id, project_id, owner_id, size, attached, doc) "
                               "VALUES (?, ?, ?, ?, ?, ?)",
                               (record.id, record.project_id, record.owner_id, record.size,
                                int(record.attached_to is not None), _dump(record)))

    async def get_file(self, file_id: str) -> FileRecord | None:
        rows = self._rows("SELECT doc FROM files WHERE id = ?", (file_id,))
        return _load(FileRecord, rows[0][0]) if rows else None

    async def delete_file(self, file_id: str, *, audit: AuditEntry | None = None) -> bool:
        async with self._transaction() as conn:
            cur = await conn.execute("DELETE FROM files WHERE id = ?", (file_id,))
            if cur.rowcount == 0:
                return False
            await insert_audit(conn, audit)
            return True

    async def reserve_quota(self, reservation_id: str, project_id: str, size: int, quota: int, now: str,
                            expires_at: str) -> bool:
        # The writer runs one transaction at a time: the sum and the hold cannot interleave with another's.
        async with self._transaction() as conn:
            await conn.execute("DELETE FROM quota_reservations WHERE project_id = ? AND expires_at <= ?",
                               (project_id, now))
            (used,) = await self._one(conn, "SELECT (SELECT COALESCE(SUM(size), 0) FROM files WHERE project_id = ?)"
                                            " + (SELECT COALESCE(SUM(bytes), 0) FROM quota_reservations"
                                            " WHERE project_id = ?)", (project_id, project_id))
            if used + size > quota:
                return False
            await conn.execute("INSERT INTO quota_reservations (id, project_id, bytes, expires_at) VALUES (?, ?, ?, ?) "
                               "ON CONFLICT (id) DO UPDATE SET bytes = bytes + excluded.bytes",
                               (reservation_id, project_id, size, expires_at))
            return True

    async def release_quota(self, reservation_id: str) -> None:
        async with self._transaction() as conn:
            await conn.execute("DELETE FROM quota_reservations WHERE id = ?", (reservation_id,))

    async def project_usage(self, project_id: str) -> int:
        rows = self._rows("SELECT COALESCE(SUM(size), 0) FROM files WHERE project_id = ?", (project_id,))
        return int(rows[0][0])
