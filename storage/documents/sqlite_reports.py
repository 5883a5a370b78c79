"""Reports on SQLite: one row each, the columns the queues filter on, the report itself as a document."""

from __future__ import annotations

from typing import Any

from rooms.audit_models import AuditEntry
from rooms.report_models import Report, ReportState
from storage.documents.sqlite_audit import insert_audit
from storage.documents.sqlite_base import SqliteBase, _dump, _load

AUTOMATIC_REPORTER = "~word-filter"  # rooms.reports.AUTOMATIC_REPORTER: automatic reports are one per item too
_NO_CURSOR = 2**62


def reporter_key(report: Report) -> str:
    return report.reporter_id if report.reporter_id is not None else AUTOMATIC_REPORTER


class ReportTables(SqliteBase):
    async def add_report(self, report: Report, audit: AuditEntry | None = None) -> bool:
        async with self._transaction() as conn:
            cur = await conn.execute(
                "INSERT INTO reports (id, project_id, item_key, reporter_id, state, serious, escalated, created_at, "
                "doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (reporter_id, item_key) DO NOTHING",
                (report.id, report.project_id, f"{report.item.kind}:{report.item.id}", reporter_key(report),
                 report.state, int(report.serious), int(report.escalated_at is not None), report.created_at,
                 _dump(report)))
            if cur.rowcount == 0:
                return False
            await insert_audit(conn, audit)
        return True

    async def get_report(self, report_id: str) -> Report | None:
        rows = self._rows("SELECT doc FROM reports WHERE id = ?", (report_id,))
        return _load(Report, rows[0][0]) if rows else None

    async def _page(self, where: str, params: list[Any], before: int | None, limit: int) -> list[tuple[Report, int]]:
        sql = f"SELECT doc, ord FROM reports WHERE {where} AND ord < ? ORDER BY ord DESC LIMIT ?"
        rows = self._rows(sql, (*params, before if before is not None else _NO_CURSOR, limit))
        return [(_load(Report, doc), int(order)) for doc, order in rows]

    async def list_reports(self, project_id: str, state: ReportState | None, before: int | None,
                           limit: int) -> list[tuple[Report, int]]:
        if state is None:
            return await self._page("project_id = ?", [project_id], before, limit)
        return await self._page("project_id = ? AND state = ?", [project_id, state], before, limit)

    async def list_reports_by(self, reporter_id: str, before: int | None, limit: int) -> list[tuple[Report, int]]:
        return await self._page("reporter_id = ?", [reporter_id], before, limit)

    async def list_escalated(self, before: int | None, limit: int) -> list[tuple[Report, int]]:
        return await self._page("escalated = 1", [], before, limit)

    async def update_report(self, report_id: str, from_state: ReportState, changes: dict[str, Any],
                            audit: AuditEntry | None = None) -> Report | None:
        async with self._transaction() as conn:
            row = await self._one(conn, "SELECT doc FROM reports WHERE id = ? AND state = ?", (report_id, from_state))
            if row is None:
                return None
            report = Report.model_validate({**_load(Report, row[0]).model_dump(), **_plain(changes)})
            await conn.execute("UPDATE reports SET state = ?, escalated = ?, doc = ? WHERE id = ?",
                               (report.state, int(report.escalated_at is not None), _dump(report), report_id))
            await insert_audit(conn, audit)
        return report

    async def escalate_due(self, created_before: str, at: str, limit: int) -> list[Report]:
        # One write transaction (BEGIN IMMEDIATE): another process's claim waits for this one to
        # commit, then finds these reports escalated already.
        claimed = []
        async with self._transaction() as conn:
            async with conn.execute(
                    "SELECT doc FROM reports WHERE state = 'open' AND escalated = 0 AND (created_at < ? OR serious = 1) "
                    "ORDER BY ord LIMIT ?", (created_before, limit)) as cur:
                rows = await cur.fetchall()
            for (doc,) in rows:
                report = _load(Report, doc).model_copy(update={"escalated_at": at})
                await conn.execute("UPDATE reports SET escalated = 1, doc = ? WHERE id = ? AND escalated = 0",
                                   (_dump(report), report.id))
                claimed.append(report)
        return claimed


def _plain(changes: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.model_dump() if hasattr(v, "model_dump") else v) for k, v in changes.items()}
