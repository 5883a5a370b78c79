"""The only place that sends pushes to clients.

Callers reach it only after the store has confirmed what is being told.
Recipients are chosen here explicitly: a chat room's pushes go to the
connections that joined it (which the policy let in), a person's pushes
to that person's own connections. Socket.IO room names:

- ``room:<room_id>``: connections that joined a chat room;
- ``user:<user_id>``: every connection of one user (several tabs).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

import socketio

log = logging.getLogger(__name__)

from rooms.chat_models import Message, PresenceEntry, PresenceUpdate, TypingPush, Unread
from rooms.forum_models import Post, Thread
from rooms.mail_models import MailCopy, MailUnread
from server.wire import jsonable

# Every push the server sends: event -> data, for the protocol document and its test.
PUSHES = {
    "chat:message": Message,
    "chat:message_edited": Message,
    "chat:message_deleted": Message,
    "chat:typing": TypingPush,
    "presence:update": PresenceUpdate,
    "room:unread": Unread,
    "forum:thread_created": Thread,
    "forum:thread_updated": Thread,
    "forum:post_created": Post,
    "forum:post_edited": Post,
    "forum:post_deleted": Post,
    "mail:received": MailCopy,
    "mail:unread": MailUnread,
}


def room_channel(room_id: str) -> str:
    return f"room:{room_id}"


def user_channel(user_id: str) -> str:
    return f"user:{user_id}"


PRESENCE_BATCH_SECS = 0.2  # a class joining at once: one push per room, not one per pupil


class Fanout:
    def __init__(self, sio: socketio.AsyncServer) -> None:
        self._sio = sio
        self._presence: dict[str, tuple[dict[str, PresenceEntry], set[str]]] = {}  # room -> (joined, left)
        self._flushing: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()  # owned here; awaited by aclose()

    # ---- subscriptions -----------------------------------------------------

    async def subscribe(self, sid: str, channel: str) -> None:
        await self._sio.enter_room(sid, channel)

    async def unsubscribe(self, sid: str, channel: str) -> None:
        await self._sio.leave_room(sid, channel)

    # ---- pushes --------------------------------------------------------------

    async def _emit(self, event: str, data: Any, channel: str | list[str], skip_sid: str | None = None) -> None:
        assert event in PUSHES, event
        try:
            await self._sio.emit(event, jsonable(data), room=channel, skip_sid=skip_sid)
        except Exception as exc:  # noqa: BLE001 - what was stored stays stored; clients fill gaps by seq
            log.warning("push %s not sent: %s", event, exc)

    async def message_created(self, message: Message) -> None:
        await self._emit("chat:message", message, room_channel(message.room_id))

    async def message_edited(self, message: Message) -> None:
        await self._emit("chat:message_edited", message, room_channel(message.room_id))

    async def message_deleted(self, message: Message) -> None:
        await self._emit("chat:message_deleted", message, room_channel(message.room_id))

    async def typing(self, room_id: str, who: PresenceEntry, skip_sid: str) -> None:
        await self._emit("chat:typing", TypingPush(room_id=room_id, user=who), room_channel(room_id), skip_sid)

    def after_ack(self, *pushes: Coroutine[Any, Any, None]) -> None:
        """Send ``pushes`` in order once the running handler has returned (and its ack is queued).

        Tasks start in the order they were created, so pushes scheduled for
        messages stored one after the other leave in that order.
        """
        async def in_order() -> None:
            for push in pushes:
                await push
        self._own(asyncio.create_task(in_order()))

    def _own(self, task: asyncio.Task[None]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def presence_changed(self, room_id: str, joined: PresenceEntry | None = None, left: str | None = None) -> None:
        """Someone came online or went offline in a room: told to the room in one batched push."""
        batch = self._presence.setdefault(room_id, ({}, set()))
        if joined is not None:
            batch[0][joined.user_id] = joined
            batch[1].discard(joined.user_id)
        if left is not None:
            batch[0].pop(left, None)
            batch[1].add(left)
        if room_id not in self._flushing:
            self._flushing.add(room_id)
            self._own(asyncio.create_task(self._flush_presence(room_id), name=f"presence:{room_id}"))

    async def _flush_presence(self, room_id: str) -> None:
        await asyncio.sleep(PRESENCE_BATCH_SECS)
        self._flushing.discard(room_id)
        joined, left = self._presence.pop(room_id, ({}, set()))
        if joined or left:
            await self._emit("presence:update", PresenceUpdate(room_id=room_id, joined=list(joined.values()),
                                                               left=sorted(left)), room_channel(room_id))

    async def aclose(self) -> None:
        """Send the presence changes still waiting, then stop; the lifespan calls it once."""
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def unread(self, user_id: str, unread: Unread, skip_sid: str) -> None:
        """A person's read state moved: told to their other connections (the one that acted has its ack)."""
        await self._emit("room:unread", unread, user_channel(user_id), skip_sid)

    async def to_users(self, event: str, data: Any, user_ids: list[str]) -> None:
        """A push to every connection of each of ``user_ids`` (forum and mail)."""
        if user_ids:
            await self._emit(event, data, [user_channel(u) for u in sorted(set(user_ids))])
