""""Seen by" and mentions on every adapter: a room's read markers in one read, the counts of mentions
after a marker, and an erased person's mentions gone with their markers (``forget_person``)."""

from __future__ import annotations

from rooms.classroom_models import Mentioned
from rooms.ports import DocumentStore
from rooms.privacy_models import ERASED
from tests.contract import builders as b


async def test_the_markers_of_a_large_room_come_in_one_read(store: DocumentStore) -> None:
    first, _ = await store.append_message(b.message("r1", author="a"))
    second, _ = await store.append_message(b.message("r1", author="a"))
    for i in range(50):
        await store.mark_read("r1", f"p{i}", 1 if i % 2 else 2)
    markers = await store.read_markers("r1")
    assert len(markers) == 51 and markers["a"] == 2 and markers["p0"] == 2 and markers["p1"] == 1
    assert await store.read_markers("r2") == {}  # per room
    assert (first.seq, second.seq) == (1, 2)


async def test_a_retried_send_mentions_nobody_again(store: DocumentStore) -> None:
    message = b.message("r1", author="a", client_id="same")
    await store.append_message(message, ("b",))
    _, created = await store.append_message(message.model_copy(update={"id": "msg_other"}), ("b", "c"))
    assert not created
    assert await store.mention_count("r1", "b", 0) == 1 and await store.mention_count("r1", "c", 0) == 0


async def test_forgetting_a_person_forgets_the_mentions_of_them(store: DocumentStore) -> None:
    p = b.project("validated")
    await store.create_project(p, [b.member(p.id, "t1")])
    room = b.space(p.id)
    await store.add_space(room, 10)
    other = b.space(p.id, name="Other")
    await store.add_space(other, 10)
    named = b.message(room.id, author="a", project_id=p.id).model_copy(update={"mentions": [
        Mentioned(user_id="b", name="Bea", role="pupil"), Mentioned(user_id="pupil", name="Léa", role="pupil")]})
    first, _ = await store.append_message(named, ("pupil", "b"))
    await store.append_message(b.message(other.id, author="a", project_id=p.id), ("pupil",))
    await store.append_message(b.message("r_elsewhere", author="a", project_id="prj_elsewhere"), ("pupil",))
    await store.forget_person(p.id, "pupil")
    assert await store.mention_count(room.id, "pupil", 0) == 0 and await store.mention_count(other.id, "pupil", 0) == 0
    assert await store.mention_count(room.id, "b", 0) == 1  # the others' stay
    assert await store.mention_count("r_elsewhere", "pupil", 0) == 1  # another project's stay
    changed = await store.get_message(room.id, first.id)
    assert changed is not None and changed.rev > first.rev  # a change clients catch up with
    assert [(m.user_id, m.name) for m in changed.mentions] == [("b", "Bea"), (ERASED, "")]
    assert [m.id for m in await store.changes_after(room.id, first.rev, 10)] == [first.id]
