"""Restriction actions: mutes, room rules, safeguarding settings, hiding messages and posts.

Each change is decided in ``rooms/`` and stored (with its audit entry) before
it is answered; the pushes then tell exactly those it concerns: the muted
pupil, the room, the project's members each as they may see the settings,
the forum's readers. Because every instance reads the stored rules on every
send, the pushes only refresh screens: no instance waits for them to enforce.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rooms.chat import redacted as redacted_message
from rooms.chat_models import Message
from rooms.forum import redacted as redacted_post
from rooms.forum_models import Post
from rooms.models import Space
from rooms.restriction_models import (
    ChatHideIn,
    MuteIn,
    MuteState,
    PostHideIn,
    ProjectSafeguarding,
    RoomConfigureIn,
    SafeguardIn,
    SafeguardingRef,
    UnmuteIn,
)
from rooms.safeguarding_models import Safeguarding
from server.actions.base import Context, Later, Outcome, Push, ToRoom, ToUsers, action, answer
from server.actions.forum import to_readers


def _told(state: MuteState) -> ToUsers:
    """A pupil's mutes changed: their own screens show it (every connection, on every instance)."""
    return ToUsers("moderation:muted", state, (state.user_id,))


@action(MuteIn, MuteState)
async def mute(ctx: Context, data: MuteIn) -> Outcome[Any]:
    state = await ctx.services.safeguarding.mute(ctx.user, data)
    return answer(state, _told(state))


@action(UnmuteIn, MuteState)
async def unmute(ctx: Context, data: UnmuteIn) -> Outcome[Any]:
    state = await ctx.services.safeguarding.unmute(ctx.user, data)
    return answer(state, _told(state))


@action(RoomConfigureIn, Space)
async def room_configure(ctx: Context, data: RoomConfigureIn) -> Outcome[Any]:
    space = await ctx.services.safeguarding.configure(ctx.user, data)
    if space.kind == "chat":
        return answer(space, ToRoom("room:updated", space, space.id))
    return answer(space, to_readers(ctx, "room:updated", space, space))


@action(SafeguardingRef, Safeguarding)
async def settings_get(ctx: Context, ref: SafeguardingRef) -> Outcome[Any]:
    """The project's safeguarding settings; the teachers' own words only for staff."""
    return answer(await ctx.services.safeguarding.settings(ctx.user, ref.project_id))


@action(SafeguardIn, Safeguarding)
async def settings_change(ctx: Context, data: SafeguardIn) -> Outcome[Any]:
    service = ctx.services.safeguarding
    rules = await service.safeguard(ctx.user, data)

    async def make() -> Sequence[Push]:
        staff, others = await service.audience(data.project_id)
        whole = ProjectSafeguarding(project_id=data.project_id, **rules.model_dump())
        public = whole.model_copy(update={"custom_words": [], "allowed_words": []})  # as rooms/safeguarding.for_viewer
        return (ToUsers("project:safeguarding", whole, tuple(staff)),
                ToUsers("project:safeguarding", public, tuple(others)))
    return answer(rules, Later(make))


@action(ChatHideIn, Message)
async def chat_hide(ctx: Context, data: ChatHideIn) -> Outcome[Any]:
    """The moderator gets the message whole; the room gets it as members see it (staff fetch the text)."""
    message = await ctx.services.chat.hide(ctx.user, data.room_id, data.message_id, data.hidden)
    return answer(message, ToRoom("chat:message_hidden", redacted_message(message), message.room_id))


@action(PostHideIn, Post)
async def post_hide(ctx: Context, data: PostHideIn) -> Outcome[Any]:
    post, space = await ctx.services.forum.hide_post(ctx.user, data.post_id, data.hidden)
    return answer(post, to_readers(ctx, "forum:post_hidden", redacted_post(post), space))


ACTIONS = {
    "moderation:mute": mute,
    "moderation:unmute": unmute,
    "room:configure": room_configure,
    "project:safeguarding": settings_get,
    "project:safeguard": settings_change,
    "chat:hide": chat_hide,
    "forum:post_hide": post_hide,
}
