"""Retention sweeps and the deletion of ended projects on SQLite (:class:`rooms.ports.RetentionStore`).

Each batch is one transaction on the writer's thread (``_in_one_call``): it selects at most
``limit`` items by the cut-off, still not expired, and changes them, so two instances (two
processes on one database file) serialise on SQLite's write lock and each item changes once.
"Not expired" is ``deleted_by`` not "retention" for messages and posts (a tombstone its author
or a moderator made still names its author and lists its files: retention clears it too; for
messages, the ``expired`` column says it, migration 13) and a title not cleared yet for threads
(a moderator's deletion keeps the thread's text).
An item's files are marked expired in the same transaction as the item.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from rooms.audit_models import AuditEntry
from rooms.chat_models import Message
from rooms.file_models import FileRecord
from rooms.forum_models import Post, Thread
from rooms.models import RETENTION_FIELDS, Project
from storage.documents.sqlite_audit import insert_audit_now
from storage.documents.sqlite_base import SqliteBase, _dump, _load
from storage.documents.sqlite_chat import message_columns, next_rev

_ANY_PERIOD = " OR ".join(f"json_extract(doc, '$.{f}') IS NOT NULL" for f in RETENTION_FIELDS)
# Not expired by retention yet: live items, and tombstones a person made (they may still name their
# author and list files). The same expression as the partial index of the schema on posts, so it serves.
_NOT_EXPIRED = "json_extract(doc, '$.deleted_by') IS NOT 'retention'"
_MARK = ("UPDATE files SET attached = 1, doc = json_set(doc, '$.expired_at', ?) "
         "WHERE id = ? AND json_extract(doc, '$.expired_at') IS NULL")


def _marks(conn: sqlite3.Connection, file_ids: list[str], at: str) -> None:
    """Mark these files expired (unreadable, unattachable) inside the caller's transaction."""
    conn.executemany(_MARK, [(at, file_id) for file_id in file_ids])


def _placeholders(values: list[Any]) -> str:
    return ", ".join("?" for _ in values)


class RetentionTables(SqliteBase):
    async def set_retention(self, project_id: str, periods: dict[str, int | None], at: str,
                            audit: AuditEntry | None = None) -> Project | None:
        changes = {k: v for k, v in periods.items() if k in RETENTION_FIELDS}

        def work(conn: sqlite3.Connection) -> Project | None:
            row = conn.execute("SELECT doc FROM projects WHERE id = ?", (project_id,)).fetchone()
            if row is None:
                return None
            project = _load(Project, row[0]).model_copy(update={**changes, "updated_at": at})
            conn.execute("UPDATE projects SET chat_retention_days = ?, doc = ? WHERE id = ?",
                         (project.chat_retention_days, _dump(project), project_id))
            insert_audit_now(conn, audit)
            return project
        return await self._in_one_call(work)

    async def projects_with_retention(self, after_id: str, limit: int) -> list[Project]:
        # Projects are few (one per school partnership): reading their documents by id is cheap.
        sql = (f"SELECT doc FROM projects WHERE id > ? AND ({_ANY_PERIOD} OR EXISTS (SELECT 1 FROM files f "
               "WHERE f.project_id = projects.id AND json_extract(f.doc, '$.expired_at') IS NOT NULL)) "
               "ORDER BY id LIMIT ?")
        rows = self._rows(sql, (after_id, limit))
        return [_load(Project, doc) for (doc,) in rows]

    async def expire_messages(self, project_id: str, created_before: str, at: str, limit: int) -> int:
        def work(conn: sqlite3.Connection) -> int:
            rows = conn.execute("SELECT id, doc FROM messages WHERE project_id = ? AND expired = 0 AND created_at < ? "
                                "LIMIT ?", (project_id, created_before, limit)).fetchall()
            for message_id, doc in rows:
                message = _load(Message, doc)
                _marks(conn, [f.id for f in message.attachments], at)
                tomb = message.model_copy(update={"text": None, "poll": None, "author_name": "", "attachments": [],
                                                  "deleted": True, "deleted_by": "retention", "edited_at": at,
                                                  "rev": next_rev(conn, message.room_id)})
                conn.execute("UPDATE messages SET doc = ?, deleted = 1, expired = 1, rev = ?, pinned_at = ?, "
                             "poll_closes_at = ? WHERE id = ?", (_dump(tomb), *message_columns(tomb), message_id))
                conn.execute("DELETE FROM poll_votes WHERE message_id = ?", (message_id,))  # a poll's choices go too
            return len(rows)
        return await self._in_one_call(work)

    async def expire_posts(self, project_id: str, created_before: str, at: str, limit: int) -> int:
        def work(conn: sqlite3.Connection) -> int:
            rows = conn.execute("SELECT id, doc FROM posts WHERE json_extract(doc, '$.project_id') = ? "
                                f"AND json_extract(doc, '$.created_at') < ? AND {_NOT_EXPIRED} LIMIT ?",
                                (project_id, created_before, limit)).fetchall()
            for post_id, doc in rows:
                post = _load(Post, doc)
                _marks(conn, [f.id for f in post.attachments], at)
                tomb = post.model_copy(update={"body": None, "body_html": None, "author_name": "", "attachments": [],
                                               "deleted": True, "deleted_by": "retention", "edited_at": at})
                conn.execute("UPDATE posts SET doc = ?, deleted = 1 WHERE id = ?", (_dump(tomb), post_id))
            return len(rows)
        return await self._in_one_call(work)

    async def expire_threads(self, project_id: str, created_before: str, at: str, limit: int) -> int:
        def work(conn: sqlite3.Connection) -> int:
            rows = conn.execute(
                "SELECT t.id, t.doc FROM threads t WHERE json_extract(t.doc, '$.project_id') = ? "
                "AND json_extract(t.doc, '$.created_at') < ? AND json_extract(t.doc, '$.title') != '' "
                "AND NOT EXISTS (SELECT 1 FROM posts p WHERE p.thread_id = t.id AND p.deleted = 0) LIMIT ?",
                (project_id, created_before, limit)).fetchall()
            for thread_id, doc in rows:
                thread = _load(Thread, doc)
                _marks(conn, [f.id for f in thread.attachments], at)
                gone = thread.model_copy(update={"title": "", "body": "", "body_html": "", "author_name": "",
                                                 "attachments": [], "deleted": True, "edited_at": at})
                conn.execute("UPDATE threads SET doc = ?, deleted = 1 WHERE id = ?", (_dump(gone), thread_id))
            return len(rows)
        return await self._in_one_call(work)

    async def expire_mails(self, project_id: str, created_before: str, at: str, limit: int) -> int:
        def work(conn: sqlite3.Connection) -> int:
            rows = conn.execute("SELECT id, json_extract(doc, '$.attachments') FROM mails WHERE project_id = ? "
                                "AND json_extract(doc, '$.created_at') < ? LIMIT ?",
                                (project_id, created_before, limit)).fetchall()
            ids = [mail_id for mail_id, _ in rows]
            if not ids:
                return 0
            _marks(conn, [f["id"] for _, refs in rows for f in json.loads(refs or "[]")], at)
            conn.execute(f"DELETE FROM mail_copies WHERE mail_id IN ({_placeholders(ids)})", ids)
            conn.execute(f"DELETE FROM mails WHERE id IN ({_placeholders(ids)})", ids)
            return len(ids)
        return await self._in_one_call(work)

    async def expiring_files(self, project_id: str, at: str, limit: int, *, unattached_before: str | None = None,
                             every_file: bool = False) -> list[FileRecord]:
        def work(conn: sqlite3.Connection) -> list[FileRecord]:
            if every_file:
                conn.execute("UPDATE files SET attached = 1, doc = json_set(doc, '$.expired_at', ?) "
                             "WHERE project_id = ? AND json_extract(doc, '$.expired_at') IS NULL", (at, project_id))
            elif unattached_before is not None:
                # attached = 1 as well: the item write that attaches a file needs attached = 0.
                conn.execute("UPDATE files SET attached = 1, doc = json_set(doc, '$.expired_at', ?) "
                             "WHERE project_id = ? AND attached = 0 AND json_extract(doc, '$.expired_at') IS NULL "
                             "AND json_extract(doc, '$.created_at') < ?", (at, project_id, unattached_before))
            rows = conn.execute("SELECT doc FROM files WHERE project_id = ? "
                                "AND json_extract(doc, '$.expired_at') IS NOT NULL LIMIT ?",
                                (project_id, limit)).fetchall()
            return [_load(FileRecord, doc) for (doc,) in rows]
        return await self._in_one_call(work)

    async def projects_to_delete(self, archived_before: str, now: str, limit: int) -> list[Project]:
        sql = ("SELECT doc FROM projects WHERE status = 'archived' "
               "AND COALESCE(json_extract(doc, '$.held'), 0) = 0 "
               "AND COALESCE(json_extract(doc, '$.archived_at'), json_extract(doc, '$.updated_at')) < ? "
               "AND json_extract(doc, '$.delete_after') <= ? ORDER BY created_at, id LIMIT ?")
        rows = self._rows(sql, (archived_before, now, limit))
        return [_load(Project, doc) for (doc,) in rows]

    async def delete_project_batch(self, project_id: str, limit: int) -> int:
        spaces = "(SELECT id FROM spaces WHERE project_id = :p)"
        threads = f"(SELECT id FROM threads WHERE forum_id IN {spaces})"
        # In this order: what points at a space or thread goes before it, the project last.
        steps = [
            ("read_markers", f"room_id IN {spaces}"),
            ("room_counters", f"room_id IN {spaces}"),
            ("reactions", f"room_id IN {spaces}"),
            ("poll_votes", f"room_id IN {spaces}"),
            ("mentions", f"room_id IN {spaces}"),
            ("thread_markers", f"thread_id IN {threads}"),
            ("posts", f"thread_id IN {threads}"),
            ("threads", f"forum_id IN {spaces}"),
            ("forum_counters", f"forum_id IN {spaces}"),
            ("messages", "project_id = :p"),
            ("mail_copies", "project_id = :p"),
            ("mails", "project_id = :p"),
            ("reports", "project_id = :p"),
            ("erasures", "project_id = :p"),
            ("spaces", "project_id = :p"),
            ("members", "project_id = :p"),
        ]

        def work(conn: sqlite3.Connection) -> int:
            left = limit
            for table, where in steps:
                cur = conn.execute(f"DELETE FROM {table} WHERE rowid IN "  # noqa: S608 - fixed names
                                   f"(SELECT rowid FROM {table} WHERE {where} LIMIT :n)", {"p": project_id, "n": left})
                left -= cur.rowcount
                if left <= 0:
                    return limit
            if conn.execute("SELECT 1 FROM files WHERE project_id = ? LIMIT 1", (project_id,)).fetchone():
                return limit - left  # its files go first (bytes, then records): the next sweep ends it
            cur = conn.execute("DELETE FROM projects WHERE id = ?", (project_id,))
            return limit - left + cur.rowcount
        return await self._in_one_call(work)

    async def set_hold(self, project_id: str, held: bool, reason: str | None, at: str,
                       audit: AuditEntry | None = None) -> Project | None:
        def work(conn: sqlite3.Connection) -> Project | None:
            row = conn.execute("SELECT doc FROM projects WHERE id = ?", (project_id,)).fetchone()
            if row is None:
                return None
            project = _load(Project, row[0]).model_copy(
                update={"held": held, "hold_reason": reason if held else None})  # ``at`` is the audit entry's
            conn.execute("UPDATE projects SET doc = ? WHERE id = ?", (_dump(project), project_id))
            insert_audit_now(conn, audit)
            return project
        return await self._in_one_call(work)
