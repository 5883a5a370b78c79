"""Full-text search on MongoDB: a ``search`` collection of folded words, kept in step after each write.

Why not MongoDB's own text search: a ``$text`` index stems only 15 languages (no Polish, Greek,
Czech...) and folds accents only in some of them, and the in-process stand-in the tests run on
(mongomock) does not run ``$text``; Atlas Search (Lucene) exists only on MongoDB Atlas. So this is
the plain alternative MongoDB users run on any server: one ``search`` document per searchable item
(``_id`` ``"<kind>:<id>"``) holding the fields the scope filters on (project, space, kind, hidden,
uploader, the owners of a mail's copies, author, created_at, the ids that open it) and ``words``:
the folded words of its text (:func:`rooms.search_text.terms`, the same folding as the SQLite
index and the query), unique, in a multikey index ``(project_id, words, created_at)``.

- **Every word must match**: ``words: {$all: [...]}``; the last word of a query, as a prefix, is an
  anchored ``{$regex: "^prefix"}`` on ``words``, which MongoDB answers from the same index (a range
  scan over the keys between ``prefix`` and its successor, as for an equality). Stored prefixes
  (every prefix of every word, matched by equality) were measured on the stand-in: 5,000 items of
  12 words, a 3-letter prefix, newest 20: 53 ms a query against 92 ms for the regex, because
  mongomock scans every document and runs the pattern on each word; but they hold 75 index keys an
  item instead of 12 (6x the index, written on every edit). On a real server both are one index
  range scan, so the anchored regex and the smaller index win; the stand-in is for correctness.
- **Order**: the words index narrows the scan to the items holding a word; MongoDB then sorts those
  matches by (created_at, id) itself (a top-k sort bounded by the page, or by ``SEARCH_BEST_MAX``):
  a multikey index cannot hand back one item's order across several words.
- **One document per mail**, with ``owners``: those whose copy it is still in. Deleting a copy is one
  ``$pull`` on the mail's entry and its files' entries (they carry ``mail_id`` and ``owners`` too).
- **Newest**: sorted by (created_at, id) descending, after the cursor. **Best**: the newest
  ``limits.SEARCH_BEST_MAX`` matches are fetched (words and length only) and ranked in Python by a
  BM25 weight with the candidates as the corpus (idf of each query word among them; a word counts
  once per item; shorter items weigh more), ties newest first; ``after`` skips that many hits.

**Kept in step, without transactions**: each write of the adapter writes its item first, then its
entry (one write: an upsert of the entry rebuilt from the stored item, or a delete; a send,
thread, post or mail with files adds one ``update_many`` of those files' entries). A crash between
the two, or MongoDB failing the second, leaves an entry missing (the item is not found) or stale
(it says what the item said before). A failed index write is logged, not raised (the item is
stored; a chat retry indexes its message again); ``twinspace reindex`` repairs the rest. **A stale entry never
reveals more than the item allows now**: the index only proposes candidates; each one is read
again from its collection (one ``find`` by ids per kind, plus the searcher's mail copies and a
post's thread, a file's message, thread or post, as a file is read through its item), its entry
rebuilt from what is stored, and kept only if that current entry is in
the scope and matches the query (:func:`_visible`, :func:`_matches`). The hit's text comes from
the stored item, never from the index. A page is filled from further candidates when some fail.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Coroutine
from typing import Any

from pydantic import BaseModel
from pymongo import ASCENDING, DESCENDING
from pymongo.errors import PyMongoError

from rooms import limits
from rooms.chat_models import Message
from rooms.file_models import Attachment, FileRecord
from rooms.forum_models import Post, Thread
from rooms.mail_models import Mail
from rooms.search_models import SEARCH_KINDS, SearchHit, SearchQuery, SearchScope
from rooms.search_text import terms
from storage.documents.mongo_audit import AuditCollections
from storage.documents.mongo_base import load, translated

log = logging.getLogger(__name__)
Entry = dict[str, Any]
_IN_SPACES = ("message", "thread", "post")
_COLLECTION = {"message": "messages", "thread": "threads", "post": "posts", "mail": "mails", "file": "files"}
_MODELS: dict[str, type[BaseModel]] = {"message": Message, "thread": Thread, "post": Post, "mail": Mail,
                                       "file": FileRecord}
_CHUNK = 100  # candidates read again per round trip
_K1, _B = 1.2, 0.75  # BM25's usual constants


def entry_id(kind: str, item_id: str) -> str:
    return f"{kind}:{item_id}"


def _entry(kind: str, item_id: str, project_id: str, text: str, created_at: str, author_id: str | None, *,
           space_id: str | None = None, thread_id: str | None = None, mail_id: str | None = None,
           hidden: bool = False, owner_id: str | None = None, owners: list[str] | None = None,
           attached_kind: str | None = None) -> Entry:
    words = terms(text)
    return {"_id": entry_id(kind, item_id), "kind": kind, "id": item_id, "project_id": project_id,
            "space_id": space_id, "thread_id": thread_id, "mail_id": mail_id, "hidden": hidden,
            "owner_id": owner_id, "owners": owners or [], "attached_kind": attached_kind,
            "author_id": author_id or "", "created_at": created_at, "words": list(dict.fromkeys(words)),
            "length": len(words)}


def message_entry(m: Message) -> Entry | None:
    if m.deleted or not m.text:
        return None
    return _entry("message", m.id, m.project_id, m.text, m.created_at, m.author_id, space_id=m.room_id,
                  hidden=m.hidden)


def thread_entry(t: Thread) -> Entry | None:
    if t.deleted or not t.title:
        return None
    return _entry("thread", t.id, t.project_id, f"{t.title}\n{t.body}", t.created_at, t.author_id,
                  space_id=t.forum_id, thread_id=t.id)


def post_entry(p: Post, thread_live: bool = True) -> Entry | None:
    if p.deleted or not p.body or not thread_live:
        return None
    return _entry("post", p.id, p.project_id, p.body, p.created_at, p.author_id, space_id=p.forum_id,
                  thread_id=p.thread_id, hidden=p.hidden)


def mail_entry(m: Mail, owners: list[str]) -> Entry | None:
    if m.removed_by is not None:
        return None
    return _entry("mail", m.id, m.project_id, f"{m.subject}\n{m.body}", m.created_at, m.sender.user_id,
                  mail_id=m.id, owners=owners)


def file_entry(f: FileRecord, owners: list[str] | None = None) -> Entry | None:
    if f.expired_at is not None:
        return None
    at = f.attached_to
    return _entry("file", f.id, f.project_id, f.name, f.created_at, f.owner_id, owner_id=f.owner_id,
                  space_id=at.space_id if at is not None else None, attached_kind=at.kind if at is not None else None,
                  mail_id=at.id if at is not None and at.kind == "mail" else None, owners=owners)


def attached_fields(kind: str, space_id: str | None, mail_id: str | None = None,
                    owners: list[str] | None = None) -> dict[str, Any]:
    """What a claim changes in its files' entries (see :meth:`SearchEntries._index_claimed`)."""
    return {"attached_kind": kind, "space_id": space_id, "mail_id": mail_id, "owners": owners or []}


def _hit(kind: str, item: Any, entry: Entry) -> SearchHit:
    common = {"kind": kind, "id": item.id, "project_id": item.project_id, "created_at": item.created_at}
    if isinstance(item, Message):
        return SearchHit(**common, space_id=item.room_id, seq=item.seq, text=item.text or "",
                         author_id=item.author_id or "", author_name=item.author_name, author_role=item.author_role)
    if isinstance(item, Thread):
        return SearchHit(**common, space_id=item.forum_id, thread_id=item.id, title=item.title, text=item.body,
                         author_id=item.author_id or "", author_name=item.author_name, author_role=item.author_role)
    if isinstance(item, Post):
        return SearchHit(**common, space_id=item.forum_id, thread_id=item.thread_id, seq=item.seq,
                         text=item.body or "", author_id=item.author_id or "", author_name=item.author_name,
                         author_role=item.author_role)
    if isinstance(item, Mail):
        return SearchHit(**common, title=item.subject, text=item.body, author_id=item.sender.user_id or "",
                         author_name=item.sender.name, author_role=item.sender.role)
    assert isinstance(item, FileRecord)
    return SearchHit(**common, space_id=entry["space_id"], title=item.name, text=item.name,
                     author_id=item.owner_id, author_name=item.owner_name)


# ---- the scope and the query: once as a MongoDB filter, once in Python for the re-check ----

def _scope_filter(scope: SearchScope) -> list[dict[str, Any]]:
    spaces = list(scope.spaces)
    moderated = [s for s in scope.moderated if s in scope.spaces]
    ors: list[dict[str, Any]] = [{"kind": {"$in": list(_IN_SPACES)}, "space_id": {"$in": spaces}, "hidden": False},
                                 {"kind": "file", "attached_kind": {"$in": list(_IN_SPACES)},
                                  "space_id": {"$in": spaces}}]
    if moderated:
        ors.append({"kind": {"$in": list(_IN_SPACES)}, "space_id": {"$in": moderated}})
    if scope.mail_owner is not None:
        ors.append({"kind": {"$in": ["mail", "file"]}, "mail_id": {"$ne": None}, "owners": scope.mail_owner})
    if scope.files_of is not None:
        ors.append({"kind": "file", "owner_id": scope.files_of})
    return ors


def _visible(entry: Entry, scope: SearchScope) -> bool:
    if entry["project_id"] != scope.project_id:
        return False
    kind, space = entry["kind"], entry["space_id"]
    if kind in _IN_SPACES:
        return space in scope.spaces and (not entry["hidden"] or space in scope.moderated)
    mine = scope.mail_owner is not None and entry["mail_id"] is not None and scope.mail_owner in entry["owners"]
    if kind == "mail":
        return mine
    return (mine or (scope.files_of is not None and entry["owner_id"] == scope.files_of)
            or (entry["attached_kind"] in _IN_SPACES and space in scope.spaces
                and (not entry["hidden"] or space in scope.moderated)))


def _split(query: SearchQuery) -> tuple[list[str], str | None]:
    words = list(dict.fromkeys(query.words))
    if query.prefix and words:
        return words[:-1], words[-1]
    return words, None


def query_filter(scope: SearchScope, query: SearchQuery, after: tuple[str, str] | None) -> dict[str, Any]:
    whole, prefix = _split(query)
    clauses: list[dict[str, Any]] = [{"$or": _scope_filter(scope)}]
    if whole:
        clauses.append({"words": {"$all": whole}})
    if prefix is not None:
        clauses.append({"words": {"$regex": f"^{_escaped(prefix)}"}})
    if query.space_id is not None:
        clauses.append({"space_id": query.space_id})
    if query.author_id is not None:
        clauses.append({"author_id": query.author_id})
    if query.since is not None:
        clauses.append({"created_at": {"$gte": query.since}})
    if query.until is not None:
        clauses.append({"created_at": {"$lt": query.until}})
    if after is not None:
        clauses.append({"$or": [{"created_at": {"$lt": after[0]}}, {"created_at": after[0], "id": {"$lt": after[1]}}]})
    return {"project_id": scope.project_id, "kind": {"$in": list(query.kinds)}, "$and": clauses}


def _escaped(word: str) -> str:
    return "".join(c if c.isalnum() else f"\\{c}" for c in word)  # folded words are letters and digits


def _matches(entry: Entry, query: SearchQuery) -> bool:
    whole, prefix = _split(query)
    words = set(entry["words"])
    return (entry["kind"] in query.kinds and all(w in words for w in whole)
            and (prefix is None or any(w.startswith(prefix) for w in words))
            and (query.space_id is None or entry["space_id"] == query.space_id)
            and (query.author_id is None or entry["author_id"] == query.author_id)
            and (query.since is None or entry["created_at"] >= query.since)
            and (query.until is None or entry["created_at"] < query.until))


def rank(candidates: list[Entry], query: SearchQuery) -> list[Entry]:
    """``candidates`` (newest first) by BM25 weight, best first; equal weights keep newest first."""
    if not candidates:
        return []
    whole, prefix = _split(query)
    wanted = [(w, False) for w in whole] + ([(prefix, True)] if prefix is not None else [])

    def has(entry: Entry, word: str, as_prefix: bool) -> bool:
        return any(w.startswith(word) for w in entry["words"]) if as_prefix else word in entry["words"]

    n = len(candidates)
    mean = sum(e.get("length", 1) for e in candidates) / n or 1.0
    idf = {}
    for word, as_prefix in wanted:
        containing = sum(1 for e in candidates if has(e, word, as_prefix))
        idf[word] = math.log(1 + (n - containing + 0.5) / (containing + 0.5))

    def score(entry: Entry) -> float:
        norm = _K1 * (1 - _B + _B * entry.get("length", 1) / mean)
        return float(sum(idf[w] * (_K1 + 1) / (1 + norm) for w, p in wanted if has(entry, w, p)))

    return sorted(candidates, key=score, reverse=True)  # sorted is stable: newest first among equals


class SearchEntries(AuditCollections):
    """The index writes that follow the item writes (one each; see the module's docstring).

    The item is stored when these run: a failure here is logged, not raised (the caller's write
    happened, and a retry of a send would not index it again); the entry stays missing or stale,
    which the search's re-check makes harmless and ``twinspace reindex`` repairs.
    """

    async def _step(self, what: str, write: Coroutine[Any, Any, Any]) -> None:
        try:
            await write
        except PyMongoError as exc:
            log.warning("search index: could not %s (twinspace reindex repairs it): %s", what, exc)

    async def _index(self, kind: str, item_id: str, entry: Entry | None) -> None:
        index = self._c("search")
        if entry is None:
            await self._step(f"drop {kind} {item_id}", index.delete_one({"_id": entry_id(kind, item_id)}))
        else:
            await self._step(f"index {kind} {item_id}", index.replace_one({"_id": entry["_id"]}, entry, upsert=True))

    async def _unindex(self, kind: str, item_ids: list[str]) -> None:
        if item_ids:
            await self._unindex_where({"_id": {"$in": [entry_id(kind, i) for i in item_ids]}})

    async def _unindex_where(self, query: dict[str, Any]) -> None:
        await self._step(f"drop entries {query}", self._c("search").delete_many(query))

    async def _index_update(self, query: dict[str, Any], update: dict[str, Any]) -> None:
        await self._step(f"update entries {query}", self._c("search").update_many(query, update))

    async def _index_claimed(self, file_ids: list[str], fields: dict[str, Any]) -> None:
        """Files just attached to an item: their entries say where (who may read them follows)."""
        if file_ids:
            await self._index_update({"_id": {"$in": [entry_id("file", f) for f in file_ids]}}, {"$set": fields})


class SearchCollections(SearchEntries):
    @translated
    async def search(self, scope: SearchScope, query: SearchQuery, limit: int) -> list[SearchHit]:
        if not query.words or limit <= 0 or not query.kinds:
            return []
        index = self._c("search")
        order = [("created_at", DESCENDING), ("id", DESCENDING)]
        if query.order == "best":
            fields = {"words": 1, "length": 1, "created_at": 1, "id": 1, "kind": 1}
            candidates = await (index.find(query_filter(scope, query, None), fields).sort(order)
                                .limit(limits.SEARCH_BEST_MAX).to_list(None))
            ranked = rank(candidates, query)
            skip = query.after if isinstance(query.after, int) else 0
            hits: list[SearchHit] = []
            for start in range(0, len(ranked), _CHUNK):  # re-read from the first: ``after`` counts hits
                hits += await self._recheck(ranked[start:start + _CHUNK], scope, query)
                if len(hits) >= skip + limit:
                    break
            return hits[skip:skip + limit]
        after = query.after if isinstance(query.after, tuple) else None
        hits = []
        while len(hits) < limit:
            asked = limit - len(hits)
            batch = await index.find(query_filter(scope, query, after)).sort(order).limit(asked).to_list(None)
            hits += await self._recheck(batch, scope, query)
            if len(batch) < asked:
                break
            after = (batch[-1]["created_at"], batch[-1]["id"])
        return hits[:limit]

    async def _recheck(self, candidates: list[Entry], scope: SearchScope, query: SearchQuery) -> list[SearchHit]:
        """The candidates whose item, as stored now, is in the scope and matches, in their order."""
        ids: dict[str, list[str]] = {}
        for c in candidates:
            ids.setdefault(c["kind"], []).append(c["id"])
        items: dict[tuple[str, str], Any] = {}
        for kind, kind_ids in ids.items():
            records = await self._c(_COLLECTION[kind]).find({"_id": {"$in": kind_ids}}).to_list(None)
            for r in records:
                items[(kind, r["_id"])] = load(_MODELS[kind], r)
        live_threads = await self._live_threads([i.thread_id for (k, _), i in items.items() if k == "post"])
        in_mails = [i.attached_to.id for (k, _), i in items.items()
                    if k == "file" and i.attached_to is not None and i.attached_to.kind == "mail"]
        held = await self._held_copies(scope.mail_owner, [i.id for (k, _), i in items.items() if k == "mail"]
                                       + await self._live_mails(in_mails))
        through = await self._attached_items([i.attached_to for (k, _), i in items.items()
                                              if k == "file" and i.attached_to is not None])
        hits = []
        for c in candidates:
            item = items.get((c["kind"], c["id"]))
            if item is None:
                continue
            current = _current(c["kind"], item, live_threads, held, scope.mail_owner)
            if current is not None and current["attached_kind"] in _IN_SPACES:  # read through its item, as files are
                state = through.get((current["attached_kind"], item.attached_to.id))
                if state is None:  # its item is gone: only its uploader finds it
                    current.update(attached_kind=None, space_id=None)
                else:
                    current["hidden"] = state
            if current is not None and _visible(current, scope) and _matches(current, query):
                hits.append(_hit(c["kind"], item, current))
        return hits

    async def _live_threads(self, thread_ids: list[str]) -> set[str]:
        if not thread_ids:
            return set()
        records = await self._c("threads").find({"_id": {"$in": list(set(thread_ids))}, "deleted": 0},
                                                {"_id": 1}).to_list(None)
        return {r["_id"] for r in records}

    async def _attached_items(self, places: list[Attachment]) -> dict[tuple[str, str], bool]:
        """Of the messages, threads and posts files are attached to, those live: whether each is hidden
        (a file is read through its item: ``rooms.files.FileService.readable``)."""
        by_kind: dict[str, list[str]] = {}
        for at in places:
            if at.kind in _IN_SPACES:
                by_kind.setdefault(at.kind, []).append(at.id)
        found: dict[tuple[str, str], bool] = {}
        posts: list[Post] = []
        for kind, ids in by_kind.items():
            live = {"deleted": 0} if kind == "thread" else {"deleted": False}
            for record in await self._c(_COLLECTION[kind]).find({"_id": {"$in": ids}, **live}).to_list(None):
                if kind == "post":
                    posts.append(load(Post, record))
                else:
                    found[(kind, record["_id"])] = bool(record["doc"].get("hidden", False))
        threads = await self._live_threads([p.thread_id for p in posts])
        found.update({("post", p.id): p.hidden for p in posts if p.thread_id in threads})
        return found

    async def _live_mails(self, mail_ids: list[str]) -> list[str]:
        """Those of ``mail_ids`` not removed (a removed mail lists no files: they are not found through it)."""
        if not mail_ids:
            return []
        records = await self._c("mails").find({"_id": {"$in": list(set(mail_ids))}, "doc.removed_by": None},
                                              {"_id": 1}).to_list(None)
        return [r["_id"] for r in records]

    async def _held_copies(self, owner: str | None, mail_ids: list[str]) -> set[str]:
        """Those of ``mail_ids`` of which ``owner`` still holds a copy."""
        if owner is None or not mail_ids:
            return set()
        records = await self._c("mail_copies").find({"_id": {"$in": [f"{owner}:{m}" for m in set(mail_ids)]}},
                                                    {"mail_id": 1}).to_list(None)
        return {r["mail_id"] for r in records}

    @translated
    async def reindex(self, kind: str, after: str, limit: int) -> tuple[int, str]:
        if kind not in SEARCH_KINDS:
            raise ValueError(f"not a search kind: {kind}")
        records = await (self._c(_COLLECTION[kind]).find({"_id": {"$gt": after}}).sort([("_id", ASCENDING)])
                         .limit(limit).to_list(None))
        if not records:
            return 0, after
        items: list[Any] = [load(_MODELS[kind], r) for r in records]
        live_threads = await self._live_threads([i.thread_id for i in items]) if kind == "post" else set()
        owners: dict[str, list[str]] = {}
        mail_ids = [i.id for i in items] if kind == "mail" else await self._live_mails([
            i.attached_to.id for i in items if i.attached_to is not None and i.attached_to.kind == "mail"
        ]) if kind == "file" else []
        if mail_ids:
            for copy in await self._c("mail_copies").find({"mail_id": {"$in": mail_ids}},
                                                          {"mail_id": 1, "owner_id": 1}).to_list(None):
                owners.setdefault(copy["mail_id"], []).append(copy["owner_id"])
        index = self._c("search")
        gone = []
        for item in items:
            entry = _rebuilt(kind, item, live_threads, owners)
            if entry is None:
                gone.append(item.id)
            else:
                await index.replace_one({"_id": entry["_id"]}, entry, upsert=True)
        await self._unindex(kind, gone)
        return len(records), str(records[-1]["_id"])

    @translated
    async def clear_search(self) -> None:
        await self._c("search").delete_many({})


def _rebuilt(kind: str, item: Any, live_threads: set[str], owners: dict[str, list[str]]) -> Entry | None:
    """An item's entry from what is stored: its thread's liveness, its mail's copy owners."""
    if kind == "message":
        return message_entry(item)
    if kind == "thread":
        return thread_entry(item)
    if kind == "post":
        return post_entry(item, item.thread_id in live_threads)
    if kind == "mail":
        return mail_entry(item, owners.get(item.id, []))
    at = item.attached_to
    return file_entry(item, owners.get(at.id, []) if at is not None and at.kind == "mail" else None)


def _current(kind: str, item: Any, live_threads: set[str], held: set[str], owner: str | None) -> Entry | None:
    """The entry as the item stands now, for one searcher: of the mail owners, only whether they are one."""
    mine = [owner] if owner is not None else []
    if kind == "mail":
        return _rebuilt(kind, item, live_threads, {item.id: mine} if item.id in held else {})
    if kind == "file" and item.attached_to is not None and item.attached_to.kind == "mail":
        return _rebuilt(kind, item, live_threads, {item.attached_to.id: mine} if item.attached_to.id in held else {})
    return _rebuilt(kind, item, live_threads, {})

