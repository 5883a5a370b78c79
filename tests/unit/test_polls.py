"""Polls (rooms/polls.py), every rule on a clock the test sets, over a real SQLite store.

The services are the server's own (``Services.build``), as in test_safeguarding.py: closing on time
is tested by moving the clock, never by waiting.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import storage
from rooms.chat_models import ChatHistoryIn, ChatSendIn, Message
from rooms.classroom_models import ChatPollCreateIn, ChatPollRefIn, ChatPollVoteIn
from rooms.errors import TwinspaceError
from rooms.models import MemberIn, PartnerIn, ProjectIn, SpaceIn, User
from rooms.restriction_models import MuteIn
from server import settings as config
from server.services import Services
from storage.ephemeral.memory import MemoryPresence
from tests.unit.test_safeguarding import PARTNER, PUPIL, SUPPORT, TEACHER, TUESDAY_NOON_UTC, Clock, ClockedLimiter

PUPIL2 = User(id="pupil_fr2", name="Hugo", role="pupil", school=TEACHER.school, country="FR")
VISITOR = User(id="parent_fr", name="Mme Martin", role="visitor", country="FR")


@dataclass
class World:
    services: Services
    clock: Clock
    project_id: str
    general: str
    n: int = 0

    async def poll(self, *, by: User = TEACHER, options: int = 3, **extra: Any) -> Message:
        self.n += 1
        data = {"room_id": self.general, "client_id": f"p{self.n}", "question": "Which river is longest?",
                "options": [f"River {i}" for i in range(options)], **extra}
        message, created = await self.services.polls.create(by, ChatPollCreateIn.model_validate(data))
        assert created
        return message

    async def vote(self, who: User, poll: Message, choices: list[int]) -> Message:
        voted = await self.services.polls.vote(who, ChatPollVoteIn(room_id=self.general, message_id=poll.id,
                                                                   choices=choices))
        assert voted.choices == choices
        return voted.message

    def ref(self, poll: Message) -> ChatPollRefIn:
        return ChatPollRefIn(room_id=self.general, message_id=poll.id)


async def refused(call: Any) -> TwinspaceError:
    with pytest.raises(TwinspaceError) as caught:
        await call
    return caught.value


def counts(message: Message) -> tuple[list[int], int]:
    assert message.poll is not None
    return [o.votes for o in message.poll.options], message.poll.voters


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    clock = Clock(TUESDAY_NOON_UTC)
    async with (storage.open_documents(f"sqlite://{tmp_path / 'polls.db'}") as documents,
                storage.open_objects(f"file://{tmp_path / 'files'}") as objects):
        async def fanout_ping() -> None:
            return None

        settings = config.load({"data_dir": str(tmp_path), "chat_rate_messages": "3"}, {})
        services = Services.build(settings, documents, objects, MemoryPresence(), ClockedLimiter(clock), fanout_ping,
                                  clock=clock)
        projects = services.projects
        project = await projects.register(TEACHER, ProjectIn(title="Rivers", subject="Geography", age_min=12,
                                                             age_max=14, languages=["en", "fr"], partners=[
            PartnerIn(user_id=PARTNER.id, display_name=PARTNER.name, school=PARTNER.school, country="DE")]))
        await projects.review(SUPPORT, project.id, approve=True)
        for who in (PUPIL, PUPIL2, VISITOR):
            await projects.add_member(TEACHER, project.id, MemberIn(role=who.role, user_id=who.id,
                                                                     display_name=who.name))
        open_day = await projects.create_space(TEACHER, project.id, SpaceIn(name="Open day", visibility="visitors"))
        yield World(services, clock, project.id, open_day.id)  # a room visitors read too


# ---- creating -----------------------------------------------------------------------------------


async def test_a_teacher_posts_a_poll_as_a_message(world: World) -> None:
    poll = await world.poll(options=2, multiple=True, anonymous=True)
    assert poll.text == "Which river is longest?" and poll.author_role == "admin" and poll.seq == 1
    assert poll.poll is not None and [o.text for o in poll.poll.options] == ["River 0", "River 1"]
    assert poll.poll.multiple and poll.poll.anonymous and not poll.poll.closed and counts(poll) == ([0, 0], 0)
    again, created = await world.services.polls.create(TEACHER, ChatPollCreateIn(
        room_id=world.general, client_id=poll.client_id, question="Another?", options=["a", "b"]))
    assert again == poll and not created  # the same client_id: the same poll


async def test_pupils_and_visitors_post_no_poll(world: World) -> None:
    for who in (PUPIL, VISITOR):
        assert (await refused(world.poll(by=who))).code == "permission.denied"


async def test_a_poll_closes_in_the_future_and_at_most_sixty_days_ahead(world: World) -> None:
    now = TUESDAY_NOON_UTC
    past = await refused(world.poll(closes_at=(now - timedelta(seconds=1)).isoformat()))
    assert past.code == "request.invalid" and "future" in past.data["detail"]
    far = await refused(world.poll(closes_at=(now + timedelta(days=60, seconds=1)).isoformat()))
    assert far.code == "request.invalid" and "60 days" in far.data["detail"]
    poll = await world.poll(closes_at="2026-12-01T14:30:00+01:00")  # a time zone of its own
    assert poll.poll is not None and poll.poll.closes_at == "2026-12-01T13:30:00.000Z"  # the project's stamps
    edge = await world.poll(closes_at=(now + timedelta(days=60)).isoformat())
    assert edge.poll is not None and edge.poll.closes_at == "2027-01-30T12:00:00.000Z"


async def test_a_poll_counts_as_a_message_for_the_senders_rate_limit(world: World) -> None:
    await world.poll()
    await world.services.chat.send(TEACHER, ChatSendIn(room_id=world.general, client_id="m1", text="vote!"))
    await world.poll()
    assert (await refused(world.poll())).code == "rate.limited"  # three a window in this world
    world.clock.advance(minutes=5)
    await world.poll()


# ---- voting -------------------------------------------------------------------------------------


async def test_members_vote_once_and_change_their_vote(world: World) -> None:
    poll = await world.poll()
    assert counts(await world.vote(PUPIL, poll, [1])) == ([0, 1, 0], 1)
    assert counts(await world.vote(PUPIL2, poll, [1])) == ([0, 2, 0], 2)
    assert counts(await world.vote(PUPIL, poll, [2])) == ([0, 1, 1], 2)  # changed, not counted twice
    assert counts(await world.vote(TEACHER, poll, [0])) == ([1, 1, 1], 3)  # teachers may vote too
    assert counts(await world.vote(PUPIL2, poll, [])) == ([1, 0, 1], 2)  # taken back
    page = await world.services.chat.history(PUPIL, ChatHistoryIn(room_id=world.general))
    assert page.mine.votes == {poll.id: [2]}  # one's own choices come with the page


async def test_choices_must_fit_the_poll(world: World) -> None:
    single = await world.poll(options=3)
    several = await world.poll(options=4, multiple=True)
    for poll, choices, allowed, options in ((single, [0, 1], "1", 3), (single, [3], "1", 3), (single, [1, 1], "1", 3),
                                            (several, [0, 0], "1-4", 4), (several, [4], "1-4", 4)):
        error = await refused(world.vote(PUPIL, poll, choices))
        assert error.code == "chat.poll_choice_invalid" and error.data == {"allowed": allowed, "options": options}
    assert counts(await world.vote(PUPIL, several, [0, 3])) == ([1, 0, 0, 1], 1)
    assert counts(await world.vote(PUPIL2, several, [3])) == ([1, 0, 0, 2], 2)


async def test_only_polls_take_votes_and_only_writers_vote(world: World) -> None:
    poll = await world.poll()
    plain, _ = await world.services.chat.send(TEACHER, ChatSendIn(room_id=world.general, client_id="m", text="hi"))
    assert (await refused(world.vote(PUPIL, plain, [0]))).code == "chat.not_a_poll"
    assert (await refused(world.vote(VISITOR, poll, [0]))).code == "permission.denied"
    missing = ChatPollVoteIn(room_id=world.general, message_id="msg_none", choices=[0])
    assert (await refused(world.services.polls.vote(PUPIL, missing))).code == "message.not_found"
    await world.services.safeguarding.mute(TEACHER, MuteIn(project_id=world.project_id, user_id=PUPIL.id, minutes=10))
    assert (await refused(world.vote(PUPIL, poll, [0]))).code == "chat.muted"  # the write gate
    world.clock.advance(minutes=11)
    await world.vote(PUPIL, poll, [0])


# ---- closing ------------------------------------------------------------------------------------


async def test_a_teacher_closes_a_poll_by_hand_then_votes_are_refused(world: World) -> None:
    poll = await world.poll()
    await world.vote(PUPIL, poll, [0])
    assert (await refused(world.services.polls.close(PUPIL, world.ref(poll)))).code == "permission.denied"
    closed = await world.services.polls.close(TEACHER, world.ref(poll))
    assert closed.poll is not None and closed.poll.closed and closed.poll.closed_at == "2026-12-01T12:00:00.000Z"
    assert counts(closed) == ([1, 0, 0], 1)  # the results stay
    assert (await refused(world.vote(PUPIL, poll, [1]))).code == "chat.poll_closed"
    assert (await refused(world.vote(PUPIL, poll, []))).code == "chat.poll_closed"  # no taking back either
    assert (await refused(world.services.polls.close(TEACHER, world.ref(poll)))).code == "chat.poll_closed"
    entries = await world.services.documents.list_audit(world.project_id, None, 5, action="poll.close")
    assert [(e.actor_id, e.target_id, e.after) for e, _ in entries] == [(TEACHER.id, poll.id, {"closed": True})]


async def test_a_poll_closes_when_its_time_passes(world: World) -> None:
    soon = await world.poll(closes_at=(TUESDAY_NOON_UTC + timedelta(minutes=10)).isoformat())
    later = await world.poll(closes_at=(TUESDAY_NOON_UTC + timedelta(hours=2)).isoformat())
    await world.vote(PUPIL, soon, [2])
    assert await world.services.polls.close_due() == []
    world.clock.advance(minutes=10)
    # From that moment votes are refused, before the sweep has marked it closed.
    assert (await refused(world.vote(PUPIL2, soon, [0]))).code == "chat.poll_closed"
    closed = await world.services.polls.close_due()
    assert [m.id for m in closed] == [soon.id] and closed[0].poll is not None and closed[0].poll.closed
    assert counts(closed[0]) == ([0, 0, 1], 1)
    assert await world.services.polls.close_due() == []  # closed once
    await world.vote(PUPIL, later, [0])  # the other stays open


# ---- who voted ----------------------------------------------------------------------------------


async def test_teachers_see_who_chose_what_unless_the_poll_is_anonymous(world: World) -> None:
    poll = await world.poll(multiple=True)
    await world.vote(PUPIL, poll, [0, 2])
    await world.vote(PUPIL2, poll, [2])
    voters = await world.services.polls.voters(TEACHER, world.ref(poll))
    assert [(o.index, [(p.user_id, p.name, p.role) for p in o.people]) for o in voters.options] == [
        (0, [(PUPIL.id, "Léa", "pupil")]), (1, []), (2, [(PUPIL.id, "Léa", "pupil"), (PUPIL2.id, "Hugo", "pupil")])]
    for who in (PUPIL, VISITOR):
        assert (await refused(world.services.polls.voters(who, world.ref(poll)))).code == "permission.denied"
    secret = await world.poll(anonymous=True)
    await world.vote(PUPIL, secret, [1])
    assert (await refused(world.services.polls.voters(TEACHER, world.ref(secret)))).code == "chat.poll_anonymous"


async def test_an_erased_pupils_votes_go_and_the_counts_follow(world: World) -> None:
    poll = await world.poll()
    await world.vote(PUPIL, poll, [0])
    await world.vote(PUPIL2, poll, [0])
    erasure = world.services.erasure
    asked = await erasure.request(TEACHER, world.project_id, PUPIL.id)
    await erasure.confirm(TEACHER, world.project_id, PUPIL.id, asked.confirmation)
    found = await world.services.documents.get_message(world.general, poll.id)
    assert found is not None and counts(found) == ([1, 0, 0], 1)
    assert await world.services.documents.poll_votes(world.general, poll.id) == [(PUPIL2.id, [0])]


async def test_a_hidden_poll_is_shown_to_members_without_its_question(world: World) -> None:
    poll = await world.poll()
    await world.vote(PUPIL, poll, [0])
    await world.services.chat.hide(TEACHER, world.general, poll.id, True)
    page = await world.services.chat.history(PUPIL, ChatHistoryIn(room_id=world.general))
    assert [(m.text, m.poll) for m in page.messages] == [(None, None)]
    assert (await refused(world.vote(PUPIL, poll, [1]))).code == "message.not_found"
    staff = await world.services.chat.history(TEACHER, ChatHistoryIn(room_id=world.general))
    assert staff.messages[0].poll is not None and counts(staff.messages[0]) == ([1, 0, 0], 1)
