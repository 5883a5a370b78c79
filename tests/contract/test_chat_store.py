"""The ChatStore contract, on every document adapter."""

from __future__ import annotations

import asyncio

from rooms.ids import utcnow
from rooms.ports import DocumentStore
from tests.contract.builders import message, project
from tests.contract.conftest import Opener


async def test_concurrent_appends_make_a_gap_free_sequence(store: DocumentStore) -> None:
    results = await asyncio.gather(*(store.append_message(message("r1", author=f"u{i % 5}")) for i in range(50)))
    assert sorted(m.seq for m, created in results if created) == list(range(1, 51))
    assert await store.last_seq("r1") == 50 and await store.last_seq("r2") == 0


async def test_a_retry_returns_the_stored_message(store: DocumentStore) -> None:
    first, created = await store.append_message(message("r1", client_id="c1", text="one"))
    again, created_again = await store.append_message(message("r1", client_id="c1", text="one"))
    assert created and not created_again and again == first
    other, created_other = await store.append_message(message("r1", author="u2", client_id="c1"))
    assert created_other and other.seq == 2
    assert await store.find_message("r1", "u1", "c1") == first
    assert await store.find_message("r1", "u3", "c1") is None
    assert await store.get_message("r1", first.id) == first
    assert await store.get_message("r2", first.id) is None


async def test_a_retry_sent_alongside_the_first_send_is_stored_once(store: DocumentStore) -> None:
    sends = [message("r1", client_id="c1", text="one"), message("r1", client_id="c2"),
             message("r1", client_id="c1", text="one")]
    (first, a), (_, b), (again, c) = await asyncio.gather(*(store.append_message(m) for m in sends))
    assert (a, b, c) == (True, True, False) and again == first
    assert [m.seq for m in await store.messages_after("r1", 0, 10)] == [1, 2]


async def test_pages_and_tombstones(store: DocumentStore) -> None:
    stored = [(await store.append_message(message("r1", text=f"m{i}")))[0] for i in range(10)]
    assert [m.seq for m in await store.messages_after("r1", 3, 4)] == [4, 5, 6, 7]
    assert [m.seq for m in await store.messages_before("r1", 5, 3)] == [2, 3, 4]
    assert [m.seq for m in await store.messages_before("r1", None, 2)] == [9, 10]
    edited = await store.edit_message("r1", stored[0].id, "new", utcnow())
    assert edited is not None and edited.text == "new" and edited.edited_at
    gone = await store.delete_message("r1", stored[0].id, "u9", utcnow())
    assert gone is not None and gone.deleted and gone.text is None and gone.seq == 1 and gone.deleted_by == "u9"
    assert await store.edit_message("r1", stored[0].id, "back", utcnow()) is None
    assert await store.delete_message("r1", stored[0].id, "u9", utcnow()) is None
    assert (await store.messages_after("r1", 0, 1))[0].deleted


async def test_latest_written_lists_seq_author_and_tombstones_without_the_messages(store: DocumentStore) -> None:
    stored = [(await store.append_message(message("r1", author=f"u{i % 2}", text=f"m{i}")))[0] for i in range(5)]
    await store.append_message(message("r2", author="u9"))
    await store.delete_message("r1", stored[3].id, "u1", utcnow())
    written = await store.latest_written("r1", 3)
    assert [(w.seq, w.author_id, w.deleted) for w in written] == [(3, "u0", False), (4, "u1", True), (5, "u0", False)]
    assert [w.seq for w in await store.latest_written("r1", 10)] == [1, 2, 3, 4, 5]
    assert await store.latest_written("nowhere", 10) == []


async def test_read_markers_only_move_forward(store: DocumentStore) -> None:
    await store.append_message(message("r1", author="u1"))
    assert await store.read_marker("r1", "u1") == 1  # one's own message is read
    assert await store.read_marker("r1", "u2") == 0
    assert await store.mark_read("r1", "u2", 5) == 5
    assert await store.mark_read("r1", "u2", 3) == 5
    assert await store.read_marker("r1", "u2") == 5


async def test_retention(store: DocumentStore) -> None:
    keep, old = project(), project()
    for p in (keep, old):
        await store.create_project(p, [])
    assert await store.projects_with_retention("", 10) == []
    assert (await store.set_retention(old.id, {"chat_retention_days": 30}, utcnow())).chat_retention_days == 30  # type: ignore[union-attr]
    assert [p.id for p in await store.projects_with_retention("", 10)] == [old.id]
    assert await store.projects_with_retention(old.id, 10) == []
    for i in range(3):
        await store.append_message(message("r1", project_id=old.id, created_at=f"2020-01-0{i + 1}T00:00:00.000Z"))
    await store.append_message(message("r1", project_id=old.id))
    await store.append_message(message("r2", project_id=keep.id, created_at="2020-01-01T00:00:00.000Z"))
    assert await store.expire_messages(old.id, "2021-01-01T00:00:00.000Z", utcnow(), 2) == 2  # a batch
    assert await store.expire_messages(old.id, "2021-01-01T00:00:00.000Z", utcnow(), 2) == 1
    assert [m.deleted for m in await store.messages_after("r1", 0, 10)] == [True, True, True, False]
    assert not (await store.messages_after("r2", 0, 10))[0].deleted
    assert await store.expire_messages(old.id, "2021-01-01T00:00:00.000Z", utcnow(), 2) == 0
    assert await store.set_retention("prj_none", {"chat_retention_days": 3}, utcnow()) is None


async def test_chat_survives_reopening(opener: Opener) -> None:
    async with opener() as store:
        first, _ = await store.append_message(message("r1", client_id="c1"))
    async with opener() as store:
        assert await store.find_message("r1", "u1", "c1") == first
        assert (await store.append_message(message("r1")))[0].seq == 2
