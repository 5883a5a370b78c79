"""The audit log on SQLite: append-only rows, refused updates and deletes (triggers in the schema)."""

from __future__ import annotations

import sqlite3
from typing import Any

from rooms.audit_models import AuditEntry
from storage.documents.sqlite_base import SqliteBase, WriteTransaction, _dump, _load

_INSERT = "INSERT INTO audit_log (id, project_id, actor_id, action, target_id, at, doc) VALUES (?, ?, ?, ?, ?, ?, ?)"


def _row(entry: AuditEntry) -> tuple[Any, ...]:
    return (entry.id, entry.project_id, entry.actor_id, entry.action, entry.target_id, entry.at, _dump(entry))


async def insert_audit(conn: WriteTransaction, entry: AuditEntry | None) -> None:
    """Record ``entry`` inside the transaction of the change it describes (nothing when None)."""
    if entry is not None:
        await conn.execute(_INSERT, _row(entry))


def insert_audit_now(conn: sqlite3.Connection, entry: AuditEntry | None) -> None:
    """:func:`insert_audit` for work that runs on the writer's thread (``_in_one_call``)."""
    if entry is not None:
        conn.execute(_INSERT, _row(entry))


class AuditTables(SqliteBase):
    async def append_audit(self, entry: AuditEntry) -> None:
        async with self._transaction() as conn:
            await insert_audit(conn, entry)

    async def list_audit(self, project_id: str, before: int | None, limit: int, *, actor_id: str | None = None,
                         action: str | None = None, target_id: str | None = None) -> list[tuple[AuditEntry, int]]:
        sql = "SELECT doc, ord FROM audit_log WHERE project_id = ? AND ord < ?"
        params: list[Any] = [project_id, before if before is not None else 2**62]
        for column, value in (("actor_id", actor_id), ("action", action), ("target_id", target_id)):
            if value is not None:
                sql += f" AND {column} = ?"
                params.append(value)
        rows = self._rows(sql + " ORDER BY ord DESC LIMIT ?", (*params, limit))
        return [(_load(AuditEntry, doc), int(order)) for doc, order in rows]
