"""Full-text search on SQLite (FTS5).

The index (migration 11 in storage/documents/sqlite_schema.py): ``search_items``, one row per live
item, and ``search_fts`` (FTS5, external content) over its ``body`` and ``tags``.

- ``body`` is the item's words as ``rooms.search_text.terms`` folds them, joined by spaces, and the
  tokenizer is ``ascii`` (it splits on ASCII punctuation and spaces only, and keeps every other
  character): FTS5 sees exactly the words the domain folds queries with, in every script. Letting
  ``unicode61`` fold would disagree with Python in places (Greek final sigma: casefold makes ς σ,
  unicode61 keeps ς; letters newer than Unicode 6.1; combining marks it keeps in words).
- ``tags`` says who may find the row (``search_tag``: a letter and a hash): ``v``/``h`` + the
  project's space for visible/hidden items of a space (and files attached there), ``f`` + the
  project's uploader for a file, ``m`` + the project for mails and files attached to mail. The query ANDs the words with the scope's tags,
  so FTS5 skips what the searcher may not read without visiting it; the same scope is checked again
  on ``search_items`` (project, space, hidden, the mail copy), which alone decides.
- ``pos`` (the rowid) is created_at in milliseconds << 20 plus a tie-breaker: ``ORDER BY rowid DESC``
  walks the matches newest first and stops at the page. Within one millisecond, the order is the
  order of indexing (not the id): the cursor is turned into the position of its item.
- Triggers on messages, threads, posts, mails and files keep the index in step in the same
  transaction as every write, whatever the path (edits, moderation, retention, erasure, a
  project's deletion); ``reindex`` rewrites documents as they were (``SET doc = doc``), which the
  triggers index again.
- New chat messages are the exception (migration 12): a send notes its message in ``search_backlog``,
  and :meth:`SearchTables.index_backlog` indexes the backlog in one transaction (one FTS5 segment for
  the whole batch), within ``BACKLOG_SECS`` of a send and before every search, so a search finds
  every message stored before it. A message edited or deleted before its turn is indexed by that
  change's trigger; its turn then indexes it again as it now is (never twice).
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

from rooms import limits
from rooms.chat_models import Message
from rooms.errors import Unavailable
from rooms.file_models import FileRecord
from rooms.forum_models import Post, Thread
from rooms.mail_models import Mail
from rooms.search_models import SEARCH_KINDS, SearchHit, SearchQuery, SearchScope
from storage.documents.sqlite_base import READER_BUSY_TIMEOUT_MS, _load, search_pos, search_tag
from storage.documents.sqlite_chat import ChatTables

_TABLES = {"message": "messages", "thread": "threads", "post": "posts", "mail": "mails", "file": "files"}
_SPACE_KINDS = ("message", "thread", "post")
# Beyond this many scope tags, the words alone go to FTS5 and search_items filters (an OR of
# hundreds of doclists costs more than it saves).
_MAX_TAGS = 64
_LAST_POS = 2**63 - 1
BACKLOG_SECS = 0.25  # new chat messages are searchable within this, and at once by a search that follows
# Messages indexed per transaction: each holds the writer (and the sends behind it) about 0.2 ms per
# message, so a batch stays short; FTS5's cost per commit is shared by the batch.
BACKLOG_BATCH = 100


def _index_backlog(raw: sqlite3.Connection) -> int:
    """Index up to BACKLOG_BATCH of the messages the sends noted, on the writer's thread; how many."""
    ids = [i for (i,) in raw.execute("SELECT message_id FROM search_backlog LIMIT ?", (BACKLOG_BATCH,))]
    if ids:
        marks = _marks(ids)
        raw.execute(f"UPDATE messages SET doc = doc WHERE id IN ({marks})", ids)  # noqa: S608 - placeholders
        raw.execute(f"DELETE FROM search_backlog WHERE message_id IN ({marks})", ids)  # noqa: S608
    return len(ids)


def _phrase(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def _marks(values: tuple[str, ...] | list[str]) -> str:
    return ", ".join("?" for _ in values)


def _match(scope: SearchScope, query: SearchQuery, spaces: tuple[str, ...]) -> str:
    words = [_phrase(w) for w in query.words[:limits.SEARCH_TERMS_MAX]]
    if query.prefix:
        words[-1] += "*"
    match = "body : (" + " AND ".join(words) + ")"
    p = scope.project_id
    tags: list[str] = []
    if set(query.kinds) & {"message", "thread", "post", "file"}:
        tags += [search_tag("v", p, s) for s in spaces]
    if set(query.kinds) & set(_SPACE_KINDS):
        tags += [search_tag("h", p, s) for s in spaces if s in scope.moderated]
    if scope.mail_owner is not None and set(query.kinds) & {"mail", "file"} and query.space_id is None:
        tags.append(search_tag("m", p, ""))
    if scope.files_of is not None and "file" in query.kinds:
        tags.append(search_tag("f", p, scope.files_of))
    if len(tags) <= _MAX_TAGS:
        match += " AND tags : (" + " OR ".join(_phrase(t) for t in tags) + ")"
    return match


def _filter(scope: SearchScope, query: SearchQuery, spaces: tuple[str, ...]) -> tuple[str, list[Any]]:
    """The scope on ``search_items`` (alias ``s``): this alone decides what may be found."""
    ors: list[str] = []
    params: list[Any] = []
    kinds = set(query.kinds)
    moderated = tuple(s for s in spaces if s in scope.moderated)
    space_kinds = tuple(k for k in _SPACE_KINDS if k in kinds)
    if space_kinds and spaces:
        clause = f"(s.kind IN ({_marks(space_kinds)}) AND s.space_id IN ({_marks(spaces)}) AND (s.hidden = 0"
        params += [*space_kinds, *spaces]
        if moderated:
            clause += f" OR s.space_id IN ({_marks(moderated)})"
            params += moderated
        ors.append(clause + "))")
    copy = "EXISTS (SELECT 1 FROM mail_copies c WHERE c.owner_id = ? AND c.mail_id = {})"
    if "mail" in kinds and scope.mail_owner is not None and query.space_id is None:
        ors.append("(s.kind = 'mail' AND " + copy.format("s.item_id") + ")")
        params.append(scope.mail_owner)
    if "file" in kinds:
        file_ors: list[str] = []
        if scope.files_of is not None:
            file_ors.append("s.author_id = ?")
            params.append(scope.files_of)
        if spaces:
            file_ors.append(f"s.space_id IN ({_marks(spaces)})")
            params += spaces
        if scope.mail_owner is not None and query.space_id is None:
            file_ors.append("(s.ref IS NOT NULL AND " + copy.format("s.ref") + ")")
            params.append(scope.mail_owner)
        if file_ors:
            ors.append("(s.kind = 'file' AND (" + " OR ".join(file_ors) + "))")
    if not ors:
        return "0", []
    sql = "s.project_id = ? AND (" + " OR ".join(ors) + ")"
    params.insert(0, scope.project_id)
    if query.space_id is not None:
        sql += " AND s.space_id = ?"
        params.append(query.space_id)
    if query.author_id is not None:
        sql += " AND s.author_id = ?"
        params.append(query.author_id)
    return sql, params


def _hit(kind: str, doc: str) -> SearchHit:
    if kind == "message":
        m = _load(Message, doc)
        return SearchHit(kind="message", id=m.id, project_id=m.project_id, space_id=m.room_id, seq=m.seq,
                         text=m.text or "", author_id=m.author, author_name=m.author_name,
                         author_role=m.author_role, created_at=m.created_at)
    if kind == "thread":
        t = _load(Thread, doc)
        return SearchHit(kind="thread", id=t.id, project_id=t.project_id, space_id=t.forum_id, thread_id=t.id,
                         title=t.title, text=t.body, author_id=t.author, author_name=t.author_name,
                         author_role=t.author_role, created_at=t.created_at)
    if kind == "post":
        p = _load(Post, doc)
        return SearchHit(kind="post", id=p.id, project_id=p.project_id, space_id=p.forum_id, thread_id=p.thread_id,
                         seq=p.seq, text=p.body or "", author_id=p.author, author_name=p.author_name,
                         author_role=p.author_role, created_at=p.created_at)
    if kind == "mail":
        mail = _load(Mail, doc)
        return SearchHit(kind="mail", id=mail.id, project_id=mail.project_id, title=mail.subject, text=mail.body,
                         author_id=mail.sender.id, author_name=mail.sender.name, author_role=mail.sender.role,
                         created_at=mail.created_at)
    f = _load(FileRecord, doc)
    return SearchHit(kind="file", id=f.id, project_id=f.project_id,
                     space_id=f.attached_to.space_id if f.attached_to is not None else None, title=f.name,
                     text=f.name, author_id=f.owner_id, author_name=f.owner_name, created_at=f.created_at)


class SearchTables(ChatTables):  # sends go through it: their messages are noted for the backlog
    """A query can take tens of milliseconds at a million items: it runs on a reader connection of its
    own in a worker thread, one at a time, never on the event loop's (whose reads are point lookups)."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self._search_reader: sqlite3.Connection | None = None
        self._search_lock = asyncio.Lock()
        self._backlog: asyncio.Task[None] | None = None

    async def append_message(self, message: Message, mention_ids: tuple[str, ...] = ()) -> tuple[Message, bool]:
        stored = await super().append_message(message, mention_ids)
        if self._backlog is None or self._backlog.done():
            self._backlog = asyncio.create_task(self._index_soon(), name="sqlite-search-backlog")
        return stored

    async def _index_soon(self) -> None:
        await asyncio.sleep(BACKLOG_SECS)
        try:
            await self.index_backlog()
        except Unavailable:
            pass  # the next send or search tries again; the backlog is kept

    async def index_backlog(self) -> int:
        """Index the new chat messages waiting (migration 12), a batch per transaction; how many."""
        done = 0
        while batch := await self._in_one_call(_index_backlog):
            done += batch
        return done

    async def aclose(self) -> None:
        if self._backlog is not None and not self._backlog.done():
            self._backlog.cancel()
            await asyncio.gather(self._backlog, return_exceptions=True)
        if self._reader is not None:
            try:  # what is left is indexed by the next start's first send or search
                await self.index_backlog()
            except Unavailable:
                pass
        async with self._search_lock:
            if self._search_reader is not None:
                self._search_reader.close()
                self._search_reader = None
        await super().aclose()

    async def _search_read(self, sql: str, params: list[Any]) -> list[Any]:
        if self._reader is None:  # not open
            raise Unavailable("backend.unavailable", backend="sqlite")
        async with self._search_lock:
            if self._search_reader is None:
                conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
                conn.execute(f"PRAGMA busy_timeout={READER_BUSY_TIMEOUT_MS}")
                conn.execute("PRAGMA query_only=ON")
                self._search_reader = conn
            reader = self._search_reader
            running = asyncio.ensure_future(asyncio.to_thread(lambda: reader.execute(sql, params).fetchall()))
            try:
                return await asyncio.shield(running)
            except asyncio.CancelledError:
                await asyncio.wait([running])  # the connection is free again before the lock is
                raise
            except sqlite3.Error as exc:
                raise Unavailable("backend.unavailable", backend="sqlite") from exc

    async def search(self, scope: SearchScope, query: SearchQuery, limit: int) -> list[SearchHit]:
        if not query.words or limit <= 0:
            return []
        spaces = scope.spaces
        if query.space_id is not None:
            spaces = (query.space_id,) if query.space_id in spaces else ()
        where, params = _filter(scope, query, spaces)
        if where == "0":
            return []
        if "message" in query.kinds:
            await self.index_backlog()  # every message stored before the search is found
        low, high = 0, _LAST_POS
        if query.since is not None:
            low = search_pos(query.since)
        if query.until is not None:
            high = search_pos(query.until)
        if query.order == "newest" and isinstance(query.after, tuple):
            high = min(high, await self._position(*query.after))
        core = (f"FROM search_fts f JOIN search_items s ON s.pos = f.rowid WHERE search_fts MATCH ? "
                f"AND f.rowid >= ? AND f.rowid < ? AND {where} ORDER BY f.rowid DESC")
        args = [_match(scope, query, spaces), low, high, *params]
        if query.order == "newest":
            sql = f"SELECT s.kind, s.item_id {core} LIMIT ?"
            args.append(limit)
        else:
            skip = query.after if isinstance(query.after, int) else 0
            sql = (f"SELECT kind, item_id FROM (SELECT s.kind, s.item_id, f.rowid AS pos, "
                   f"bm25(search_fts, 1.0, 0.0) AS score {core} LIMIT ?) ORDER BY score, pos DESC LIMIT ? OFFSET ?")
            args += [limits.SEARCH_BEST_MAX, limit, skip]
        found: list[tuple[str, str]] = [(k, i) for k, i in await self._search_read(sql, args)]
        return await self._hits(found)

    async def _position(self, created_at: str, item_id: str) -> int:
        """Where a newest-first page that ended at this item resumes (its position, or its millisecond's)."""
        rows = self._rows("SELECT pos FROM search_items WHERE item_id = ? ORDER BY pos LIMIT 1", (item_id,))
        return int(rows[0][0]) if rows else search_pos(created_at)

    async def _hits(self, found: list[tuple[str, str]]) -> list[SearchHit]:
        docs: dict[tuple[str, str], str] = {}
        for kind in SEARCH_KINDS:
            ids = [i for k, i in found if k == kind]
            if ids:
                sql = f"SELECT id, doc FROM {_TABLES[kind]} WHERE id IN ({_marks(ids)})"  # noqa: S608 - fixed names
                rows = self._rows(sql, ids)
                docs.update(((kind, i), doc) for i, doc in rows)
        return [_hit(k, docs[(k, i)]) for k, i in found if (k, i) in docs]

    async def reindex(self, kind: str, after: str, limit: int) -> tuple[int, str]:
        table = _TABLES[kind]

        def work(raw: Any) -> list[str]:
            ids = [i for (i,) in raw.execute(f"SELECT id FROM {table} WHERE id > ? ORDER BY id LIMIT ?",  # noqa: S608
                                             (after, limit))]
            if ids:  # a document rewritten as it was is indexed again (the triggers of migration 11)
                raw.execute(f"UPDATE {table} SET doc = doc WHERE id IN ({_marks(ids)})", ids)  # noqa: S608
            return ids

        ids = await self._in_one_call(work)
        return (len(ids), ids[-1]) if ids else (0, after)

    async def clear_search(self) -> None:
        # Row by row, so the FTS5 index forgets each row's words (its triggers): a maintenance step.
        await self._in_one_call(lambda raw: raw.execute("DELETE FROM search_items"))


__all__ = ["SearchTables"]
