"""Polls in chat rooms: a teacher asks, members vote (and change their vote until it closes).

A poll is a chat message whose ``poll`` is set (:class:`rooms.classroom_models.Poll`); its question
is also the message's ``text``, so history, the change feed, retention and erasure treat it as a
message. Each vote replaces the voter's earlier one; the counts on the message follow each vote
incrementally (:func:`tally`), and every vote is the room's next change (``rev``), pushed to the
room as ``chat:poll_changed`` with the counts only. Who chose what is kept apart (the store's
``poll_votes``) and shown to staff only, and never for an anonymous poll.

A poll closes by hand (``chat.poll_close``) or when its ``closes_at`` passes: votes are refused
from that moment (on the injected clock), and the background sweep (``server/lifespan.py``) marks
it closed and tells the room. ``close_poll`` closes a poll once, so two instances sweeping at the
same time push it once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from rooms import audit, limits
from rooms.audience import for_role
from rooms.chat import ChatRules, as_seen
from rooms.chat_models import Message, PollVoted
from rooms.classroom_models import (
    ChatPollCreateIn,
    ChatPollRefIn,
    ChatPollVoteIn,
    Person,
    Poll,
    PollOption,
    PollOptionVoters,
    PollVoters,
)
from rooms.clock import Clock, parse, stamp, system_clock
from rooms.errors import Conflict, Forbidden, InvalidRequest, NotFound, RateLimited
from rooms.ids import new_id
from rooms.models import Space, User
from rooms.ports import DocumentStore, RateLimiter
from rooms.projects import Access, ProjectService
from rooms.safeguarding import check_write
from rooms.wordfilter import screen


def tally(message: Message, before: list[int], after: list[int]) -> Message:
    """``message`` with its poll's counts moved from one person's ``before`` choices to ``after``
    (either empty: no vote), without counting the other votes again."""
    poll = message.poll
    assert poll is not None, "a poll's message"
    votes = [o.votes for o in poll.options]
    for index in before:
        if 0 <= index < len(votes):
            votes[index] = max(0, votes[index] - 1)
    for index in after:
        if 0 <= index < len(votes):
            votes[index] += 1
    voters = max(0, poll.voters + (1 if after else 0) - (1 if before else 0))
    options = [o.model_copy(update={"votes": n}) for o, n in zip(poll.options, votes, strict=True)]
    return message.model_copy(update={"poll": poll.model_copy(update={"options": options, "voters": voters})})


def closed(message: Message, at: str) -> Message:
    """``message`` with its poll closed at ``at``."""
    assert message.poll is not None, "a poll's message"
    return message.model_copy(update={"poll": message.poll.model_copy(update={"closed": True, "closed_at": at})})


# ---- the service --------------------------------------------------------------------------------

SWEEP_BATCH = 100  # polls closed per store read by the sweep; it reads again until none is left


def is_closed(poll: Poll, now: datetime) -> bool:
    """Closed by hand, or its time has come (before the sweep has marked it)."""
    return poll.closed or (poll.closes_at is not None and parse(poll.closes_at) <= now)


def check_choices(poll: Poll, choices: list[int]) -> None:
    """Single choice: exactly one; multiple: one or more distinct; each an option; empty: take one's vote back."""
    if not choices:
        return
    count = len(poll.options)
    fits = all(0 <= c < count for c in choices) and len(set(choices)) == len(choices)
    if not fits or (not poll.multiple and len(choices) != 1):
        raise InvalidRequest("chat.poll_choice_invalid", allowed="1" if not poll.multiple else f"1-{count}",
                             options=count)


class PollService:
    """Polls: created by staff, voted in by members who may write, closed by hand or on time."""

    def __init__(self, store: DocumentStore, projects: ProjectService, limiter: RateLimiter, rules: ChatRules,
                 *, clock: Clock = system_clock) -> None:
        self._store = store
        self._projects = projects
        self._limiter = limiter
        self._rules = rules
        self._clock = clock

    async def _poll(self, user: User, room_id: str, message_id: str, action: str) -> tuple[Space, Access, Message]:
        """A live poll of a chat room the user may ``action`` in."""
        room, access = await self._projects.get_space(user, room_id, action, kind="chat")
        message = await self._store.get_message(room_id, message_id)
        if message is None or message.deleted or (message.hidden and not access.is_staff):
            raise NotFound("message.not_found")
        if message.poll is None:
            raise InvalidRequest("chat.not_a_poll")
        return room, access, message

    async def create(self, user: User, data: ChatPollCreateIn) -> tuple[Message, bool]:
        """Post a poll; (message, True) when new, (the earlier one, False) on a retry (same ``client_id``)."""
        room, access = await self._projects.get_space(user, data.room_id, "chat.poll_create", kind="chat")
        now = self._clock()
        check_write(access, room, now)
        closes_at = None
        if data.closes_at is not None:
            if data.closes_at <= now:
                raise InvalidRequest("request.invalid", detail="closes_at: give a time in the future")
            if data.closes_at > now + timedelta(days=limits.POLL_OPEN_DAYS_MAX):
                raise InvalidRequest("request.invalid",
                                     detail=f"closes_at: at most {limits.POLL_OPEN_DAYS_MAX} days ahead")
            closes_at = stamp(data.closes_at)
        key = f"chat:{user.id}"  # a poll is a message for the sender's chat rate limit
        wait = await self._limiter.hit(key, self._rules.rate_messages, self._rules.rate_window_secs)
        if wait > 0:
            earlier = await self._store.find_message(room.id, user.id, data.client_id)
            if earlier is not None:
                return earlier, False
            raise RateLimited("rate.limited", retry_after_secs=max(1, round(wait + 0.5)))
        screen(access, data.question, *data.options)  # the word filter, as on a message
        poll = Poll(question=data.question, options=[PollOption(text=o) for o in data.options],
                    multiple=data.multiple, anonymous=data.anonymous, closes_at=closes_at)
        message = Message(
            id=new_id("msg"), room_id=room.id, project_id=room.project_id, seq=0, client_id=data.client_id,
            author_id=user.id, author_name=access.member.display_name if access.member else user.name,
            author_role=access.role, text=data.question, created_at=stamp(now), poll=poll)
        stored, created = await self._store.append_message(message)
        if not created:
            await self._limiter.refund(key)
        return stored, created

    async def vote(self, user: User, data: ChatPollVoteIn) -> PollVoted:
        """Vote, change one's vote, or take it back (no choices), until the poll closes."""
        room, access, message = await self._poll(user, data.room_id, data.message_id, "chat.poll_vote")
        now = self._clock()
        check_write(access, room, now)
        assert message.poll is not None
        if is_closed(message.poll, now):
            raise Conflict("chat.poll_closed")
        check_choices(message.poll, data.choices)
        voted = await self._store.vote(room.id, message.id, user.id, list(data.choices), stamp(now))
        if voted is None:
            raise NotFound("message.not_found")
        stored, choices = voted
        return PollVoted(message=as_seen([stored], access)[0], choices=choices)

    async def close(self, user: User, data: ChatPollRefIn) -> Message:
        """A teacher closes a poll before its time (recorded in the audit log)."""
        room, access, message = await self._poll(user, data.room_id, data.message_id, "chat.poll_close")
        assert message.poll is not None
        if message.poll.closed:
            raise Conflict("chat.poll_closed")
        at = stamp(self._clock())
        record = audit.entry(user, access, room.project_id, "poll.close", "message", message.id,
                             before={"closed": False}, after={"closed": True},
                             note=f"room {room.id}, seq {message.seq}, by {message.author_id}", at=at)
        closed_now = await self._store.close_poll(room.id, message.id, at, audit=record)
        if closed_now is None:
            raise Conflict("chat.poll_closed")  # closed meanwhile (by another teacher, or on time)
        return closed_now

    async def voters(self, user: User, data: ChatPollRefIn) -> PollVoters:
        """Who chose each option of a poll that is not anonymous (staff only), in the order they voted."""
        _, access, message = await self._poll(user, data.room_id, data.message_id, "chat.poll_voters")
        assert message.poll is not None
        if message.poll.anonymous:
            raise Forbidden("chat.poll_anonymous")
        votes = await self._store.poll_votes(data.room_id, message.id)
        members = {m.user_id: m for m in await self._store.list_members(message.project_id, limits.MEMBERS_PAGE_MAX)}
        people: list[list[Person]] = [[] for _ in message.poll.options]
        for user_id, choices in votes:
            member = members.get(user_id)
            person = Person(user_id=user_id, name=member.display_name if member else "",
                            role=member.role if member else None)
            for index in choices:
                if 0 <= index < len(people):
                    people[index].append(person)
        result = PollVoters(room_id=data.room_id, message_id=message.id,
                            options=[PollOptionVoters(index=i, people=p) for i, p in enumerate(people)])
        return for_role(access.role, result)

    async def close_due(self) -> list[Message]:
        """Close every poll whose time has come (the background sweep); those this call closed.

        Another instance sweeping at the same moment closes each poll once: ``close_poll`` answers
        None for a poll that is closed already, and only the instance that closed it tells the room.
        """
        at = stamp(self._clock())
        done: list[Message] = []
        while True:
            due = await self._store.polls_due(at, SWEEP_BATCH)
            for message in due:
                closed_now = await self._store.close_poll(message.room_id, message.id, at)
                if closed_now is not None:
                    done.append(closed_now)
            if len(due) < SWEEP_BATCH:
                return done
