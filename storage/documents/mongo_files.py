"""Shared file records on MongoDB."""

from __future__ import annotations

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from rooms.errors import Conflict
from rooms.file_models import Attachment, FileRecord
from storage.documents.mongo_base import MongoBase, doc_set, dump, load, translated


class FileCollections(MongoBase):
    @translated
    async def add_file(self, record: FileRecord) -> None:
        try:
            await self._c("files").insert_one({"_id": record.id, "project_id": record.project_id,
                                               "owner_id": record.owner_id, "size": record.size,
                                               "attached": record.attached_to is not None, "doc": dump(record)})
        except DuplicateKeyError as exc:
            raise Conflict("file.exists", file_id=record.id) from exc

    @translated
    async def get_file(self, file_id: str) -> FileRecord | None:
        record = await self._c("files").find_one({"_id": file_id})
        return load(FileRecord, record) if record else None

    @translated
    async def attach_file(self, file_id: str, owner_id: str, attachment: Attachment) -> bool:
        record = await self._c("files").find_one_and_update(
            {"_id": file_id, "owner_id": owner_id, "attached": False},
            {"$set": {"attached": True, **doc_set({"attached_to": attachment})}},
            return_document=ReturnDocument.AFTER)
        return record is not None

    @translated
    async def delete_file(self, file_id: str) -> bool:
        result = await self._c("files").delete_one({"_id": file_id})
        return bool(result.deleted_count)

    @translated
    async def project_usage(self, project_id: str) -> int:
        cursor = await self._c("files").aggregate([{"$match": {"project_id": project_id}},
                                                  {"$group": {"_id": None, "total": {"$sum": "$size"}}}])
        totals = await cursor.to_list(None)
        return int(totals[0]["total"]) if totals else 0
