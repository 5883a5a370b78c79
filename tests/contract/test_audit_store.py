"""The AuditStore contract, on every document adapter: append-only, newest first, filtered."""

from __future__ import annotations

from rooms.audit_models import AuditEntry
from rooms.ports import DocumentStore


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
