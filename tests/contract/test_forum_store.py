"""The ForumStore contract, on every document adapter."""

from __future__ import annotations

from rooms.ports import DocumentStore
from tests.contract.builders import post, thread


async def test_threads_list_pinned_first_then_by_activity(store: DocumentStore) -> None:
    a = await store.create_thread(thread("f1", "a"))
    b = await store.create_thread(thread("f1", "b"))
    c = await store.create_thread(thread("f1", "c"))
    await store.create_thread(thread("f2", "elsewhere"))
    assert [t.title for t, _ in await store.list_threads("f1", None, 10)] == ["c", "b", "a"]
    await store.add_post(post(a.id, "f1"))  # activity moves a to the top
    await store.update_thread(b.id, {"pinned": True})
    titles = [t.title for t, _ in await store.list_threads("f1", None, 10)]
    assert titles == ["b", "a", "c"]
    first = await store.list_threads("f1", None, 2)
    last = first[-1]
    rest = await store.list_threads("f1", (int(last[0].pinned), last[1]), 10)
    assert [t.title for t, _ in first + rest] == titles
    await store.update_thread(c.id, {"deleted": True})
    assert [t.title for t, _ in await store.list_threads("f1", None, 10)] == ["b", "a"]
    assert await store.update_thread(c.id, {"pinned": True}) is None


async def test_posts_number_in_order_and_stop_at_the_lock(store: DocumentStore) -> None:
    t = await store.create_thread(thread("f1"))
    posts = [await store.add_post(post(t.id, "f1", author=f"u{i}")) for i in range(5)]
    assert [p.seq for p in posts if p] == [1, 2, 3, 4, 5]
    stored = await store.get_thread(t.id)
    assert stored is not None and stored.post_count == 5
    assert [p.seq for p in await store.list_posts(t.id, 2, 2)] == [3, 4]
    edited = await store.update_post(posts[0].id, {"body": "new"})  # type: ignore[union-attr]
    assert edited is not None and edited.body == "new"
    gone = await store.update_post(posts[1].id, {"body": None, "deleted": True})  # type: ignore[union-attr]
    assert gone is not None and gone.deleted and gone.seq == 2
    assert await store.update_post(posts[1].id, {"body": "again"}) is None  # type: ignore[union-attr]
    await store.update_thread(t.id, {"locked": True})
    assert await store.add_post(post(t.id, "f1")) is None
    assert await store.get_post(posts[4].id) == posts[4]  # type: ignore[union-attr]


async def test_thread_markers(store: DocumentStore) -> None:
    t1 = await store.create_thread(thread("f1"))
    t2 = await store.create_thread(thread("f1"))
    await store.add_post(post(t1.id, "f1", author="u1"))
    assert await store.thread_markers([t1.id, t2.id], "u1") == {t1.id: 1}
    assert await store.mark_thread_read(t2.id, "u1", 4) == 4
    assert await store.mark_thread_read(t2.id, "u1", 2) == 4
    assert await store.thread_markers([t1.id, t2.id], "u1") == {t1.id: 1, t2.id: 4}
    assert await store.thread_markers([], "u1") == {}
