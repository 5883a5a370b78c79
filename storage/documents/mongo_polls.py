"""Polls and their votes on MongoDB."""

from __future__ import annotations

from rooms.chat_models import Message
from storage.documents.mongo_base import translated
from storage.documents.mongo_chat import ChatCollections


class PollCollections(ChatCollections):  # changes go through ChatCollections.save_change
    @translated
    async def vote(self, room_id: str, message_id: str, user_id: str, choices: list[int], at: str) -> tuple[Message, list[int]] | None:
        raise NotImplementedError  # TODO(classroom): rooms.ports.ClassroomStore.vote

    @translated
    async def close_poll(self, room_id: str, message_id: str, at: str) -> Message | None:
        raise NotImplementedError  # TODO(classroom): rooms.ports.ClassroomStore.close_poll

    @translated
    async def polls_due(self, at: str, limit: int) -> list[Message]:
        return []  # TODO(classroom): rooms.ports.ClassroomStore.polls_due

    @translated
    async def poll_votes(self, room_id: str, message_id: str) -> list[tuple[str, list[int]]]:
        raise NotImplementedError  # TODO(classroom): rooms.ports.ClassroomStore.poll_votes

    @translated
    async def my_votes(self, room_id: str, user_id: str, message_ids: list[str]) -> dict[str, list[int]]:
        return {}  # TODO(classroom): rooms.ports.ClassroomStore.my_votes

    @translated
    async def erase_votes(self, project_id: str, user_id: str, at: str, limit: int) -> int:
        return 0  # TODO(classroom): rooms.ports.ClassroomStore.erase_votes

