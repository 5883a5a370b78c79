"""Reactions, pinned messages and the project's chat features (rooms/reactions.py).

A change is stored (with the room's next ``rev``) before it is answered; then the room hears the
whole message with its new state, as members see it (a hidden one without its text: visitors get the
authors as they see them from the fan-out). A repeat, which changed nothing, is answered and not
pushed. A change of the chat features is told to every member of the project.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rooms.chat import redacted
from rooms.chat_models import Message
from rooms.classroom_models import (
    ChatFeatures,
    ChatFeaturesIn,
    ChatPinIn,
    ChatReactIn,
    ProjectChatFeatures,
    ReactionList,
    ReactionsIn,
)
from server.actions.base import Action, Context, Later, Outcome, Push, ToRoom, ToUsers, action, answer


@action(ChatReactIn, Message)
async def chat_react(ctx: Context, data: ChatReactIn) -> Outcome[Any]:
    message, changed = await ctx.services.reactions.react(ctx.user, data)
    if not changed:
        return answer(message)
    return answer(message, ToRoom("chat:reactions_changed", redacted(message), message.room_id))


@action(ReactionsIn, ReactionList)
async def chat_reactions(ctx: Context, data: ReactionsIn) -> Outcome[Any]:
    return answer(await ctx.services.reactions.who(ctx.user, data))


@action(ChatPinIn, Message)
async def chat_pin(ctx: Context, data: ChatPinIn) -> Outcome[Any]:
    message, changed = await ctx.services.reactions.pin(ctx.user, data)
    if not changed:
        return answer(message)
    return answer(message, ToRoom("chat:pin_changed", redacted(message), message.room_id))


@action(ChatFeaturesIn, ChatFeatures)
async def chat_features(ctx: Context, data: ChatFeaturesIn) -> Outcome[Any]:
    service = ctx.services.reactions
    features, changed = await service.set_features(ctx.user, data)
    if not changed:
        return answer(features)

    async def make() -> Sequence[Push]:
        told = ProjectChatFeatures(project_id=data.project_id, **features.model_dump())
        return (ToUsers("project:chat_features", told, tuple(await service.members(data.project_id))),)
    return answer(features, Later(make))


ACTIONS: dict[str, Action] = {
    "chat:react": chat_react,
    "chat:reactions": chat_reactions,
    "chat:pin": chat_pin,
    "project:chat_features": chat_features,
}
