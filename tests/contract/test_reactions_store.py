"""Reactions and pinned messages of the document port, on every adapter: a message carries its
counts; each change takes the room's next ``rev`` and a repeat takes none; tombstones take neither;
who reacted in order; one's own reactions on a page; a room's pins, capped, most recent first; and a
person's reactions erased with the counts following."""

from __future__ import annotations

import pytest

from rooms.audit_models import AuditEntry
from rooms.classroom_models import ReactionCount
from rooms.errors import Conflict
from rooms.ids import new_id, utcnow
from rooms.ports import DocumentStore
from tests.contract import builders as b

T1, T2, T3 = "2026-12-01T10:00:00.000Z", "2026-12-01T10:00:01.000Z", "2026-12-01T10:00:02.000Z"


async def test_reactions_count_per_emoji_and_a_repeat_changes_nothing(store: DocumentStore) -> None:
    sent, _ = await store.append_message(b.message("r1"))
    done = await store.react("r1", sent.id, "a", "👍", True, T1)
    assert done is not None and done[1] and done[0].rev == 2
    assert done[0].reactions == [ReactionCount(emoji="👍", count=1)]
    again = await store.react("r1", sent.id, "a", "👍", True, T2)
    assert again is not None and not again[1] and again[0].rev == 2 and await store.last_rev("r1") == 2
    await store.react("r1", sent.id, "b", "🎉", True, T2)
    both = await store.react("r1", sent.id, "b", "👍", True, T3)
    assert both is not None and both[0].rev == 4
    # By first reaction: 👍 came first.
    assert both[0].reactions == [ReactionCount(emoji="👍", count=2), ReactionCount(emoji="🎉", count=1)]
    assert await store.get_message("r1", sent.id) == both[0]
    assert [m.id for m in await store.changes_after("r1", 3, 10)] == [sent.id]


async def test_taking_back_a_reaction(store: DocumentStore) -> None:
    sent, _ = await store.append_message(b.message("r1"))
    await store.react("r1", sent.id, "a", "👍", True, T1)
    await store.react("r1", sent.id, "b", "👍", True, T2)
    back = await store.react("r1", sent.id, "a", "👍", False, T3)
    assert back is not None and back[1] and back[0].reactions == [ReactionCount(emoji="👍", count=1)]
    gone = await store.react("r1", sent.id, "b", "👍", False, T3)
    assert gone is not None and gone[0].reactions == [] and gone[0].rev == 5
    nothing = await store.react("r1", sent.id, "b", "👍", False, T3)  # not there: no change, no rev
    assert nothing is not None and not nothing[1] and await store.last_rev("r1") == 5


async def test_tombstones_and_unknown_messages_take_no_reaction(store: DocumentStore) -> None:
    sent, _ = await store.append_message(b.message("r1"))
    await store.delete_message("r1", sent.id, "u1", utcnow())
    assert await store.react("r1", sent.id, "a", "👍", True, T1) is None
    assert await store.react("r1", "msg_none", "a", "👍", True, T1) is None
    assert await store.react("r2", sent.id, "a", "👍", True, T1) is None  # another room's id
    assert await store.reactions_of("r1", sent.id) == []


async def test_who_reacted_in_order_and_ones_own_reactions(store: DocumentStore) -> None:
    first, _ = await store.append_message(b.message("r1"))
    second, _ = await store.append_message(b.message("r1"))
    quiet, _ = await store.append_message(b.message("r1"))
    await store.react("r1", first.id, "b", "🎉", True, T2)
    await store.react("r1", first.id, "a", "👍", True, T1)
    await store.react("r1", first.id, "a", "🎉", True, T3)
    await store.react("r1", second.id, "a", "✅", True, T1)
    assert await store.reactions_of("r1", first.id) == [("👍", "a"), ("🎉", "b"), ("🎉", "a")]
    assert await store.reactions_of("r1", quiet.id) == []
    mine = await store.my_reactions("r1", "a", [first.id, second.id, quiet.id])
    assert mine == {first.id: ["👍", "🎉"], second.id: ["✅"]}
    assert await store.my_reactions("r1", "b", [second.id]) == {}
    assert await store.my_reactions("r1", "a", []) == {}
    assert await store.my_reactions("r2", "a", [first.id]) == {}


def _entry(project_id: str, action: str, target_id: str) -> AuditEntry:
    return AuditEntry(id=new_id("aud"), project_id=project_id, actor_id="t1", actor_name="Teacher",
                      actor_role="teacher", action=action, target_kind="message", target_id=target_id, at=utcnow())


async def test_pins_are_capped_listed_most_recent_first_and_recorded(store: DocumentStore) -> None:
    p = b.project("validated")
    await store.create_project(p, [b.member(p.id, "t1")])
    one, _ = await store.append_message(b.message("r1", project_id=p.id))
    two, _ = await store.append_message(b.message("r1", project_id=p.id))
    three, _ = await store.append_message(b.message("r1", project_id=p.id))
    assert await store.pinned_messages("r1") == []
    pinned = await store.pin_message("r1", one.id, True, "t1", T1, 2, audit=_entry(p.id, "message.pin", one.id))
    assert pinned is not None and pinned.pinned and pinned.pinned_by == "t1" and pinned.pinned_at == T1
    assert pinned.rev == 4
    again = await store.pin_message("r1", one.id, True, "t2", T2, 2, audit=_entry(p.id, "message.pin", one.id))
    assert again == pinned and await store.last_rev("r1") == 4  # already pinned: nothing changes
    await store.pin_message("r1", two.id, True, "t1", T2, 2)
    assert [m.id for m in await store.pinned_messages("r1")] == [two.id, one.id]
    with pytest.raises(Conflict) as full:
        await store.pin_message("r1", three.id, True, "t1", T3, 2)
    assert full.value.code == "chat.pins_full" and full.value.data == {"max": 2}
    unpinned = await store.pin_message("r1", one.id, False, "t1", T3, 2, audit=_entry(p.id, "message.unpin", one.id))
    assert unpinned is not None and not unpinned.pinned and unpinned.pinned_at is None and unpinned.pinned_by is None
    assert await store.pin_message("r1", one.id, False, "t1", T3, 2) == unpinned
    await store.pin_message("r1", three.id, True, "t1", T3, 2)
    assert [m.id for m in await store.pinned_messages("r1")] == [three.id, two.id]
    await store.delete_message("r1", two.id, "u1", utcnow())  # a deleted message leaves the pins
    assert [m.id for m in await store.pinned_messages("r1")] == [three.id]
    assert await store.pin_message("r1", two.id, True, "t1", T3, 2) is None
    assert await store.pin_message("r1", "msg_none", True, "t1", T3, 2) is None
    logged = [(e.action, e.target_id) for e, _ in await store.list_audit(p.id, None, 10)][::-1]
    assert logged == [("message.pin", one.id), ("message.unpin", one.id)]  # nothing for the repeat


async def test_a_persons_reactions_are_erased_and_the_counts_follow(store: DocumentStore) -> None:
    p = b.project("validated")
    await store.create_project(p, [b.member(p.id, "t1")])
    room, other_room = b.space(p.id), b.space(p.id, "teachers")
    await store.add_space(room, 10)
    await store.add_space(other_room, 10)
    elsewhere = b.project("validated")
    await store.create_project(elsewhere, [b.member(elsewhere.id, "t1")])
    foreign = b.space(elsewhere.id)
    await store.add_space(foreign, 10)
    first, _ = await store.append_message(b.message(room.id, project_id=p.id))
    second, _ = await store.append_message(b.message(other_room.id, project_id=p.id))
    kept, _ = await store.append_message(b.message(foreign.id, project_id=elsewhere.id))
    await store.react(room.id, first.id, "p9", "👍", True, T1)
    await store.react(room.id, first.id, "p9", "🎉", True, T1)
    await store.react(room.id, first.id, "a", "👍", True, T2)
    await store.react(other_room.id, second.id, "p9", "✅", True, T1)
    await store.react(foreign.id, kept.id, "p9", "✅", True, T1)
    before = await store.last_rev(room.id)
    assert await store.erase_reactions(p.id, "p9", utcnow(), 2) == 2
    erased = 2
    while done := await store.erase_reactions(p.id, "p9", utcnow(), 2):
        erased += done
    assert erased == 3
    assert await store.reactions_of(room.id, first.id) == [("👍", "a")]
    assert await store.reactions_of(other_room.id, second.id) == []
    now_first = await store.get_message(room.id, first.id)
    assert now_first is not None and now_first.reactions == [ReactionCount(emoji="👍", count=1)]
    assert now_first.rev > before and [m.id for m in await store.changes_after(room.id, before, 10)] == [first.id]
    now_second = await store.get_message(other_room.id, second.id)
    assert now_second is not None and now_second.reactions == []
    assert await store.reactions_of(foreign.id, kept.id) == [("✅", "p9")]  # another project's stay
    assert await store.my_reactions(room.id, "p9", [first.id]) == {}


async def test_a_deleted_projects_reactions_go_with_it(store: DocumentStore) -> None:
    p = b.project("validated")
    await store.create_project(p, [b.member(p.id, "t1")])
    room = b.space(p.id)
    await store.add_space(room, 10)
    sent, _ = await store.append_message(b.message(room.id, project_id=p.id))
    await store.react(room.id, sent.id, "p1", "👍", True, T1)
    while await store.delete_project_batch(p.id, 2):
        pass
    assert await store.get_project(p.id) is None
    assert await store.reactions_of(room.id, sent.id) == []
    assert await store.my_reactions(room.id, "p1", [sent.id]) == {}
