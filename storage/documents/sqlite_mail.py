"""Internal mail on SQLite: one row per mail, one per person's copy.

A mail's ``rowid`` orders the supervision view (mails are never deleted, so it only grows);
``supervised`` is a column of its own for that view's index.
"""

from __future__ import annotations

from typing import Any

from rooms.audit_models import AuditEntry
from rooms.file_models import Attachment
from rooms.mail_models import Mail, MailCopy
from storage.documents.sqlite_audit import insert_audit
from storage.documents.sqlite_base import SqliteBase, _dump, _load
from storage.documents.sqlite_files import attach_all

_COPY = "SELECT m.doc, c.owner_id, c.folder, c.read, c.ord FROM mail_copies c JOIN mails m ON m.id = c.mail_id"


def _copy(doc: str, owner_id: str, folder: str, read: int) -> MailCopy:
    return MailCopy(mail=_load(Mail, doc), owner_id=owner_id, folder=folder, read=bool(read))


class MailTables(SqliteBase):
    async def store_mail(self, mail: Mail, copies: list[MailCopy]) -> None:
        async with self._transaction() as conn:
            await attach_all(conn, mail.attachments, mail.sender.id, Attachment(kind="mail", id=mail.id))
            await conn.execute("INSERT INTO mails (id, project_id, conversation_id, supervised, doc) "
                               "VALUES (?, ?, ?, ?, ?)",
                               (mail.id, mail.project_id, mail.conversation_id, int(mail.supervised), _dump(mail)))
            await conn.executemany(
                "INSERT INTO mail_copies (owner_id, mail_id, project_id, folder, read) VALUES (?, ?, ?, ?, ?)",
                [(c.owner_id, mail.id, mail.project_id, c.folder, int(c.read)) for c in copies])

    async def get_copy(self, owner_id: str, mail_id: str) -> MailCopy | None:
        rows = self._rows(_COPY + " WHERE c.owner_id = ? AND c.mail_id = ?", (owner_id, mail_id))
        return _copy(*rows[0][:4]) if rows else None

    async def list_copies(self, owner_id: str, folder: str, project_id: str | None, before: int | None,
                          limit: int) -> list[tuple[MailCopy, int]]:
        sql = _COPY + " WHERE c.owner_id = ? AND c.folder = ? AND c.ord < ?"
        params: list[Any] = [owner_id, folder, before if before is not None else 2**62]
        if project_id is not None:
            sql += " AND c.project_id = ?"
            params.append(project_id)
        rows = self._rows(sql + " ORDER BY c.ord DESC LIMIT ?", (*params, limit))
        return [(_copy(*row[:4]), int(row[4])) for row in rows]

    async def update_copy(self, owner_id: str, mail_id: str, changes: dict[str, Any]) -> MailCopy | None:
        columns = {k: (int(v) if isinstance(v, bool) else v) for k, v in changes.items() if k in ("folder", "read")}
        if columns:
            assignments = ", ".join(f"{k} = ?" for k in columns)
            async with self._transaction() as conn:
                await conn.execute(f"UPDATE mail_copies SET {assignments} WHERE owner_id = ? AND mail_id = ?",
                                   (*columns.values(), owner_id, mail_id))
        return await self.get_copy(owner_id, mail_id)

    async def delete_copy(self, owner_id: str, mail_id: str) -> bool:
        async with self._transaction() as conn:
            cur = await conn.execute("DELETE FROM mail_copies WHERE owner_id = ? AND mail_id = ?", (owner_id, mail_id))
            return cur.rowcount > 0

    async def unread_mail(self, owner_id: str) -> int:
        sql = "SELECT COUNT(*) FROM mail_copies WHERE owner_id = ? AND folder = 'inbox' AND read = 0"
        rows = self._rows(sql, (owner_id,))
        return int(rows[0][0])

    async def get_mail(self, mail_id: str) -> Mail | None:
        rows = self._rows("SELECT doc FROM mails WHERE id = ?", (mail_id,))
        return _load(Mail, rows[0][0]) if rows else None

    async def list_supervised_mail(self, project_id: str, before: int | None,
                                   limit: int) -> list[tuple[Mail, int]]:
        sql = ("SELECT doc, rowid FROM mails WHERE project_id = ? AND supervised = 1 AND rowid < ? "
               "ORDER BY rowid DESC LIMIT ?")
        rows = self._rows(sql, (project_id, before if before is not None else 2**62, limit))
        return [(_load(Mail, doc), int(order)) for doc, order in rows]

    async def conversation_mails(self, project_id: str, conversation_id: str, limit: int) -> list[Mail]:
        sql = ("SELECT doc FROM mails WHERE conversation_id = ? AND project_id = ? AND supervised = 1 "
               "ORDER BY rowid LIMIT ?")
        rows = self._rows(sql, (conversation_id, project_id, limit))
        return [_load(Mail, doc) for (doc,) in rows]

    async def remove_mail(self, mail_id: str, by: str, at: str, audit: AuditEntry | None = None) -> Mail | None:
        async with self._transaction() as conn:
            row = await self._one(conn, "SELECT doc FROM mails WHERE id = ?", (mail_id,))
            if row is None:
                return None
            mail = _load(Mail, row[0])
            if mail.removed_by is not None:
                return None
            mail = mail.removed(by, at)
            await conn.execute("UPDATE mails SET doc = ? WHERE id = ?", (_dump(mail), mail_id))
            await insert_audit(conn, audit)
        return mail

