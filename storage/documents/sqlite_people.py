"""One person's items on SQLite: paged for an export, erased in bounded batches (:class:`rooms.ports.PersonStore`).

Threads, posts and mails keep their author in the document only: the schema indexes those
JSON paths (migration 7), and the queries here use the same expressions so SQLite uses them.
Each erasing call is one short transaction of at most ``limit`` items.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel

from rooms.audit_models import AuditEntry
from rooms.chat_models import Message
from rooms.errors import Conflict
from rooms.file_models import FileRecord
from rooms.forum_models import Post, Thread
from rooms.mail_models import Mail
from rooms.mentions import names, unmentioned
from rooms.privacy_models import (
    ErasureState,
    ErasureSummary,
    ReadMarker,
    erased_mail,
    erased_message,
    erased_post,
    erased_thread,
    unnamed_recipient,
)
from storage.documents.sqlite_audit import insert_audit
from storage.documents.sqlite_base import _dump, _load
from storage.documents.sqlite_chat import message_columns, next_rev_in
from storage.documents.sqlite_projects import ProjectTables

M = TypeVar("M", bound=BaseModel)

_THREADS = ("FROM threads WHERE json_extract(doc, '$.author_id') = ? AND json_extract(doc, '$.project_id') = ? "
            "AND id > ?")
_POSTS = ("FROM posts WHERE json_extract(doc, '$.author_id') = ? AND json_extract(doc, '$.project_id') = ? "
          "AND id > ?")
_MESSAGES = "FROM messages WHERE author_id = ? AND project_id = ? AND id > ?"
_MAILS = "FROM mails WHERE json_extract(doc, '$.sender.user_id') = ? AND project_id = ? AND id > ?"
_FILES = "FROM files WHERE owner_id = ? AND project_id = ? AND id > ?"
_RECEIVED = ("FROM mails WHERE project_id = ? AND EXISTS (SELECT 1 FROM json_each(mails.doc, '$.to') "
             "WHERE json_extract(value, '$.user_id') = ?)")


class PersonTables(ProjectTables):  # begin_erasure removes a membership as remove_member does
    async def _person_page(self, cls: type[M], where: str, user_id: str, project_id: str, after_id: str,
                           limit: int) -> list[M]:
        sql = f"SELECT doc {where} ORDER BY id LIMIT ?"
        rows = self._rows(sql, (user_id, project_id, after_id, limit))
        return [_load(cls, doc) for (doc,) in rows]

    async def messages_by(self, project_id: str, user_id: str, after_id: str, limit: int) -> list[Message]:
        return await self._person_page(Message, _MESSAGES, user_id, project_id, after_id, limit)

    async def threads_by(self, project_id: str, user_id: str, after_id: str, limit: int) -> list[Thread]:
        return await self._person_page(Thread, _THREADS, user_id, project_id, after_id, limit)

    async def posts_by(self, project_id: str, user_id: str, after_id: str, limit: int) -> list[Post]:
        return await self._person_page(Post, _POSTS, user_id, project_id, after_id, limit)

    async def mails_from(self, project_id: str, user_id: str, after_id: str, limit: int) -> list[Mail]:
        return await self._person_page(Mail, _MAILS, user_id, project_id, after_id, limit)

    async def files_of(self, project_id: str, user_id: str, after_id: str, limit: int) -> list[FileRecord]:
        return await self._person_page(FileRecord, _FILES, user_id, project_id, after_id, limit)

    async def read_markers_of(self, project_id: str, user_id: str, limit: int) -> list[ReadMarker]:
        rooms_sql = ("SELECT r.room_id, r.seq FROM read_markers r JOIN spaces s ON s.id = r.room_id "
                     "WHERE r.user_id = ? AND s.project_id = ? ORDER BY r.room_id LIMIT ?")
        threads_sql = ("SELECT m.thread_id, m.seq FROM thread_markers m JOIN threads t ON t.id = m.thread_id "
                       "JOIN spaces s ON s.id = t.forum_id WHERE m.user_id = ? AND s.project_id = ? "
                       "ORDER BY m.thread_id LIMIT ?")
        rows = self._rows(rooms_sql, (user_id, project_id, limit))
        markers = [ReadMarker(kind="room", id=room_id, seq=int(seq)) for room_id, seq in rows]
        rows = self._rows(threads_sql, (user_id, project_id, limit - len(markers)))
        markers += [ReadMarker(kind="thread", id=thread_id, seq=int(seq)) for thread_id, seq in rows]
        return markers

    async def _person_count(self, where: str, *params: Any) -> int:
        rows = self._rows(f"SELECT COUNT(*) {where}", params)
        return int(rows[0][0])

    async def count_person(self, project_id: str, user_id: str) -> ErasureSummary:
        both = (user_id, project_id, "")
        return ErasureSummary(
            messages=await self._person_count(_MESSAGES, *both), threads=await self._person_count(_THREADS, *both),
            posts=await self._person_count(_POSTS, *both), mails=await self._person_count(_MAILS, *both),
            mail_copies=await self._person_count("FROM mail_copies WHERE owner_id = ? AND project_id = ?", user_id,
                                                 project_id),
            files=await self._person_count(_FILES, *both))

    async def _person_erase(self, table: str, cls: type[M], where: str, user_id: str, project_id: str, limit: int,
                            erased: Callable[[M], M], columns: str = "doc = ?",
                            extra: Callable[[M], tuple[Any, ...]] = lambda _: ()) -> int:
        async with self._transaction() as conn:
            async with conn.execute(f"SELECT doc {where} ORDER BY id LIMIT ?", (user_id, project_id, "", limit)) as cur:
                rows = list(await cur.fetchall())
            for (doc,) in rows:
                item = erased(_load(cls, doc))
                await conn.execute(f"UPDATE {table} SET {columns} WHERE id = ?",
                                   (_dump(item), *extra(item), getattr(item, "id")))
        return len(rows)

    async def erase_messages(self, project_id: str, user_id: str, at: str, limit: int) -> int:
        async with self._transaction() as conn:  # each tombstone is its room's next change (rev)
            async with conn.execute(f"SELECT doc {_MESSAGES} ORDER BY id LIMIT ?",
                                    (user_id, project_id, "", limit)) as cur:
                rows = list(await cur.fetchall())
            for (doc,) in rows:
                message = erased_message(_load(Message, doc), at)
                message = message.model_copy(update={"rev": await next_rev_in(conn, message.room_id)})
                await conn.execute("UPDATE messages SET doc = ?, author_id = ?, client_id = ?, deleted = 1, rev = ?, "
                                   "pinned_at = ?, poll_closes_at = ? WHERE id = ?",
                                   (_dump(message), message.author_id, message.client_id, *message_columns(message),
                                    message.id))
        return len(rows)

    async def erase_threads(self, project_id: str, user_id: str, at: str, limit: int) -> int:
        return await self._person_erase("threads", Thread, _THREADS, user_id, project_id, limit,
                                        lambda t: erased_thread(t, at))

    async def erase_posts(self, project_id: str, user_id: str, at: str, limit: int) -> int:
        return await self._person_erase("posts", Post, _POSTS, user_id, project_id, limit,
                                        lambda p: erased_post(p, at), "doc = ?, deleted = 1")

    async def erase_mails(self, project_id: str, user_id: str, at: str, limit: int) -> int:
        return await self._person_erase("mails", Mail, _MAILS, user_id, project_id, limit, lambda m: erased_mail(m, at))

    async def erase_mail_copies(self, project_id: str, user_id: str, limit: int) -> int:
        async with self._transaction() as conn:
            cur = await conn.execute("DELETE FROM mail_copies WHERE ord IN (SELECT ord FROM mail_copies "
                                     "WHERE owner_id = ? AND project_id = ? LIMIT ?)", (user_id, project_id, limit))
            done = int(cur.rowcount)
            async with conn.execute(f"SELECT doc {_RECEIVED} LIMIT ?", (project_id, user_id, limit)) as rows_cur:
                rows = list(await rows_cur.fetchall())
            for (doc,) in rows:
                mail = unnamed_recipient(_load(Mail, doc), user_id)
                await conn.execute("UPDATE mails SET doc = ? WHERE id = ?", (_dump(mail), mail.id))
        return done + len(rows)

    async def forget_person(self, project_id: str, user_id: str) -> None:
        async with self._transaction() as conn:
            await conn.execute("DELETE FROM read_markers WHERE user_id = ? AND room_id IN "
                               "(SELECT id FROM spaces WHERE project_id = ?)", (user_id, project_id))
            await conn.execute("DELETE FROM thread_markers WHERE user_id = ? AND thread_id IN "
                               "(SELECT t.id FROM threads t JOIN spaces s ON s.id = t.forum_id WHERE s.project_id = ?)",
                               (user_id, project_id))
            # Messages that name them: their id and name go from each one's mentions, as its next change.
            async with conn.execute("SELECT m.doc FROM messages m JOIN mentions n ON n.room_id = m.room_id "
                                    "AND n.seq = m.seq WHERE n.user_id = ? AND m.room_id IN "
                                    "(SELECT id FROM spaces WHERE project_id = ?)", (user_id, project_id)) as cur:
                rows = list(await cur.fetchall())
            for (doc,) in rows:
                message = _load(Message, doc)
                if names(message, user_id):
                    changed = unmentioned(message, user_id).model_copy(
                        update={"rev": await next_rev_in(conn, message.room_id)})
                    await conn.execute("UPDATE messages SET doc = ?, rev = ? WHERE id = ?",
                                       (_dump(changed), changed.rev, changed.id))
            await conn.execute("DELETE FROM mentions WHERE user_id = ? AND room_id IN "
                               "(SELECT id FROM spaces WHERE project_id = ?)", (user_id, project_id))
            await conn.execute("DELETE FROM contacts WHERE user_id = ?", (user_id,))

    async def get_erasure(self, project_id: str, user_id: str) -> ErasureState | None:
        sql = "SELECT doc FROM erasures WHERE project_id = ? AND user_id = ?"
        rows = self._rows(sql, (project_id, user_id))
        return _load(ErasureState, rows[0][0]) if rows else None

    _SAVE = ("INSERT INTO erasures (project_id, user_id, doc) VALUES (?, ?, ?) "
             "ON CONFLICT (project_id, user_id) DO UPDATE SET doc = excluded.doc")

    async def save_erasure(self, state: ErasureState) -> None:
        async with self._transaction() as conn:
            await conn.execute(self._SAVE, (state.project_id, state.user_id, _dump(state)))

    async def begin_erasure(self, state: ErasureState, audit: AuditEntry | None = None) -> bool:
        async with self._transaction() as conn:
            row = await self._one(conn, "SELECT role FROM members WHERE project_id = ? AND user_id = ?",
                                  (state.project_id, state.user_id))
            if row is not None:
                if row[0] == "admin" and not await self._other_admins(conn, state.project_id, state.user_id):
                    raise Conflict("member.last_admin")
                await conn.execute("DELETE FROM members WHERE project_id = ? AND user_id = ?",
                                   (state.project_id, state.user_id))
            await insert_audit(conn, audit)
            await conn.execute(self._SAVE, (state.project_id, state.user_id, _dump(state)))
        return row is not None
