"""The MailStore and FileStore contracts, on every document adapter."""

from __future__ import annotations

import asyncio

from rooms.ports import DocumentStore
from tests.contract.builders import file, mail


async def test_copies_are_per_person(store: DocumentStore) -> None:
    sent, copies = mail("t1", ["p1", "p2"])
    await store.store_mail(sent, copies)
    assert (await store.get_copy("p1", sent.id)).folder == "inbox"  # type: ignore[union-attr]
    assert (await store.get_copy("t1", sent.id)).folder == "sent"  # type: ignore[union-attr]
    assert await store.get_copy("x", sent.id) is None
    assert await store.unread_mail("p1") == 1 and await store.unread_mail("t1") == 0
    updated = await store.update_copy("p1", sent.id, {"read": True, "folder": "archived"})
    assert updated is not None and updated.read and updated.folder == "archived"
    assert await store.unread_mail("p1") == 0 and await store.unread_mail("p2") == 1
    assert await store.delete_copy("p2", sent.id) and not await store.delete_copy("p2", sent.id)
    assert await store.get_copy("p2", sent.id) is None
    assert (await store.get_copy("t1", sent.id)).mail == sent  # type: ignore[union-attr]


async def test_folders_newest_first_with_a_cursor(store: DocumentStore) -> None:
    ids = []
    for i in range(5):
        sent, copies = mail("t1", ["p1"], project_id="prj_a" if i % 2 else "prj_b")
        await store.store_mail(sent, copies)
        ids.append(sent.id)
    page = await store.list_copies("p1", "inbox", None, None, 2)
    assert [c.mail.id for c, _ in page] == ids[::-1][:2]
    rest = await store.list_copies("p1", "inbox", None, page[-1][1], 10)
    assert [c.mail.id for c, _ in page + rest] == ids[::-1]
    assert [c.mail.id for c, _ in await store.list_copies("p1", "inbox", "prj_a", None, 10)] == [ids[3], ids[1]]
    assert [c.mail.id for c, _ in await store.list_copies("t1", "sent", None, None, 10)] == ids[::-1]
    assert await store.list_copies("p1", "archived", None, None, 10) == []


async def test_file_records(store: DocumentStore) -> None:
    a, b = file("prj_a", size=100), file("prj_a", owner="u2", size=50)
    await store.add_file(a)
    await store.add_file(b)
    await store.add_file(file("prj_b", size=7))
    assert await store.get_file(a.id) == a
    assert await store.project_usage("prj_a") == 150 and await store.project_usage("prj_none") == 0
    assert await store.delete_file(a.id) and not await store.delete_file(a.id)
    assert await store.get_file(a.id) is None and await store.project_usage("prj_a") == 50


NOW, LATER, GONE = "2026-01-01T00:00:00.000Z", "2026-01-01T06:00:00.000Z", "2025-12-31T00:00:00.000Z"


async def test_quota_holds_count_with_the_files_until_released(store: DocumentStore) -> None:
    await store.add_file(file("prj_q", size=400))
    assert await store.reserve_quota("qta_a", "prj_q", 300, 1000, NOW, LATER)
    assert not await store.reserve_quota("qta_b", "prj_q", 301, 1000, NOW, LATER)  # 400 + 300 + 301 > 1000
    assert await store.reserve_quota("qta_b", "prj_q", 300, 1000, NOW, LATER)  # exactly the quota
    assert not await store.reserve_quota("qta_a", "prj_q", 1, 1000, NOW, LATER)  # growing one counts too
    assert await store.reserve_quota("qta_x", "prj_other", 1000, 1000, NOW, LATER)  # per project
    await store.release_quota("qta_a")
    await store.release_quota("qta_a")  # twice: nothing
    assert await store.reserve_quota("qta_a", "prj_q", 250, 1000, NOW, LATER)
    assert await store.reserve_quota("qta_a", "prj_q", 50, 1000, NOW, LATER)  # grown: 300 again
    assert not await store.reserve_quota("qta_c", "prj_q", 1, 1000, NOW, LATER)
    assert await store.project_usage("prj_q") == 400  # holds are not usage: the files' sizes are


async def test_an_expired_quota_hold_stops_counting(store: DocumentStore) -> None:
    assert await store.reserve_quota("qta_dead", "prj_e", 900, 1000, GONE, NOW)  # its process died
    assert await store.reserve_quota("qta_new", "prj_e", 1000, 1000, NOW, LATER)


async def test_holds_made_at_once_never_pass_the_quota(store: DocumentStore) -> None:
    won = await asyncio.gather(*(store.reserve_quota(f"qta_{k}", "prj_r", 100, 1000, NOW, LATER) for k in range(16)))
    assert 0 < sum(won) <= 10
