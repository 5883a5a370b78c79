"""The room change feed of the document port, on every adapter: every change to a message takes
the room's next ``rev``; ``changes_after`` lists the current state of each message changed after a
``rev``, in ``rev`` order; read markers and mention counts for "seen by" and mentions; a project's
chat features."""

from __future__ import annotations

from rooms.classroom_models import ChatFeatures
from rooms.ids import utcnow
from rooms.ports import DocumentStore
from tests.contract import builders as b


async def test_every_change_takes_the_rooms_next_rev(store: DocumentStore) -> None:
    assert await store.last_rev("r1") == 0
    first, _ = await store.append_message(b.message("r1"))
    second, _ = await store.append_message(b.message("r1"))
    assert (first.rev, second.rev) == (1, 2) and await store.last_rev("r1") == 2
    other, _ = await store.append_message(b.message("r2"))
    assert other.rev == 1  # numbered per room
    edited = await store.edit_message("r1", first.id, "better", utcnow())
    assert edited is not None and edited.rev == 3 and edited.text == "better"
    hidden = await store.hide_message("r1", second.id, True, "t1", utcnow())
    assert hidden is not None and hidden.rev == 4
    deleted = await store.delete_message("r1", first.id, "u1", utcnow())
    assert deleted is not None and deleted.rev == 5 and await store.last_rev("r1") == 5
    assert await store.get_message("r1", first.id) == deleted  # the stored document carries its rev
    # The feed: each message once, in its current state, by rev.
    assert [(m.id, m.rev) for m in await store.changes_after("r1", 0, 10)] == [(second.id, 4), (first.id, 5)]
    assert [m.id for m in await store.changes_after("r1", 4, 10)] == [first.id]
    assert await store.changes_after("r1", 5, 10) == []
    assert [m.id for m in await store.changes_after("r1", 0, 1)] == [second.id]  # bounded pages
    third, _ = await store.append_message(b.message("r1"))
    assert (third.seq, third.rev) == (3, 6)  # seq stays gap-free: only messages take one


async def test_a_repeated_send_takes_no_rev(store: DocumentStore) -> None:
    first, created = await store.append_message(b.message("r1", client_id="same"))
    again, created_again = await store.append_message(b.message("r1", client_id="same"))
    assert created and not created_again and again == first and await store.last_rev("r1") == 1


async def test_retention_and_erasure_are_changes_too(store: DocumentStore) -> None:
    old, _ = await store.append_message(b.message("r1", project_id="prj_c", created_at="2020-01-01T00:00:00.000Z"))
    mine, _ = await store.append_message(b.message("r1", author="p9", project_id="prj_c"))
    assert await store.expire_messages("prj_c", "2021-01-01T00:00:00.000Z", utcnow(), 10) == 1
    assert await store.erase_messages("prj_c", "p9", utcnow(), 10) == 1
    changes = await store.changes_after("r1", 2, 10)
    assert [(m.id, m.deleted, m.text) for m in changes] == [(old.id, True, None), (mine.id, True, None)]
    assert [m.rev for m in changes] == [3, 4] and await store.last_rev("r1") == 4


async def test_read_markers_and_mentions(store: DocumentStore) -> None:
    assert await store.read_markers("r1") == {}
    first, _ = await store.append_message(b.message("r1", author="a"), ("b", "c"))
    second, _ = await store.append_message(b.message("r1", author="a"), ("b",))
    await store.mark_read("r1", "b", 1)
    assert await store.read_markers("r1") == {"a": 2, "b": 1}  # a sender's marker moves to their message
    assert await store.mention_count("r1", "b", 0) == 2
    assert await store.mention_count("r1", "b", 1) == 1
    assert await store.mention_count("r1", "c", 0) == 1 and await store.mention_count("r1", "c", 1) == 0
    assert await store.mention_count("r2", "b", 0) == 0
    assert first.seq == 1 and second.seq == 2


async def test_a_projects_chat_features_are_kept(store: DocumentStore) -> None:
    p = b.project("validated")
    await store.create_project(p, [b.member(p.id, "t1")])
    features = ChatFeatures(reactions=["👍", "❓"], seen_by="counts_only")
    changed = await store.set_chat_features(p.id, features)
    assert changed is not None and changed.chat_features == features
    found = await store.get_project(p.id)
    assert found is not None and found.chat_features == features
    assert await store.set_chat_features("prj_none", features) is None
