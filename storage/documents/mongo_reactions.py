"""Reactions and pinned messages on MongoDB."""

from __future__ import annotations

from rooms.chat_models import Message
from storage.documents.mongo_base import translated
from storage.documents.mongo_chat import ChatCollections


class ReactionCollections(ChatCollections):  # changes go through ChatCollections.save_change
    @translated
    async def react(self, room_id: str, message_id: str, user_id: str, emoji: str, on: bool, at: str) -> tuple[Message, bool] | None:
        raise NotImplementedError  # TODO(classroom): rooms.ports.ClassroomStore.react

    @translated
    async def reactions_of(self, room_id: str, message_id: str) -> list[tuple[str, str]]:
        raise NotImplementedError  # TODO(classroom): rooms.ports.ClassroomStore.reactions_of

    @translated
    async def my_reactions(self, room_id: str, user_id: str, message_ids: list[str]) -> dict[str, list[str]]:
        return {}  # TODO(classroom): rooms.ports.ClassroomStore.my_reactions

    @translated
    async def erase_reactions(self, project_id: str, user_id: str, at: str, limit: int) -> int:
        return 0  # TODO(classroom): rooms.ports.ClassroomStore.erase_reactions

    @translated
    async def pin_message(self, room_id: str, message_id: str, pinned: bool, by: str, at: str, max_pins: int) -> Message | None:
        raise NotImplementedError  # TODO(classroom): rooms.ports.ClassroomStore.pin_message

    @translated
    async def pinned_messages(self, room_id: str) -> list[Message]:
        return []  # TODO(classroom): rooms.ports.ClassroomStore.pinned_messages

