"""The AuditStore contract, on every document adapter: append-only, newest first, filtered."""

from __future__ import annotations

import pytest

from rooms.audit_models import AuditEntry
from rooms.errors import Conflict
from rooms.ids import utcnow
from rooms.ports import DocumentStore
from tests.contract.builders import member, project, space


def _entry(n: int, project_id: str = "prj_a", actor: str = "t1", action: str = "member.add") -> AuditEntry:
    return AuditEntry(id=f"aud_{n}", project_id=project_id, actor_id=actor, actor_name="Teacher", actor_role="admin",
                      action=action, target_kind="member", target_id=f"p{n}", before=None, after={"role": "pupil"},
                      at=f"2026-12-01T10:00:0{n}.000Z")


async def test_entries_come_back_newest_first_with_a_cursor(store: DocumentStore) -> None:
    for n in range(5):
        await store.append_audit(_entry(n, project_id="prj_a" if n != 2 else "prj_b"))
    page = await store.list_audit("prj_a", None, 2)
    assert [e.id for e, _ in page] == ["aud_4", "aud_3"]
    rest = await store.list_audit("prj_a", page[-1][1], 10)
    assert [e.id for e, _ in rest] == ["aud_1", "aud_0"]
    assert rest[0][0] == _entry(1)  # stored as given
    assert [e.id for e, _ in await store.list_audit("prj_b", None, 10)] == ["aud_2"]


async def test_entries_are_filtered_by_actor_action_and_target(store: DocumentStore) -> None:
    await store.append_audit(_entry(1, actor="t1", action="member.add"))
    await store.append_audit(_entry(2, actor="t2", action="chat.mute"))
    await store.append_audit(_entry(3, actor="t1", action="chat.mute"))
    assert [e.id for e, _ in await store.list_audit("prj_a", None, 10, actor_id="t1")] == ["aud_3", "aud_1"]
    assert [e.id for e, _ in await store.list_audit("prj_a", None, 10, action="chat.mute")] == ["aud_3", "aud_2"]
    assert [e.id for e, _ in await store.list_audit("prj_a", None, 10, target_id="p2")] == ["aud_2"]
    assert await store.list_audit("prj_a", None, 10, actor_id="t2", action="member.add") == []


def _about(n: int, project_id: str, action: str, target: str) -> AuditEntry:
    return AuditEntry(id=f"aud_w{n}", project_id=project_id, actor_id="t1", actor_name="Teacher", actor_role="admin",
                      action=action, target_kind="member", target_id=target, at=f"2026-12-01T11:00:0{n}.000Z")


async def test_each_audited_write_stores_its_entry_and_a_refused_one_none(store: DocumentStore) -> None:
    p = project()
    pid = p.id
    assert await store.create_project(p, [member(pid, "t1")], audit=_about(0, pid, "project.register", pid))
    assert not await store.create_project(p, [], audit=_about(9, pid, "project.register", pid))  # exists
    room = space(pid)
    assert await store.transition_project(pid, "pending", "validated", None, utcnow(), [room],
                                          audit=_about(1, pid, "project.validate", pid)) is not None
    assert await store.transition_project(pid, "pending", "rejected", "late", utcnow(), [],
                                          audit=_about(9, pid, "project.reject", pid)) is None  # not pending
    assert await store.add_member(member(pid, "p1", "pupil"), audit=_about(2, pid, "member.add", "p1"))
    assert not await store.add_member(member(pid, "p1", "pupil"), audit=_about(9, pid, "member.add", "p1"))
    assert await store.set_member_role(pid, "t1", "admin", audit=_about(3, pid, "member.role", "t1")) is not None
    assert await store.set_member_role(pid, "nobody", "teacher", audit=_about(9, pid, "member.role", "x")) is None
    with pytest.raises(Conflict):
        await store.set_member_role(pid, "t1", "teacher", audit=_about(9, pid, "member.role", "t1"))  # last admin
    with pytest.raises(Conflict):
        await store.remove_member(pid, "t1", audit=_about(9, pid, "member.remove", "t1"))
    assert await store.remove_member(pid, "p1", audit=_about(4, pid, "member.remove", "p1"))
    assert not await store.remove_member(pid, "p1", audit=_about(9, pid, "member.remove", "p1"))
    assert await store.add_space(space(pid), 10, audit=_about(5, pid, "space.create", "s"))
    assert not await store.add_space(space(pid), 2, audit=_about(9, pid, "space.create", "s"))  # full
    assert await store.set_retention(pid, {"chat_retention_days": 30}, utcnow(),
                                     audit=_about(6, pid, "project.configure", pid))
    assert await store.set_retention("prj_none", {"chat_retention_days": 30}, utcnow(),
                                     audit=_about(9, pid, "project.configure", pid)) is None
    entries = [e for e, _ in await store.list_audit(pid, None, 50)]
    assert [e.id for e in entries] == [f"aud_w{n}" for n in range(6, -1, -1)]  # in order, none of the refused
    assert entries[-1] == _about(0, pid, "project.register", pid)


async def test_writes_without_an_entry_record_nothing(store: DocumentStore) -> None:
    p = project()
    await store.create_project(p, [member(p.id, "t1")])
    await store.add_member(member(p.id, "p1", "pupil"))
    assert await store.list_audit(p.id, None, 10) == []
