"""The MailStore and FileStore contracts, on every document adapter."""

from __future__ import annotations

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
