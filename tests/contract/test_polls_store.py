"""Polls on every adapter of the document port: a poll is a message whose ``poll`` is set; a vote
replaces the person's earlier one and moves the counts; closing; the polls whose time has come;
who chose what; one person's choices; an erasure's votes."""

from __future__ import annotations

import asyncio

import pytest

from rooms.audit_models import AuditEntry
from rooms.chat_models import Message
from rooms.classroom_models import Poll, PollOption
from rooms.errors import Conflict
from rooms.ids import new_id, utcnow
from rooms.ports import DocumentStore
from tests.contract import builders as b


def poll_message(room: str, options: int = 3, *, multiple: bool = False, closes_at: str | None = None,
                 project_id: str = "prj_x") -> Message:
    message = b.message(room, author="t1", text="Which river?", project_id=project_id)
    poll = Poll(question="Which river?", options=[PollOption(text=f"o{i}") for i in range(options)],
                multiple=multiple, closes_at=closes_at)
    return message.model_copy(update={"poll": poll})


def counts(message: Message) -> tuple[list[int], int]:
    assert message.poll is not None
    return [o.votes for o in message.poll.options], message.poll.voters


async def _vote(store: DocumentStore, poll: Message, user: str, choices: list[int]) -> Message:
    voted = await store.vote(poll.room_id, poll.id, user, choices, utcnow())
    assert voted is not None and voted[1] == choices
    return voted[0]


async def test_votes_replace_each_other_and_move_the_counts(store: DocumentStore) -> None:
    poll, _ = await store.append_message(poll_message("r1"))
    assert poll.rev == 1 and counts(poll) == ([0, 0, 0], 0)
    after = await _vote(store, poll, "p1", [0])
    assert counts(after) == ([1, 0, 0], 1) and after.rev == 2
    assert counts(await _vote(store, poll, "p2", [0])) == ([2, 0, 0], 2)
    changed = await _vote(store, poll, "p1", [2])  # a vote changed
    assert counts(changed) == ([1, 0, 1], 2) and changed.rev == 4
    same = await _vote(store, poll, "p1", [2])  # the same again: no change, no rev
    assert same == changed and await store.last_rev("r1") == 4
    back = await _vote(store, poll, "p2", [])  # taken back
    assert counts(back) == ([0, 0, 1], 1)
    assert await store.get_message("r1", poll.id) == back  # the stored document carries the counts
    assert await store.poll_votes("r1", poll.id) == [("p1", [2])]
    assert await store.my_votes("r1", "p1", [poll.id, "msg_none"]) == {poll.id: [2]}
    assert await store.my_votes("r1", "p2", [poll.id]) == {}
    assert await store.my_votes("r1", "p1", []) == {}
    assert [m.id for m in await store.changes_after("r1", 3, 10)] == [poll.id]  # each vote is a change


async def test_multiple_choice_counts_each_option_and_each_voter_once(store: DocumentStore) -> None:
    poll, _ = await store.append_message(poll_message("r1", 4, multiple=True))
    await _vote(store, poll, "p1", [0, 2, 3])
    assert counts(await _vote(store, poll, "p2", [2])) == ([1, 0, 2, 1], 2)
    assert counts(await _vote(store, poll, "p1", [1, 2])) == ([0, 1, 2, 0], 2)
    assert sorted(await store.poll_votes("r1", poll.id)) == [("p1", [1, 2]), ("p2", [2])]


async def test_votes_at_once_lose_no_count(store: DocumentStore) -> None:
    poll, _ = await store.append_message(poll_message("r1", 2))
    await asyncio.gather(*(store.vote("r1", poll.id, f"p{i}", [i % 2], utcnow()) for i in range(12)))
    found = await store.get_message("r1", poll.id)
    assert found is not None and counts(found) == ([6, 6], 12)
    assert len(await store.poll_votes("r1", poll.id)) == 12


async def test_no_vote_in_a_closed_poll_or_in_what_is_not_a_poll(store: DocumentStore) -> None:
    poll, _ = await store.append_message(poll_message("r1"))
    plain, _ = await store.append_message(b.message("r1"))
    await _vote(store, poll, "p1", [1])
    closed = await store.close_poll("r1", poll.id, "2026-12-02T10:00:00.000Z")
    assert closed is not None and closed.poll is not None and closed.poll.closed
    assert closed.poll.closed_at == "2026-12-02T10:00:00.000Z" and counts(closed) == ([0, 1, 0], 1)
    assert await store.close_poll("r1", poll.id, utcnow()) is None  # closed once
    with pytest.raises(Conflict) as refused:
        await store.vote("r1", poll.id, "p2", [0], utcnow())
    assert refused.value.code == "chat.poll_closed"
    assert await store.poll_votes("r1", poll.id) == [("p1", [1])]  # nothing written
    assert await store.vote("r1", plain.id, "p1", [0], utcnow()) is None
    assert await store.vote("r1", "msg_none", "p1", [0], utcnow()) is None
    assert await store.vote("r2", poll.id, "p1", [0], utcnow()) is None  # another room's
    assert await store.close_poll("r1", plain.id, utcnow()) is None
    await store.delete_message("r1", poll.id, "t1", utcnow())
    assert await store.vote("r1", poll.id, "p1", [0], utcnow()) is None  # deleted


async def test_polls_due_are_the_open_ones_whose_time_has_come(store: DocumentStore) -> None:
    later, _ = await store.append_message(poll_message("r1", closes_at="2026-12-02T10:05:00.000Z"))
    sooner, _ = await store.append_message(poll_message("r2", closes_at="2026-12-02T10:00:00.000Z"))
    await store.append_message(poll_message("r1"))  # closed by hand only
    shut, _ = await store.append_message(poll_message("r1", closes_at="2026-12-02T09:00:00.000Z"))
    await store.close_poll("r1", shut.id, utcnow())
    gone, _ = await store.append_message(poll_message("r1", closes_at="2026-12-02T09:00:00.000Z"))
    await store.delete_message("r1", gone.id, "t1", utcnow())
    assert await store.polls_due("2026-12-02T09:59:59.999Z", 10) == []
    assert [m.id for m in await store.polls_due("2026-12-02T10:00:00.000Z", 10)] == [sooner.id]
    assert [m.id for m in await store.polls_due("2026-12-03T00:00:00.000Z", 10)] == [sooner.id, later.id]
    assert [m.id for m in await store.polls_due("2026-12-03T00:00:00.000Z", 1)] == [sooner.id]
    await _vote(store, later, "p1", [0])  # a vote keeps it due
    assert [m.id for m in await store.polls_due("2026-12-03T00:00:00.000Z", 10)] == [sooner.id, later.id]
    await store.close_poll("r2", sooner.id, utcnow())
    assert [m.id for m in await store.polls_due("2026-12-03T00:00:00.000Z", 10)] == [later.id]


async def test_an_erasure_takes_a_persons_votes_and_the_counts_follow(store: DocumentStore) -> None:
    poll, _ = await store.append_message(poll_message("r1", project_id="prj_e"))
    shut, _ = await store.append_message(poll_message("r1", project_id="prj_e"))
    elsewhere, _ = await store.append_message(poll_message("r9", project_id="prj_other"))
    await _vote(store, poll, "p1", [0])
    await _vote(store, poll, "p2", [0])
    await _vote(store, shut, "p1", [1])
    await _vote(store, elsewhere, "p1", [2])
    await store.close_poll("r1", shut.id, utcnow())
    assert await store.erase_votes("prj_e", "p1", utcnow(), 1) == 1
    assert await store.erase_votes("prj_e", "p1", utcnow(), 10) == 1
    assert await store.erase_votes("prj_e", "p1", utcnow(), 10) == 0
    found, closed = await store.get_message("r1", poll.id), await store.get_message("r1", shut.id)
    assert found is not None and counts(found) == ([1, 0, 0], 1)
    assert closed is not None and counts(closed) == ([0, 0, 0], 0)  # a closed poll's counts follow too
    assert await store.poll_votes("r1", poll.id) == [("p2", [0])]
    assert await store.my_votes("r9", "p1", [elsewhere.id]) == {elsewhere.id: [2]}  # another project's stay


async def test_a_teachers_closing_is_recorded_with_it(store: DocumentStore) -> None:
    poll, _ = await store.append_message(poll_message("r1", project_id="prj_a"))
    entry = AuditEntry(id=new_id("aud"), project_id="prj_a", actor_id="t1", actor_name="Teacher", actor_role="admin",
                       action="poll.close", target_kind="message", target_id=poll.id, at=utcnow())
    assert await store.close_poll("r1", poll.id, utcnow(), audit=entry) is not None
    again = entry.model_copy(update={"id": new_id("aud")})
    assert await store.close_poll("r1", poll.id, utcnow(), audit=again) is None  # nothing stored
    assert [e.id for e, _ in await store.list_audit("prj_a", None, 10)] == [entry.id]


async def test_a_polls_tombstone_keeps_no_question_and_expiry_takes_the_votes(store: DocumentStore) -> None:
    deleted, _ = await store.append_message(poll_message("r1", project_id="prj_t"))
    old = poll_message("r1", project_id="prj_t").model_copy(update={"created_at": "2020-01-01T00:00:00.000Z"})
    expired, _ = await store.append_message(old)
    erased, _ = await store.append_message(poll_message("r1", project_id="prj_t").model_copy(
        update={"author_id": "t9"}))
    await _vote(store, expired, "p1", [0])
    gone = await store.delete_message("r1", deleted.id, "t1", utcnow())
    assert gone is not None and gone.poll is None and gone.text is None
    assert await store.expire_messages("prj_t", "2021-01-01T00:00:00.000Z", utcnow(), 10) == 1
    assert await store.erase_messages("prj_t", "t9", utcnow(), 10) == 1
    for message in (deleted, expired, erased):
        found = await store.get_message("r1", message.id)
        assert found is not None and found.deleted and found.poll is None
    assert await store.poll_votes("r1", expired.id) == []
    assert await store.polls_due("2100-01-01T00:00:00.000Z", 10) == []


async def test_a_deleted_projects_votes_and_mentions_go_with_it(store: DocumentStore) -> None:
    p = b.project("validated")
    await store.create_project(p, [b.member(p.id, "t1")])
    room = b.space(p.id)
    await store.add_space(room, 10)
    poll = b.message(room.id, author="t1", project_id=p.id).model_copy(
        update={"poll": Poll(question="Which?", options=[PollOption(text="A"), PollOption(text="B")])})
    stored, _ = await store.append_message(poll, ("p1",))
    await store.vote(room.id, stored.id, "p1", [0], utcnow())
    assert await store.mention_count(room.id, "p1", 0) == 1
    while await store.delete_project_batch(p.id, 2):
        pass
    assert await store.get_project(p.id) is None
    assert await store.poll_votes(room.id, stored.id) == []
    assert await store.my_votes(room.id, "p1", [stored.id]) == {}
    assert await store.mention_count(room.id, "p1", 0) == 0
