"""Polls and their votes on SQLite."""

from __future__ import annotations

from rooms.chat_models import Message
from storage.documents.sqlite_chat import ChatTables


class PollTables(ChatTables):  # changes go through ChatTables.save_change
    async def vote(self, room_id: str, message_id: str, user_id: str, choices: list[int], at: str) -> tuple[Message, list[int]] | None:
        raise NotImplementedError  # TODO(classroom): rooms.ports.ClassroomStore.vote

    async def close_poll(self, room_id: str, message_id: str, at: str) -> Message | None:
        raise NotImplementedError  # TODO(classroom): rooms.ports.ClassroomStore.close_poll

    async def polls_due(self, at: str, limit: int) -> list[Message]:
        return []  # TODO(classroom): rooms.ports.ClassroomStore.polls_due

    async def poll_votes(self, room_id: str, message_id: str) -> list[tuple[str, list[int]]]:
        raise NotImplementedError  # TODO(classroom): rooms.ports.ClassroomStore.poll_votes

    async def my_votes(self, room_id: str, user_id: str, message_ids: list[str]) -> dict[str, list[int]]:
        return {}  # TODO(classroom): rooms.ports.ClassroomStore.my_votes

    async def erase_votes(self, project_id: str, user_id: str, at: str, limit: int) -> int:
        return 0  # TODO(classroom): rooms.ports.ClassroomStore.erase_votes

