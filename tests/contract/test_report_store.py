"""The ReportStore and ContactStore contracts, on every document adapter."""

from __future__ import annotations

import asyncio

from rooms.audit_models import AuditEntry
from rooms.ports import DocumentStore
from rooms.report_models import Report, Resolution, Snapshot


def _report(n: int, *, project_id: str = "prj_a", reporter: str | None = "p1", item: str | None = None,
            serious: bool = False, created_at: str | None = None) -> Report:
    at = created_at or f"2026-12-01T10:00:{n:02d}.000Z"
    return Report(id=f"rep_{n}", project_id=project_id,
                  item=Snapshot(kind="message", id=item or f"msg_{n}", space_id="spc_1", seq=n, author_id="p2",
                                author_name="Mats", text="mean words", created_at=at),
                  context=[Snapshot(kind="message", id="msg_before", space_id="spc_1", seq=0, author_id="p3",
                                    author_name="Ana", text="before", created_at=at)],
                  reason="bullying", serious=serious, automatic=reporter is None, reporter_id=reporter,
                  reporter_name=reporter, reported_id="p2", escalated_at=at if serious else None,
                  created_at=at, updated_at=at)


def _audit(action: str) -> AuditEntry:
    return AuditEntry(id=f"aud_{action}", project_id="prj_a", actor_id="t1", actor_name="Claire", actor_role="admin",
                      action=action, target_kind="report", target_id="rep_1", before={"state": "open"},
                      after={"state": "resolved"}, at="2026-12-01T11:00:00.000Z")


async def test_a_report_is_stored_once_per_reporter_and_item(store: DocumentStore) -> None:
    assert await store.add_report(_report(1)) is True
    assert await store.get_report("rep_1") == _report(1)
    assert await store.add_report(_report(2, item="msg_1")) is False  # same reporter, same item
    assert await store.get_report("rep_2") is None
    assert await store.add_report(_report(3, reporter="p4", item="msg_1")) is True  # someone else
    assert await store.add_report(_report(4, reporter=None, item="msg_1")) is True  # the word filter, once
    assert await store.add_report(_report(5, reporter=None, item="msg_1")) is False
    assert await store.get_report("rep_404") is None


async def test_queues_come_newest_first_with_cursors(store: DocumentStore) -> None:
    for n in range(1, 6):
        assert await store.add_report(_report(n, project_id="prj_a" if n != 3 else "prj_b",
                                              reporter="p1" if n % 2 else "p9"))
    page = await store.list_reports("prj_a", None, None, 2)
    assert [r.id for r, _ in page] == ["rep_5", "rep_4"]
    rest = await store.list_reports("prj_a", None, page[-1][1], 10)
    assert [r.id for r, _ in rest] == ["rep_2", "rep_1"]
    assert [r.id for r, _ in await store.list_reports("prj_b", "open", None, 10)] == ["rep_3"]
    assert await store.list_reports("prj_a", "resolved", None, 10) == []
    mine = await store.list_reports_by("p1", None, 2)
    assert [r.id for r, _ in mine] == ["rep_5", "rep_3"]
    assert [r.id for r, _ in await store.list_reports_by("p1", mine[-1][1], 10)] == ["rep_1"]


async def test_a_decision_applies_to_an_open_report_only_and_is_audited_with_it(store: DocumentStore) -> None:
    await store.add_report(_report(1))
    resolution = Resolution(state="resolved", action="hidden", note="", by="t1", by_name="Claire",
                            at="2026-12-01T11:00:00.000Z")
    changes = {"state": "resolved", "resolution": resolution, "updated_at": resolution.at}
    updated = await store.update_report("rep_1", "open", changes, audit=_audit("report.resolve"))
    assert updated is not None and updated.state == "resolved" and updated.resolution == resolution
    assert await store.get_report("rep_1") == updated
    assert await store.update_report("rep_1", "open", {"state": "dismissed"}, audit=_audit("report.dismiss")) is None
    assert await store.update_report("rep_404", "open", {"state": "dismissed"}) is None
    assert [r.id for r, _ in await store.list_reports("prj_a", "resolved", None, 10)] == ["rep_1"]
    assert await store.list_reports("prj_a", "open", None, 10) == []
    entries = await store.list_audit("prj_a", None, 10)
    assert [e.action for e, _ in entries] == ["report.resolve"]  # the refused change recorded nothing


async def test_escalation_claims_each_due_report_once(store: DocumentStore) -> None:
    await store.add_report(_report(1, created_at="2026-12-01T08:00:00.000Z"))  # old: due
    await store.add_report(_report(2, created_at="2026-12-01T11:00:00.000Z"))  # recent: not yet
    await store.add_report(_report(3, created_at="2026-12-01T07:00:00.000Z"))  # old, but decided
    await store.update_report("rep_3", "open", {"state": "dismissed"})
    serious = _report(4, created_at="2026-12-01T11:30:00.000Z", serious=True).model_copy(update={"escalated_at": None})
    await store.add_report(serious)  # serious, not escalated yet: due whatever its age
    at = "2026-12-01T12:00:00.000Z"
    first, second = await asyncio.gather(store.escalate_due("2026-12-01T10:00:00.000Z", at, 10),
                                         store.escalate_due("2026-12-01T10:00:00.000Z", at, 10))
    claimed = sorted(r.id for r in first + second)
    assert claimed == ["rep_1", "rep_4"]
    assert all(r.escalated_at == at for r in first + second)
    assert await store.escalate_due("2026-12-01T10:00:00.000Z", at, 10) == []
    stored = await store.get_report("rep_1")
    assert stored is not None and stored.escalated_at == at
    escalated = await store.list_escalated(None, 1)
    assert [r.id for r, _ in escalated] == ["rep_4"]
    assert [r.id for r, _ in await store.list_escalated(escalated[-1][1], 10)] == ["rep_1"]


async def test_escalation_honours_its_limit(store: DocumentStore) -> None:
    for n in range(1, 4):
        await store.add_report(_report(n, created_at=f"2026-12-01T08:00:0{n}.000Z"))
    first = await store.escalate_due("2026-12-01T10:00:00.000Z", "2026-12-01T12:00:00.000Z", 2)
    assert [r.id for r in first] == ["rep_1", "rep_2"]
    rest = await store.escalate_due("2026-12-01T10:00:00.000Z", "2026-12-01T12:00:00.000Z", 2)
    assert [r.id for r in rest] == ["rep_3"]


async def test_contacts_are_remembered_and_replaced(store: DocumentStore) -> None:
    assert await store.contacts(["t1", "t2"]) == {}
    await store.remember_contact("t1", "claire@school.example", "fr")
    await store.remember_contact("t2", "jonas@school.example", "en")
    await store.remember_contact("t1", "claire@lycee.example", "fr")
    found = await store.contacts(["t1", "t3"])
    assert list(found) == ["t1"]
    assert (found["t1"].email, found["t1"].lang) == ("claire@lycee.example", "fr")
    assert await store.contacts([]) == {}
