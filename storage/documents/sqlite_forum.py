"""Forum threads, posts and thread read markers on SQLite."""

from __future__ import annotations

from typing import Any

from rooms.audit_models import AuditEntry
from rooms.file_models import Attachment
from rooms.forum_models import Post, Thread
from storage.documents.sqlite_audit import insert_audit
from storage.documents.sqlite_base import SqliteBase, WriteTransaction, _dump, _load
from storage.documents.sqlite_files import attach_all

# Thread fields mirrored in columns, because the listing filters and sorts on them.
_THREAD_COLUMNS = ("pinned", "deleted", "locked")


class ForumTables(SqliteBase):
    @staticmethod
    async def _next_activity(conn: WriteTransaction, forum_id: str) -> int:
        async with conn.execute("INSERT INTO forum_counters (forum_id, last_activity) VALUES (?, 1) "
                                "ON CONFLICT (forum_id) DO UPDATE SET last_activity = last_activity + 1 "
                                "RETURNING last_activity", (forum_id,)) as cur:
            row = await cur.fetchone()
        assert row is not None
        return int(row[0])

    async def create_thread(self, thread: Thread) -> Thread:
        async with self._transaction() as conn:
            await attach_all(conn, thread.attachments, thread.author,
                             Attachment(kind="thread", id=thread.id, space_id=thread.forum_id))
            activity = await self._next_activity(conn, thread.forum_id)
            await conn.execute("INSERT INTO threads (id, forum_id, pinned, activity, deleted, locked, doc) "
                               "VALUES (?, ?, ?, ?, ?, ?, ?)",
                               (thread.id, thread.forum_id, int(thread.pinned), activity, int(thread.deleted),
                                int(thread.locked), _dump(thread)))
        return thread

    async def get_thread(self, thread_id: str) -> Thread | None:
        rows = self._rows("SELECT doc FROM threads WHERE id = ?", (thread_id,))
        return _load(Thread, rows[0][0]) if rows else None

    async def list_threads(self, forum_id: str, after: tuple[int, int] | None,
                           limit: int) -> list[tuple[Thread, int]]:
        sql = "SELECT doc, activity FROM threads WHERE forum_id = ? AND deleted = 0"
        params: list[Any] = [forum_id]
        if after is not None:
            sql += " AND (pinned < ? OR (pinned = ? AND activity < ?))"
            params += [after[0], after[0], after[1]]
        sql += " ORDER BY pinned DESC, activity DESC LIMIT ?"
        rows = self._rows(sql, (*params, limit))
        return [(_load(Thread, doc), int(activity)) for doc, activity in rows]

    async def update_thread(self, thread_id: str, changes: dict[str, Any], *,
                            audit: AuditEntry | None = None) -> Thread | None:
        async with self._transaction() as conn:
            row = await self._one(conn, "SELECT doc FROM threads WHERE id = ? AND deleted = 0", (thread_id,))
            if row is None:
                return None
            thread = _load(Thread, row[0]).model_copy(update=changes)
            await conn.execute("UPDATE threads SET pinned = ?, deleted = ?, locked = ?, doc = ? WHERE id = ?",
                               (*(int(getattr(thread, c)) for c in _THREAD_COLUMNS), _dump(thread), thread_id))
            await insert_audit(conn, audit)
        return thread

    async def add_post(self, post: Post) -> Post | None:
        async with self._transaction() as conn:
            row = await self._one(conn, "SELECT doc FROM threads WHERE id = ? AND deleted = 0 AND locked = 0",
                                  (post.thread_id,))
            if row is None:
                return None
            await attach_all(conn, post.attachments, post.author,
                             Attachment(kind="post", id=post.id, space_id=post.forum_id))
            thread = _load(Thread, row[0])
            stored = post.model_copy(update={"seq": thread.post_count + 1})
            thread = thread.model_copy(update={"post_count": stored.seq, "last_activity_at": stored.created_at})
            activity = await self._next_activity(conn, thread.forum_id)
            await conn.execute("UPDATE threads SET activity = ?, doc = ? WHERE id = ?",
                               (activity, _dump(thread), thread.id))
            await conn.execute("INSERT INTO posts (thread_id, seq, id, doc) VALUES (?, ?, ?, ?)",
                               (stored.thread_id, stored.seq, stored.id, _dump(stored)))
            await self._advance_thread_marker(conn, stored.thread_id, stored.author, stored.seq)
        return stored

    async def get_post(self, post_id: str) -> Post | None:
        rows = self._rows("SELECT doc FROM posts WHERE id = ?", (post_id,))
        return _load(Post, rows[0][0]) if rows else None

    async def list_posts(self, thread_id: str, after_seq: int, limit: int) -> list[Post]:
        sql = "SELECT doc FROM posts WHERE thread_id = ? AND seq > ? ORDER BY seq LIMIT ?"
        rows = self._rows(sql, (thread_id, after_seq, limit))
        return [_load(Post, doc) for (doc,) in rows]

    async def update_post(self, post_id: str, changes: dict[str, Any], *,
                          audit: AuditEntry | None = None) -> Post | None:
        async with self._transaction() as conn:
            row = await self._one(conn, "SELECT doc FROM posts WHERE id = ? AND deleted = 0", (post_id,))
            if row is None:
                return None
            post = _load(Post, row[0]).model_copy(update=changes)
            await conn.execute("UPDATE posts SET deleted = ?, doc = ? WHERE id = ?",
                               (int(post.deleted), _dump(post), post_id))
            await insert_audit(conn, audit)
        return post

    async def thread_markers(self, thread_ids: list[str], user_id: str) -> dict[str, int]:
        if not thread_ids:
            return {}
        marks = ", ".join("?" for _ in thread_ids)
        sql = f"SELECT thread_id, seq FROM thread_markers WHERE user_id = ? AND thread_id IN ({marks})"
        rows = self._rows(sql, (user_id, *thread_ids))
        return {thread_id: int(seq) for thread_id, seq in rows}

    @staticmethod
    async def _advance_thread_marker(conn: WriteTransaction, thread_id: str, user_id: str, seq: int) -> None:
        await conn.execute("INSERT INTO thread_markers (thread_id, user_id, seq) VALUES (?, ?, ?) "
                           "ON CONFLICT (user_id, thread_id) DO UPDATE SET seq = MAX(seq, excluded.seq)",
                           (thread_id, user_id, seq))

    async def mark_thread_read(self, thread_id: str, user_id: str, seq: int) -> int:
        async with self._transaction() as conn:
            await self._advance_thread_marker(conn, thread_id, user_id, seq)
            row = await self._one(conn, "SELECT seq FROM thread_markers WHERE user_id = ? AND thread_id = ?",
                                  (user_id, thread_id))
        return int(row[0])
