"""Forum threads, posts and thread read markers on MongoDB.

A post takes its ``seq`` from the thread document itself (``$inc`` on
``post_count``, only while the thread is neither locked nor deleted), so
numbering and the lock check are one atomic step.

A thread's or post's files are claimed before anything else is written
(see ``mongo_files`` for the order and its window): a claim that loses
costs no activity number and no post ``seq``.
"""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, DESCENDING, ReturnDocument

from rooms.audit_models import AuditEntry
from rooms.file_models import Attachment
from rooms.forum_models import Post, Thread
from storage.documents.mongo_base import doc_set, dump, load, translated
from storage.documents.mongo_files import claiming, insert_item, release
from storage.documents.mongo_search import SearchEntries, attached_fields, post_entry, thread_entry

_MIRRORED = ("pinned", "deleted", "locked")  # thread fields also kept top-level for the listing


class ForumCollections(SearchEntries):
    @translated
    async def create_thread(self, thread: Thread) -> Thread:
        where = Attachment(kind="thread", id=thread.id, space_id=thread.forum_id)
        async with claiming(self._c("files"), thread.attachments, thread.author, where) as claimed:
            activity = await self._next(f"forum:{thread.forum_id}")
            await insert_item(self._c("threads"), {"_id": thread.id, "forum_id": thread.forum_id,
                                                   "activity": activity, "doc": dump(thread),
                                                   **{k: int(getattr(thread, k)) for k in _MIRRORED}})
        await self._index("thread", thread.id, thread_entry(thread))
        await self._index_claimed(claimed, attached_fields("thread", thread.forum_id))
        return thread

    @translated
    async def get_thread(self, thread_id: str) -> Thread | None:
        record = await self._c("threads").find_one({"_id": thread_id})
        return load(Thread, record) if record else None

    @translated
    async def list_threads(self, forum_id: str, after: tuple[int, int] | None,
                           limit: int) -> list[tuple[Thread, int]]:
        query: dict[str, Any] = {"forum_id": forum_id, "deleted": 0}
        if after is not None:
            query["$or"] = [{"pinned": {"$lt": after[0]}}, {"pinned": after[0], "activity": {"$lt": after[1]}}]
        records = await (self._c("threads").find(query).sort([("pinned", DESCENDING), ("activity", DESCENDING)])
                         .limit(limit).to_list(None))
        return [(load(Thread, r), int(r["activity"])) for r in records]

    @translated
    async def update_thread(self, thread_id: str, changes: dict[str, Any], *,
                            audit: AuditEntry | None = None) -> Thread | None:
        top = {k: int(v) for k, v in changes.items() if k in _MIRRORED}
        record = await self._c("threads").find_one_and_update(
            {"_id": thread_id, "deleted": 0}, {"$set": {**top, **doc_set(changes)}},
            return_document=ReturnDocument.AFTER)
        if record is None:
            return None
        thread = load(Thread, record)
        if thread.deleted:  # its entry and its posts' (they carry its id)
            await self._unindex_where({"thread_id": thread.id})
        else:
            await self._index("thread", thread.id, thread_entry(thread))
        await self._insert_audit(audit)
        return thread

    @translated
    async def add_post(self, post: Post) -> Post | None:
        files = self._c("files")
        where = Attachment(kind="post", id=post.id, space_id=post.forum_id)
        async with claiming(files, post.attachments, post.author, where) as claimed:
            record = await self._c("threads").find_one_and_update(
                {"_id": post.thread_id, "deleted": 0, "locked": 0},
                {"$inc": {"doc.post_count": 1}, "$set": {"doc.last_activity_at": post.created_at}},
                return_document=ReturnDocument.AFTER)
            if record is None:
                await release(files, claimed, post.id)
                return None
            stored = post.model_copy(update={"seq": int(record["doc"]["post_count"])})
            activity = await self._next(f"forum:{record['forum_id']}")
            await self._c("threads").update_one({"_id": post.thread_id, "activity": {"$lt": activity}},
                                                {"$set": {"activity": activity}})
            await insert_item(self._c("posts"), {"_id": stored.id, "thread_id": stored.thread_id,
                                                 "seq": stored.seq, "deleted": False, "doc": dump(stored)})
        await self._index("post", stored.id, post_entry(stored))
        await self._index_claimed(claimed, attached_fields("post", stored.forum_id))
        await self._advance_thread(stored.thread_id, stored.author, stored.seq)
        return stored

    @translated
    async def get_post(self, post_id: str) -> Post | None:
        record = await self._c("posts").find_one({"_id": post_id})
        return load(Post, record) if record else None

    @translated
    async def list_posts(self, thread_id: str, after_seq: int, limit: int) -> list[Post]:
        records = await (self._c("posts").find({"thread_id": thread_id, "seq": {"$gt": after_seq}})
                         .sort([("seq", ASCENDING)]).limit(limit).to_list(None))
        return [load(Post, r) for r in records]

    @translated
    async def update_post(self, post_id: str, changes: dict[str, Any], *,
                          audit: AuditEntry | None = None) -> Post | None:
        top = {"deleted": changes["deleted"]} if "deleted" in changes else {}
        record = await self._c("posts").find_one_and_update(
            {"_id": post_id, "deleted": False}, {"$set": {**top, **doc_set(changes)}},
            return_document=ReturnDocument.AFTER)
        if record is None:
            return None
        post = load(Post, record)
        await self._index("post", post.id, post_entry(post))
        await self._insert_audit(audit)
        return post

    @translated
    async def thread_markers(self, thread_ids: list[str], user_id: str) -> dict[str, int]:
        if not thread_ids:
            return {}
        records = await (self._c("thread_markers").find({"_id": {"$in": [f"{user_id}:{t}" for t in thread_ids]}})
                         .limit(len(thread_ids)).to_list(None))
        return {r["thread_id"]: int(r["seq"]) for r in records}

    async def _advance_thread(self, thread_id: str, user_id: str, seq: int) -> int:
        record = await self._c("thread_markers").find_one_and_update(
            {"_id": f"{user_id}:{thread_id}"},
            {"$max": {"seq": seq}, "$set": {"thread_id": thread_id, "user_id": user_id}},
            upsert=True, return_document=ReturnDocument.AFTER)
        return int(record["seq"])

    @translated
    async def mark_thread_read(self, thread_id: str, user_id: str, seq: int) -> int:
        return await self._advance_thread(thread_id, user_id, seq)
