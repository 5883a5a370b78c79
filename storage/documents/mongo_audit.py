"""The audit log on MongoDB: inserts and reads only.

Nothing here updates or deletes an entry. MongoDB cannot refuse that by
itself for a client that may write; an operator grants the server's user a
role with only ``insert`` and ``find`` on ``audit_log`` (docs/operations).
Entries are written right after the change they describe (there are no
multi-document transactions here); a crash between the two loses the entry,
never the change, and never invents one.
"""

from __future__ import annotations

from typing import Any

from pymongo import DESCENDING

from rooms.audit_models import AuditEntry
from storage.documents.mongo_base import MongoBase, dump, load, translated


class AuditCollections(MongoBase):
    async def _insert_audit(self, entry: AuditEntry | None) -> None:
        """Record ``entry`` right after the change it describes (nothing when None)."""
        if entry is not None:
            await self._c("audit_log").insert_one({
                "_id": entry.id, "project_id": entry.project_id, "actor_id": entry.actor_id,
                "action": entry.action, "target_id": entry.target_id, "order": await self._next("audit_log"),
                "doc": dump(entry)})

    @translated
    async def append_audit(self, entry: AuditEntry) -> None:
        await self._insert_audit(entry)

    @translated
    async def list_audit(self, project_id: str, before: int | None, limit: int, *, actor_id: str | None = None,
                         action: str | None = None, target_id: str | None = None) -> list[tuple[AuditEntry, int]]:
        query: dict[str, Any] = {"project_id": project_id}
        if before is not None:
            query["order"] = {"$lt": before}
        for field, value in (("actor_id", actor_id), ("action", action), ("target_id", target_id)):
            if value is not None:
                query[field] = value
        records = await self._c("audit_log").find(query).sort([("order", DESCENDING)]).limit(limit).to_list(None)
        return [(load(AuditEntry, r), int(r["order"])) for r in records]
