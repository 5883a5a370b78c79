"""Reports on MongoDB: one document each, with the fields the queues filter on next to the report.

One report per person per item is the unique index on (reporter_id, item_key)
(``mongo_base.INDEXES``). A decision's audit entry is written right after the
report's change (see ``mongo_audit``). Escalation claims each report with one
conditional update, so two instances never both escalate the same report.
"""

from __future__ import annotations

from typing import Any

from pymongo import DESCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from rooms.audit_models import AuditEntry
from rooms.report_models import Report, ReportState
from storage.documents.mongo_audit import AuditCollections
from storage.documents.mongo_base import doc_set, dump, load, translated

AUTOMATIC_REPORTER = "~word-filter"  # as on SQLite: the word filter reports an item once


def reporter_key(report: Report) -> str:
    return report.reporter_id if report.reporter_id is not None else AUTOMATIC_REPORTER


class ReportCollections(AuditCollections):
    @translated
    async def add_report(self, report: Report, audit: AuditEntry | None = None) -> bool:
        try:
            await self._c("reports").insert_one({
                "_id": report.id, "project_id": report.project_id,
                "item_key": f"{report.item.kind}:{report.item.id}", "reporter_id": reporter_key(report),
                "state": report.state, "serious": report.serious, "escalated": report.escalated_at is not None,
                "created_at": report.created_at, "order": await self._next("reports"), "doc": dump(report)})
        except DuplicateKeyError:
            return False
        await self._insert_audit(audit)
        return True

    @translated
    async def get_report(self, report_id: str) -> Report | None:
        record = await self._c("reports").find_one({"_id": report_id})
        return load(Report, record) if record else None

    async def _page(self, query: dict[str, Any], before: int | None, limit: int) -> list[tuple[Report, int]]:
        if before is not None:
            query["order"] = {"$lt": before}
        records = await self._c("reports").find(query).sort([("order", DESCENDING)]).limit(limit).to_list(None)
        return [(load(Report, r), int(r["order"])) for r in records]

    @translated
    async def list_reports(self, project_id: str, state: ReportState | None, before: int | None,
                           limit: int) -> list[tuple[Report, int]]:
        query: dict[str, Any] = {"project_id": project_id}
        if state is not None:
            query["state"] = state
        return await self._page(query, before, limit)

    @translated
    async def list_reports_by(self, reporter_id: str, before: int | None, limit: int) -> list[tuple[Report, int]]:
        return await self._page({"reporter_id": reporter_id}, before, limit)

    @translated
    async def list_escalated(self, before: int | None, limit: int) -> list[tuple[Report, int]]:
        return await self._page({"escalated": True}, before, limit)

    @translated
    async def update_report(self, report_id: str, from_state: ReportState, changes: dict[str, Any],
                            audit: AuditEntry | None = None) -> Report | None:
        top: dict[str, Any] = {}
        if "state" in changes:
            top["state"] = changes["state"]
        if "escalated_at" in changes:
            top["escalated"] = changes["escalated_at"] is not None
        record = await self._c("reports").find_one_and_update(
            {"_id": report_id, "state": from_state}, {"$set": {**doc_set(changes), **top}},
            return_document=ReturnDocument.AFTER)
        if record is None:
            return None
        await self._insert_audit(audit)
        return load(Report, record)

    @translated
    async def escalate_due(self, created_before: str, at: str, limit: int) -> list[Report]:
        query = {"state": "open", "escalated": False, "$or": [{"created_at": {"$lt": created_before}},
                                                              {"serious": True}]}
        candidates = await self._c("reports").find(query).sort([("order", 1)]).limit(limit).to_list(None)
        claimed = []
        for candidate in candidates:
            record = await self._c("reports").find_one_and_update(
                {"_id": candidate["_id"], "escalated": False},
                {"$set": {"escalated": True, "doc.escalated_at": at}}, return_document=ReturnDocument.AFTER)
            if record is not None:  # another instance claimed it first otherwise
                claimed.append(load(Report, record))
        return claimed
