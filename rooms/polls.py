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

from rooms.chat_models import Message


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
