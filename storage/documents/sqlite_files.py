"""Shared file records on SQLite."""

from __future__ import annotations

from rooms.file_models import Attachment, FileRecord
from storage.documents.sqlite_base import SqliteBase, _dump, _load


class FileTables(SqliteBase):
    async def add_file(self, record: FileRecord) -> None:
        async with self._transaction() as conn:
            await conn.execute("INSERT INTO files (id, project_id, owner_id, size, attached, doc) "
                               "VALUES (?, ?, ?, ?, ?, ?)",
                               (record.id, record.project_id, record.owner_id, record.size,
                                int(record.attached_to is not None), _dump(record)))

    async def get_file(self, file_id: str) -> FileRecord | None:
        async with self._read("SELECT doc FROM files WHERE id = ?", (file_id,)) as rows:
            return _load(FileRecord, rows[0][0]) if rows else None

    async def attach_file(self, file_id: str, owner_id: str, attachment: Attachment) -> bool:
        async with self._transaction() as conn:
            row = await self._one(conn, "SELECT doc FROM files WHERE id = ? AND owner_id = ? AND attached = 0",
                                  (file_id, owner_id))
            if row is None:
                return False
            record = _load(FileRecord, row[0]).model_copy(update={"attached_to": attachment})
            await conn.execute("UPDATE files SET attached = 1, doc = ? WHERE id = ?", (_dump(record), file_id))
        return True

    async def delete_file(self, file_id: str) -> bool:
        async with self._transaction() as conn:
            cur = await conn.execute("DELETE FROM files WHERE id = ?", (file_id,))
            return cur.rowcount > 0

    async def project_usage(self, project_id: str) -> int:
        async with self._read("SELECT COALESCE(SUM(size), 0) FROM files WHERE project_id = ?", (project_id,)) as rows:
            return int(rows[0][0])
