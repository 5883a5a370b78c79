"""Shared file records on MongoDB, and the claims through which an item's write attaches them.

Without multi-document transactions an item and its files cannot change in
one write, so the write of a message, thread, post or mail goes in this order:

1. claim its files for the item, one conditional update each (still
   unattached, still the author's); when one loses, release the claims made
   so far and store nothing (``NotAttachable``);
2. insert the item; when that fails (and the item is surely not stored:
   the answer may be all that was lost, so we look), release the claims.

So a claim is never left behind by a write that failed or lost a race, and
the retry finds its files free. What remains is a window, between a claim
and the insert (or a failed insert and its release), in which a file points
at an item that does not exist yet. It is invisible to readers: a file is
read through its item (``FileService.readable`` reads the item), so nobody
but its owner sees it then, exactly as before it was attached. If the
process dies in that window, or MongoDB stops answering before the release,
the claim stays: a chat retry with the same ``client_id`` takes it over (a
chat claim carries its send's key, see ``mongo_chat``); a forum or mail
file stays unattachable (its owner uploads it again).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from pymongo.errors import DuplicateKeyError, PyMongoError

from rooms.audit_models import AuditEntry
from rooms.errors import Conflict, NotAttachable
from rooms.file_models import Attachment, FileRecord, FileRef
from storage.documents.mongo_base import doc_set, dump, load, translated
from storage.documents.mongo_search import SearchEntries, file_entry


async def claim(files: Any, refs: list[FileRef], owner_id: str, attachment: Attachment,
                key: str | None = None) -> list[str]:
    """Attach every file to ``attachment``, or none: on a miss, release those claimed and raise ``NotAttachable``.

    A file qualifies when it is ``owner_id``'s and unattached or, given ``key``, claimed under
    that same key (a chat send's, by a write that never stored its message: the caller checked).
    """
    free: dict[str, Any] = {"attached": False} if key is None else {"$or": [{"attached": False}, {"claim": key}]}
    claimed: list[str] = []
    for ref in refs:
        result = await files.update_one({"_id": ref.id, "owner_id": owner_id, **free},
                                        {"$set": {"attached": True, "claim": key,
                                                  **doc_set({"attached_to": attachment})}})
        if not result.matched_count:
            await release(files, claimed, attachment.id)
            raise NotAttachable(ref.id)
        claimed.append(ref.id)
    return claimed


async def release(files: Any, file_ids: list[str], item_id: str) -> None:
    """Undo the claims of ``item_id`` on these files (one another write took over stays its own)."""
    if file_ids:
        await files.update_many({"_id": {"$in": file_ids}, "doc.attached_to.id": item_id},
                                {"$set": {"attached": False, "claim": None, **doc_set({"attached_to": None})}})


@asynccontextmanager
async def claiming(files: Any, refs: list[FileRef], owner_id: str,
                   attachment: Attachment) -> AsyncIterator[list[str]]:
    """Claim the files (see :func:`claim`), then run the block that stores the item; release them if it raises.

    Only the steps up to the item's insert belong in the block: once the item is stored,
    its files stay attached to it whatever fails next.
    """
    claimed = await claim(files, refs, owner_id, attachment)
    try:
        yield claimed
    except BaseException:
        await release(files, claimed, attachment.id)
        raise


async def insert_item(items: Any, record: dict[str, Any]) -> None:
    """Insert ``record``; when the insert fails, raise only if the item is not stored after all.

    A lost answer to an insert that was applied is not a failure: releasing the item's
    files then would leave it listing files that are not attached to it.
    """
    try:
        await items.insert_one(record)
    except DuplicateKeyError:
        raise
    except PyMongoError:
        if await items.find_one({"_id": record["_id"]}, {"_id": 1}) is None:
            raise


class FileCollections(SearchEntries):
    @translated
    async def add_file(self, record: FileRecord) -> None:
        try:
            await self._c("files").insert_one({"_id": record.id, "project_id": record.project_id,
                                               "owner_id": record.owner_id, "size": record.size,
                                               "attached": record.attached_to is not None, "doc": dump(record)})
        except DuplicateKeyError as exc:
            raise Conflict("file.exists", file_id=record.id) from exc
        await self._index("file", record.id, file_entry(record))

    @translated
    async def get_file(self, file_id: str) -> FileRecord | None:
        record = await self._c("files").find_one({"_id": file_id})
        return load(FileRecord, record) if record else None

    @translated
    async def delete_file(self, file_id: str, *, audit: AuditEntry | None = None) -> bool:
        result = await self._c("files").delete_one({"_id": file_id})
        await self._unindex("file", [file_id])  # also when it was gone already: a crash may have left its entry
        if not result.deleted_count:
            return False
        await self._insert_audit(audit)
        return True

    @translated
    async def reserve_quota(self, reservation_id: str, project_id: str, size: int, quota: int, now: str,
                            expires_at: str) -> bool:
        # Without a transaction, hold first, then count: of the holds that stay, the last one made saw
        # all the others in its sum, so together they are within the quota. Two made at once may both
        # see the other and both give way: a refusal to retry, never a quota passed.
        holds = self._c("quota_reservations")
        await holds.delete_many({"project_id": project_id, "expires_at": {"$lte": now}})
        await holds.update_one({"_id": reservation_id},
                               {"$inc": {"bytes": size}, "$set": {"project_id": project_id, "expires_at": expires_at}},
                               upsert=True)
        cursor = await holds.aggregate([{"$match": {"project_id": project_id, "expires_at": {"$gt": now}}},
                                        {"$group": {"_id": None, "total": {"$sum": "$bytes"}}}])
        totals = await cursor.to_list(None)
        held = int(totals[0]["total"]) if totals else 0
        if held + await self.project_usage(project_id) <= quota:
            return True
        await holds.update_one({"_id": reservation_id}, {"$inc": {"bytes": -size}})
        return False

    @translated
    async def release_quota(self, reservation_id: str) -> None:
        await self._c("quota_reservations").delete_one({"_id": reservation_id})

    @translated
    async def project_usage(self, project_id: str) -> int:
        cursor = await self._c("files").aggregate([{"$match": {"project_id": project_id}},
                                                  {"$group": {"_id": None, "total": {"$sum": "$size"}}}])
        totals = await cursor.to_list(None)
        return int(totals[0]["total"]) if totals else 0
