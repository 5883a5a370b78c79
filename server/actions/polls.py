"""Polls in chat rooms (rooms/polls.py): posting one, voting, closing, who chose what.

A poll is posted as a chat message (the room hears ``chat:message``); each vote and each closing
is pushed to the room as ``chat:poll_changed`` with the message: its counts, never who voted.
"""

from __future__ import annotations

from typing import Any

from rooms.chat import redacted
from rooms.chat_models import Message, PollVoted
from rooms.classroom_models import ChatPollCreateIn, ChatPollRefIn, ChatPollVoteIn, PollVoters
from server.actions.base import Action, Context, Outcome, ToRoom, ToUsers, action, answer


def changed(message: Message) -> ToRoom:
    """The room hears a poll's new counts (a hidden poll stays hidden to its members)."""
    return ToRoom("chat:poll_changed", redacted(message), message.room_id)


@action(ChatPollCreateIn, Message)
async def poll_create(ctx: Context, data: ChatPollCreateIn) -> Outcome[Any]:
    message, created = await ctx.services.polls.create(ctx.user, data)
    if not created:  # a retry: the room was told the first time
        return answer(message)
    unread = ctx.services.chat.unread_after_send(message)
    return answer(message, ToRoom("chat:message", message, message.room_id),
                  ToUsers("room:unread", unread, (ctx.user.id,), skip_sid=ctx.sid))


@action(ChatPollVoteIn, PollVoted)
async def poll_vote(ctx: Context, data: ChatPollVoteIn) -> Outcome[Any]:
    voted = await ctx.services.polls.vote(ctx.user, data)
    return answer(voted, changed(voted.message))


@action(ChatPollRefIn, Message)
async def poll_close(ctx: Context, data: ChatPollRefIn) -> Outcome[Any]:
    message = await ctx.services.polls.close(ctx.user, data)
    return answer(message, changed(message))  # staff only: the answer is the whole message


@action(ChatPollRefIn, PollVoters)
async def poll_voters(ctx: Context, data: ChatPollRefIn) -> Outcome[Any]:
    return answer(await ctx.services.polls.voters(ctx.user, data))


ACTIONS: dict[str, Action] = {
    "chat:poll_create": poll_create,
    "chat:poll_vote": poll_vote,
    "chat:poll_close": poll_close,
    "chat:poll_voters": poll_voters,
}
