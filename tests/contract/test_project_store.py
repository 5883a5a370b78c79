"""The ProjectStore contract: every document adapter behaves the same way (adapters in conftest.py)."""

from __future__ import annotations

import asyncio

import pytest

from rooms.errors import Conflict
from rooms.ids import utcnow
from rooms.ports import ProjectStore
from tests.contract.builders import member, project, space
from tests.contract.conftest import Opener


async def test_create_and_get(store: ProjectStore) -> None:
    p = project()
    assert await store.create_project(p, [member(p.id, "u1"), member(p.id, "u2")])
    assert await store.get_project(p.id) == p
    assert not await store.create_project(p, [])
    assert await store.get_project("prj_none") is None
    assert [m.user_id for m in await store.list_members(p.id, 10)] == ["u1", "u2"]


async def test_transition_is_conditional_and_adds_spaces_atomically(store: ProjectStore) -> None:
    p = project()
    await store.create_project(p, [member(p.id, "u1")])
    spaces = [space(p.id, "members", "General"), space(p.id, "teachers", "Staff")]
    done = await store.transition_project(p.id, "pending", "validated", None, utcnow(), spaces)
    assert done is not None and done.status == "validated"
    assert await store.transition_project(p.id, "pending", "rejected", "late", utcnow(), []) is None
    assert (await store.get_project(p.id)).status == "validated"  # type: ignore[union-attr]
    assert [s.name for s in await store.list_spaces(p.id, ("members", "teachers", "visitors"))] == ["General", "Staff"]
    assert [s.name for s in await store.list_spaces(p.id, ("members",))] == ["General"]
    assert await store.list_spaces(p.id, ()) == []
    assert await store.get_space(spaces[1].id) == spaces[1]


async def test_space_access_in_one_read(store: ProjectStore) -> None:
    p = project("validated")
    await store.create_project(p, [member(p.id, "a1")])
    room = space(p.id, "members", "General")
    await store.add_space(room, 10)
    assert await store.get_space_access(room.id, "a1") == (room, p, await store.get_member(p.id, "a1"))
    assert await store.get_space_access(room.id, "stranger") == (room, p, None)
    assert await store.get_space_access("spc_none", "a1") is None
    assert await store.add_member(member(p.id, "a2"))
    assert await store.remove_member(p.id, "a1")
    assert await store.get_space_access(room.id, "a1") == (room, p, None)  # removed: seen at once


async def test_listing_by_member_and_status(store: ProjectStore) -> None:
    a, b, c = project(), project("validated"), project()
    for p, users in ((a, ["u1", "u2"]), (b, ["u2"]), (c, ["u3"])):
        await store.create_project(p, [member(p.id, u) for u in users])
    mine = await store.list_projects_of("u2", 10)
    assert {p.id for p, _ in mine} == {a.id, b.id} and {r for _, r in mine} == {"admin"}
    assert len(await store.list_projects_of("u2", 1)) == 1
    pending = [p.id for p in await store.list_projects_by_status("pending", 10)]
    assert a.id in pending and c.id in pending and b.id not in pending


async def test_members_and_the_last_admin(store: ProjectStore) -> None:
    p = project("validated")
    await store.create_project(p, [member(p.id, "a1")])
    assert await store.add_member(member(p.id, "t1", "teacher"))
    assert not await store.add_member(member(p.id, "t1", "pupil"))
    assert (await store.get_member(p.id, "t1")).role == "teacher"  # type: ignore[union-attr]
    with pytest.raises(Conflict) as caught:
        await store.set_member_role(p.id, "a1", "teacher")
    assert caught.value.code == "member.last_admin"
    with pytest.raises(Conflict):
        await store.remove_member(p.id, "a1")
    assert (await store.set_member_role(p.id, "t1", "admin")).role == "admin"  # type: ignore[union-attr]
    assert (await store.set_member_role(p.id, "a1", "teacher")).role == "teacher"  # type: ignore[union-attr]
    assert await store.remove_member(p.id, "a1")
    assert not await store.remove_member(p.id, "a1")
    assert await store.set_member_role(p.id, "ghost", "admin") is None
    assert [m.user_id for m in await store.list_members(p.id, 10)] == ["t1"]


async def test_space_cap(store: ProjectStore) -> None:
    p = project("validated")
    await store.create_project(p, [member(p.id, "a1")])
    assert await store.add_space(space(p.id), 2)
    assert await store.add_space(space(p.id), 2)
    assert not await store.add_space(space(p.id), 2)


async def test_concurrent_writes_all_land(store: ProjectStore) -> None:
    p = project("validated")
    await store.create_project(p, [member(p.id, "a1")])
    results = await asyncio.gather(*(store.add_member(member(p.id, f"u{i}", "pupil")) for i in range(50)),
                                   *(store.add_member(member(p.id, "dup", "pupil")) for _ in range(5)))
    assert results.count(True) == 51
    assert len(await store.list_members(p.id, 500)) == 52


async def test_data_survives_reopening(opener: Opener) -> None:
    p = project()
    async with opener() as store:
        await store.create_project(p, [member(p.id, "u1")])
    async with opener() as store:
        assert await store.get_project(p.id) == p
        await store.ping()
