"""Retention sweeps and the deletion of ended projects on MongoDB (:class:`rooms.ports.RetentionStore`).

Without multi-document transactions a batch is a sequence of conditional steps, in an order
that a crash between two leaves safe and resumable:

- an item's files are marked expired *before* the item changes: a crash between the two
  leaves files unreadable whose item is about to go anyway, and the next sweep picks the
  item again (it is still older than the cut-off and not a tombstone) and marks them again
  (a no-op);
- the change itself is conditional (not expired by retention yet), so of several
  instances changing the same batch each item is changed by one, and each call counts only
  what it changed (``modified_count``, ``deleted_count``);
- a mail's copies are deleted before the mail: a crash between leaves a mail in nobody's
  folder, which the next sweep deletes.
"""

from __future__ import annotations

import re
from typing import Any

from pymongo import ASCENDING, ReturnDocument

from rooms.audit_models import AuditEntry
from rooms.file_models import FileRecord
from rooms.models import RETENTION_FIELDS, Project
from storage.documents.mongo_base import doc_set, load, translated
from storage.documents.mongo_chat import rev_counter
from storage.documents.mongo_search import SearchEntries

# Not expired by retention yet: live items, and tombstones a person made (they may still name their
# author and list files): retention clears those too. For threads: a title not cleared yet.
_NOT_EXPIRED: dict[str, Any] = {"doc.deleted_by": {"$ne": "retention"}}
_SCAN_MAX = 100_000  # a bound on any listing of one project's threads or archived projects


class RetentionCollections(SearchEntries):
    async def _mark(self, file_ids: list[str], at: str) -> None:
        if file_ids:
            await self._c("files").update_many({"_id": {"$in": file_ids}, "doc.expired_at": None},
                                               {"$set": {"attached": True, "doc.expired_at": at}})
            await self._unindex("file", file_ids)

    async def _drop(self, name: str, query: dict[str, Any], limit: int) -> int:
        """Delete up to ``limit`` documents matching ``query``; how many this call deleted."""
        if limit <= 0:
            return 0
        ids = [r["_id"] for r in await self._c(name).find(query, {"_id": 1}).limit(limit).to_list(None)]
        if not ids:
            return 0
        result = await self._c(name).delete_many({"_id": {"$in": ids}})
        return int(result.deleted_count)

    @translated
    async def set_retention(self, project_id: str, periods: dict[str, int | None], at: str,
                            audit: AuditEntry | None = None) -> Project | None:
        changes: dict[str, Any] = {k: v for k, v in periods.items() if k in RETENTION_FIELDS}
        top = {"chat_retention_days": changes["chat_retention_days"]} if "chat_retention_days" in changes else {}
        record = await self._c("projects").find_one_and_update(
            {"_id": project_id}, {"$set": {**top, **doc_set({**changes, "updated_at": at})}},
            return_document=ReturnDocument.AFTER)
        if record is None:
            return None
        await self._insert_audit(audit)
        return load(Project, record)

    @translated
    async def projects_with_retention(self, after_id: str, limit: int) -> list[Project]:
        periods: list[dict[str, Any]] = [{f"doc.{f}": {"$ne": None}} for f in RETENTION_FIELDS]
        pending = await self._c("files").distinct("project_id", {"doc.expired_at": {"$ne": None}})
        if pending:
            periods.append({"_id": {"$in": pending}})
        records = await (self._c("projects").find({"_id": {"$gt": after_id}, "$or": periods})
                         .sort([("_id", ASCENDING)]).limit(limit).to_list(None))
        return [load(Project, r) for r in records]

    @translated
    async def expire_messages(self, project_id: str, created_before: str, at: str, limit: int) -> int:
        messages = self._c("messages")
        while True:  # a batch another instance changed first is looked for again: 0 means none left
            batch = await (messages.find({"project_id": project_id, "created_at": {"$lt": created_before},
                                          **_NOT_EXPIRED}, {"_id": 1, "room_id": 1, "doc.attachments": 1})
                           .limit(limit).to_list(None))
            if not batch:
                return 0
            await self._mark([f["id"] for r in batch for f in r["doc"].get("attachments", [])], at)
            modified = 0
            for r in batch:  # each tombstone is its room's next change (rev)
                rev = await self._next(rev_counter(r["room_id"]))
                result = await messages.update_one(
                    {"_id": r["_id"], **_NOT_EXPIRED},
                    {"$set": {"deleted": True, "rev": rev, "pinned_at": None, "poll_closes_at": None,
                              **doc_set({"text": None, "poll": None, "author_name": "", "attachments": [], "deleted": True,
                                         "deleted_by": "retention", "edited_at": at, "rev": rev})}})
                modified += result.modified_count
                await self._c("poll_votes").delete_many({"message_id": r["_id"]})  # a poll's choices go too
            await self._unindex("message", [r["_id"] for r in batch])
            if modified:
                return modified

    @translated
    async def expire_posts(self, project_id: str, created_before: str, at: str, limit: int) -> int:
        posts = self._c("posts")
        while True:  # as expire_messages
            batch = await (posts.find({"doc.project_id": project_id, "doc.created_at": {"$lt": created_before},
                                       **_NOT_EXPIRED}, {"_id": 1, "doc.attachments": 1}).limit(limit).to_list(None))
            if not batch:
                return 0
            await self._mark([f["id"] for r in batch for f in r["doc"].get("attachments", [])], at)
            result = await posts.update_many(
                {"_id": {"$in": [r["_id"] for r in batch]}, **_NOT_EXPIRED},
                {"$set": {"deleted": True, **doc_set({"body": None, "body_html": None, "author_name": "",
                                                      "attachments": [], "deleted": True, "deleted_by": "retention",
                                                      "edited_at": at})}})
            await self._unindex("post", [r["_id"] for r in batch])
            if result.modified_count:
                return int(result.modified_count)

    @translated
    async def expire_threads(self, project_id: str, created_before: str, at: str, limit: int) -> int:
        threads, posts = self._c("threads"), self._c("posts")
        candidates = await (threads.find({"doc.project_id": project_id, "doc.created_at": {"$lt": created_before},
                                          "doc.title": {"$ne": ""}}, {"_id": 1, "doc.attachments": 1})
                            .sort([("_id", ASCENDING)]).limit(_SCAN_MAX).to_list(None))
        deleted = 0
        for record in candidates:  # a thread with a post still kept is kept: look at each in turn
            if deleted >= limit:
                break
            if await posts.find_one({"thread_id": record["_id"], "deleted": False}, {"_id": 1}) is not None:
                continue
            await self._mark([f["id"] for f in record["doc"].get("attachments", [])], at)
            result = await threads.update_one(
                {"_id": record["_id"], "doc.title": {"$ne": ""}},
                {"$set": {"deleted": 1, **doc_set({"title": "", "body": "", "body_html": "", "author_name": "",
                                                   "attachments": [], "deleted": True, "edited_at": at})}})
            await self._unindex("thread", [record["_id"]])
            deleted += int(result.modified_count)
        return deleted

    @translated
    async def expire_mails(self, project_id: str, created_before: str, at: str, limit: int) -> int:
        while True:  # as expire_messages
            batch = await (self._c("mails").find({"project_id": project_id,
                                                  "doc.created_at": {"$lt": created_before}},
                                                 {"_id": 1, "doc.attachments": 1}).limit(limit).to_list(None))
            if not batch:
                return 0
            ids = [r["_id"] for r in batch]
            await self._mark([f["id"] for r in batch for f in r["doc"].get("attachments", [])], at)
            await self._c("mail_copies").delete_many({"mail_id": {"$in": ids}})
            result = await self._c("mails").delete_many({"_id": {"$in": ids}})
            await self._unindex("mail", ids)
            if result.deleted_count:
                return int(result.deleted_count)

    @translated
    async def expiring_files(self, project_id: str, at: str, limit: int, *, unattached_before: str | None = None,
                             every_file: bool = False) -> list[FileRecord]:
        files = self._c("files")
        if every_file:
            await files.update_many({"project_id": project_id, "doc.expired_at": None},
                                    {"$set": {"attached": True, "doc.expired_at": at}})
            await self._unindex_where({"project_id": project_id, "kind": "file"})
        elif unattached_before is not None:
            # attached: True as well: a claim by an item's write needs attached: False.
            await files.update_many({"project_id": project_id, "attached": False, "doc.expired_at": None,
                                     "doc.created_at": {"$lt": unattached_before}},
                                    {"$set": {"attached": True, "doc.expired_at": at}})
            await self._unindex_where({"project_id": project_id, "kind": "file", "attached_kind": None,
                                       "created_at": {"$lt": unattached_before}})
        records = await files.find({"project_id": project_id, "doc.expired_at": {"$ne": None}}).limit(limit).to_list(None)
        return [load(FileRecord, r) for r in records]

    @translated
    async def projects_to_delete(self, archived_before: str, now: str, limit: int) -> list[Project]:
        records = await (self._c("projects").find({"status": "archived", "doc.held": {"$ne": True}})
                         .sort([("created_at", ASCENDING), ("_id", ASCENDING)]).limit(_SCAN_MAX).to_list(None))
        due = []
        for record in records:
            project = load(Project, record)
            announced = project.delete_after is not None and project.delete_after <= now
            if announced and (project.archived_at or project.updated_at) < archived_before:
                due.append(project)
        return due[:limit]

    @translated
    async def delete_project_batch(self, project_id: str, limit: int) -> int:
        # What points at a space or thread goes before it, the project last. Each anchor (a thread,
        # a space, the project) is deleted only once nothing that points at it is left: another
        # instance may be deleting the same project, and what it still has to delete must stay
        # findable. When it is (its deletes took ours), answer 1: there is work left, the next call sees.
        left = limit
        spaces = [r["_id"] for r in await self._c("spaces").find({"project_id": project_id}, {"_id": 1})
                  .limit(_SCAN_MAX).to_list(None)]
        markers: list[dict[str, Any]] = [{"_id": {"$regex": f"^{re.escape(room)}:"}} for room in spaces]
        for query in markers:
            left -= await self._drop("read_markers", query, left)
        thread_ids = [r["_id"] for r in await self._c("threads").find({"forum_id": {"$in": spaces}}, {"_id": 1})
                      .limit(_SCAN_MAX).to_list(None)] if spaces else []
        below_threads = [("thread_markers", {"thread_id": {"$in": thread_ids}}),
                         ("posts", {"thread_id": {"$in": thread_ids}})] if thread_ids else []
        for name, query in below_threads:
            left -= await self._drop(name, query, left)
        if left <= 0:
            return limit
        if await self._any(below_threads):
            return max(limit - left, 1)
        if spaces:
            left -= await self._drop("threads", {"forum_id": {"$in": spaces}}, left)
        by_project: list[tuple[str, dict[str, Any]]] = [
            (name, {"project_id": project_id}) for name in ("messages", "reactions", "poll_votes", "mail_copies",
                                                             "mails", "reports", "search")]
        for name, query in [*by_project, ("erasures", {"_id": {"$regex": f"^{re.escape(project_id)}:"}})]:
            left -= await self._drop(name, query, left)
        if left <= 0:
            return limit
        if await self._any([("read_markers", q) for q in markers] + [("threads", {"forum_id": {"$in": spaces}})]):
            return max(limit - left, 1)
        counters = [f"room:{s}" for s in spaces] + [f"forum:{s}" for s in spaces]
        left -= await self._drop("counters", {"_id": {"$in": counters + [f"members:{project_id}",
                                                                           f"spaces:{project_id}"]}}, left)
        left -= await self._drop("spaces", {"project_id": project_id}, left)
        left -= await self._drop("members", {"project_id": project_id}, left)
        if left <= 0:
            return limit
        rest = [(name, {"project_id": project_id}) for name in ("messages", "mail_copies", "mails", "reports",
                                                                 "search", "spaces", "members")]
        if await self._any(rest):
            return max(limit - left, 1)
        if await self._c("files").find_one({"project_id": project_id}, {"_id": 1}) is not None:
            return limit - left  # its files go first (bytes, then records): the next sweep ends it
        result = await self._c("projects").delete_one({"_id": project_id})
        return limit - left + int(result.deleted_count)

    async def _any(self, queries: list[tuple[str, dict[str, Any]]]) -> bool:
        for name, query in queries:
            if await self._c(name).find_one(query, {"_id": 1}) is not None:
                return True
        return False

    @translated
    async def set_hold(self, project_id: str, held: bool, reason: str | None, at: str,
                       audit: AuditEntry | None = None) -> Project | None:
        record = await self._c("projects").find_one_and_update(
            {"_id": project_id}, {"$set": doc_set({"held": held, "hold_reason": reason if held else None})},
            return_document=ReturnDocument.AFTER)
        if record is None:
            return None
        await self._insert_audit(audit)
        return load(Project, record)
