"""The only place that sends pushes to clients.

Actions return their pushes (``server/actions/base.py``); the dispatchers
hand them here once the answer has left, so a push always follows the
store's confirmation and the acting client's answer. Recipients were
chosen by the action, explicitly: a chat room's pushes go to the
connections that joined it (which the policy let in), a person's pushes
to that person's own connections (``server/channels.py``).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

import socketio
from pydantic import BaseModel

from rooms import limits
from rooms.audience import for_visitors
from rooms.chat import guest_key, presence_view
from rooms.chat_models import MentionPush, Message, PresenceEntry, PresenceUpdate, TypingPush, Unread
from rooms.classroom_models import ProjectChatFeatures, SeenCounts
from rooms.forum_models import Post, Thread
from rooms.mail_models import MailCopy, MailRemoved, MailUnread
from rooms.models import Space
from rooms.privacy_models import MemberErased
from rooms.report_models import MyReport, ReportView
from rooms.restriction_models import MuteState, ProjectSafeguarding
from server.actions.base import (
    Evicted,
    Later,
    Notify,
    PresenceChanged,
    Push,
    SeenMoved,
    ToRoom,
    ToSupport,
    ToUsers,
)
from server.channels import guest_channel, room_channel, support_channel, user_channel
from server.realtime import direct
from server.realtime.managers import DirectEmitManager
from server.realtime.pubsub import PromptListenerRedisManager
from server.wire import jsonable

log = logging.getLogger(__name__)

# Every push the server sends: event -> data, for the protocol document, the SDK's types and their tests.
PUSHES: dict[str, type[BaseModel]] = {
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
    "mail:removed": MailRemoved,
    "moderation:muted": MuteState,
    "room:updated": Space,
    "project:safeguarding": ProjectSafeguarding,
    "chat:message_hidden": Message,
    "forum:post_hidden": Post,
    "report:created": ReportView,
    "report:updated": ReportView,
    "report:handled": MyReport,
    "report:escalated": ReportView,
    "member:erased": MemberErased,
    # classroom chat (rooms/classroom_models.py): every one carries the message with its new rev
    "chat:reactions_changed": Message,
    "chat:pin_changed": Message,
    "chat:poll_changed": Message,
    "chat:seen": SeenCounts,
    "chat:mention": MentionPush,
    "project:chat_features": ProjectChatFeatures,
}

PRESENCE_BATCH_SECS = 0.2  # a class joining at once: one push per room, not one per pupil


class Fanout:
    """Sends pushes through python-socketio's client manager (in-process, or Redis between instances)."""

    def __init__(self, sio: socketio.AsyncServer, published: Callable[[str], None] | None = None) -> None:
        self._sio = sio
        manager = sio.manager
        self._reaches = manager.reaches_anyone if isinstance(manager, DirectEmitManager) else _anyone
        self._published = published  # told the event of each push handed to the client manager (the metrics)
        self._presence: dict[str, tuple[dict[str, PresenceEntry], set[str]]] = {}  # room -> (joined, left)
        self._flushing: set[str] = set()
        self._seen: dict[str, SeenMoved] = {}  # room -> the latest move of its markers, waiting for its batch
        self._seen_told: dict[str, frozenset[tuple[int, int]]] = {}  # room -> its counts above 0 last told here
        self._tasks: set[asyncio.Task[None]] = set()  # owned here; awaited by aclose()
        self._waiting: deque[Sequence[Push]] = deque()  # answered handlers' pushes, in the order they came
        self._idle = asyncio.Event()  # set while nobody is sending _waiting
        self._idle.set()

    # ---- subscriptions (the Channels of server/actions/base.py) -------------

    async def subscribe(self, sid: str, channel: str) -> None:
        await self._sio.enter_room(sid, channel)

    async def unsubscribe(self, sid: str, channel: str) -> None:
        await self._sio.leave_room(sid, channel)

    def caught_up(self, channel: str, seq: int) -> None:
        """A chat room was read up to ``seq`` by a connection that subscribed to ``channel`` first: with Redis
        between instances, the channel's pushes go on in seq order from there (``server/realtime/pubsub.py``)."""
        manager = self._sio.manager
        if isinstance(manager, PromptListenerRedisManager):
            manager.caught_up("/", channel, seq)

    # ---- pushes -------------------------------------------------------------

    def after_answer(self, pushes: Sequence[Push]) -> None:
        """Send ``pushes`` once the running handler has returned and its answer is written.

        They wait in one line with every other handler's (``_waiting``), and leave in the order they
        came, so pushes of messages stored one after the other leave in that order. The line is sent
        by whoever comes first: a handler started as its event arrived, right after its answer, in its
        own task (``server/realtime/direct.py``: no task per event's pushes), else a task.
        """
        if not pushes:
            return
        self._waiting.append(pushes)
        if not self._idle.is_set() or direct.after_this_answer(self._send_waiting):
            return  # the one sending the line takes these too
        self._own(asyncio.create_task(self._send_waiting()))

    async def _send_waiting(self) -> None:
        """The line's pushes, in order, until it is empty; nothing when another is sending it."""
        if not self._idle.is_set():
            return
        self._idle.clear()
        try:
            while self._waiting:
                await self.deliver(self._waiting.popleft())
        finally:
            self._idle.set()

    async def deliver(self, pushes: Sequence[Push]) -> None:
        """Send ``pushes`` now, in order. A push that cannot be sent is logged; what was stored stays
        stored, and clients fill gaps by ``seq``."""
        for push in pushes:
            try:
                await self._one(push)
            except Exception as exc:  # noqa: BLE001 - the next push still goes out
                log.warning("push %s not sent: %s", type(push).__name__, exc, exc_info=exc)

    async def _one(self, push: Push) -> None:
        if isinstance(push, ToRoom):
            channels = [room_channel(push.room_id), guest_channel(push.room_id)]
            if push.guest_data is not None:
                guests = push.guest_data
            elif self._reaches("/", channels[1:]):
                guests = for_visitors(push.data)
            else:  # no visitor here: their view is not made (most rooms have none), the members' goes
                await self._emit(push.event, push.data, channels[0], push.skip_sid)  # to the members only
                return
            if guests is push.data:
                await self._emit(push.event, push.data, channels, push.skip_sid)
            else:  # two views: the members' and the visitors' (rooms.audience)
                await self._emit(push.event, push.data, channels[0], push.skip_sid)
                await self._emit(push.event, guests, channels[1], push.skip_sid)
        elif isinstance(push, ToUsers):
            channels = [user_channel(u) for u in sorted(set(push.user_ids))]
            # Not made when nobody here would get it (a person's push to their other connections, and
            # they have none; a person not connected here), unless another instance may host them.
            if channels and self._reaches("/", channels, push.skip_sid):
                await self._emit(push.event, push.data, channels, push.skip_sid)
            if push.guest_ids:
                await self._emit(push.event, for_visitors(push.data),
                                 [user_channel(u) for u in sorted(set(push.guest_ids))], push.skip_sid)
        elif isinstance(push, PresenceChanged):
            self._presence_changed(push)
        elif isinstance(push, SeenMoved):
            self._seen_moved(push)
        elif isinstance(push, Evicted):
            for sid in push.sids:
                await self.unsubscribe(sid, room_channel(push.room_id))
                await self.unsubscribe(sid, guest_channel(push.room_id))
        elif isinstance(push, Later):
            await self.deliver(await push.make())
        elif isinstance(push, ToSupport):
            await self._emit(push.event, push.data, support_channel())
        elif isinstance(push, Notify):  # on a task of its own: a slow mail server delays no push
            self._own(asyncio.create_task(self._notify(push), name="notify"))
        else:  # pragma: no cover - the union is closed
            raise TypeError(f"not a push: {push!r}")

    async def _emit(self, event: str, data: Any, channel: str | list[str], skip_sid: str | None = None) -> None:
        assert event in PUSHES, event
        if self._published is not None:
            self._published(event)
        await self._sio.emit(event, jsonable(data), room=channel, skip_sid=skip_sid)

    @staticmethod
    async def _notify(push: Notify) -> None:
        try:
            await push.send()
        except Exception as exc:  # noqa: BLE001 - a notice that fails is logged; nothing else depends on it
            log.warning("notice not sent: %s", exc, exc_info=exc)

    def _own(self, task: asyncio.Task[None]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _presence_changed(self, change: PresenceChanged) -> None:
        """Someone came online or went offline in a room: told to the room in one batched push."""
        batch = self._presence.setdefault(change.room_id, ({}, set()))
        if change.joined is not None:
            batch[0][change.joined.user_id] = change.joined
            batch[1].discard(change.joined.user_id)
        if change.left is not None:
            batch[0].pop(change.left, None)
            batch[1].add(change.left)
        if change.room_id not in self._flushing:
            self._flushing.add(change.room_id)
            self._own(asyncio.create_task(self._flush_presence(change.room_id), name=f"presence:{change.room_id}"))

    async def _flush_presence(self, room_id: str) -> None:
        await asyncio.sleep(PRESENCE_BATCH_SECS)
        self._flushing.discard(room_id)
        joined, left = self._presence.pop(room_id, ({}, set()))
        if joined or left:
            update = PresenceUpdate(room_id=room_id, joined=[presence_view(e, room_id, guest=False)
                                                             for e in joined.values()], left=sorted(left))
            guests = PresenceUpdate(room_id=room_id, joined=[presence_view(e, room_id, guest=True)
                                                             for e in joined.values()],
                                    left=sorted(guest_key(room_id, u) for u in left))
            await self.deliver([ToRoom("presence:update", update, room_id, guest_data=guests)])

    def _seen_moved(self, moved: SeenMoved) -> None:
        """Read markers moved in a room: its counts are read and told once the batch's time is up, so a
        class reading at once costs one count and one push per room a second, not one per reader."""
        waiting = moved.room_id in self._seen
        self._seen[moved.room_id] = moved
        if not waiting:
            self._own(asyncio.create_task(self._flush_seen(moved.room_id), name=f"seen:{moved.room_id}"))

    async def _flush_seen(self, room_id: str) -> None:
        await asyncio.sleep(limits.SEEN_BATCH_SECS)
        moved = self._seen.pop(room_id, None)
        if moved is None:
            return
        try:
            tally = await moved.count()
        except Exception as exc:  # noqa: BLE001 - the next move of the markers tells the counts again
            log.warning("seen counts of %s not read: %s", room_id, exc, exc_info=exc)
            return
        # A send moves its author's marker onto their own message, which does not count its author:
        # in a room whose members are caught up, the counts above 0 stay as they were, and there is
        # nothing to tell (a message with no count has been seen by nobody yet).
        # A message that left the window (the latest SEEN_COUNTS_MAX) keeps the count told before.
        told = frozenset((seq, seen) for seq, seen in tally.pairs if seen > 0)
        before = self._seen_told.pop(room_id, None)
        window = {seq for seq, _ in tally.pairs}
        if before is not None and told == {(seq, seen) for seq, seen in before if seq in window}:
            self._seen_told[room_id] = told
            return
        self._seen_told[room_id] = told
        if len(self._seen_told) > limits.SEEN_TOLD_ROOMS_MAX:  # the rooms longest without a change go first
            del self._seen_told[next(iter(self._seen_told))]
        await self.deliver([ToRoom("chat:seen", tally.counts(), room_id)])  # counts only: visitors hear the same

    async def aclose(self) -> None:
        """Send the pushes still waiting, then stop; the lifespan calls it once."""
        while self._tasks or self._waiting or not self._idle.is_set():
            if self._waiting and self._idle.is_set():
                self._own(asyncio.create_task(self._send_waiting()))
            await self._idle.wait()  # a handler's task may be sending the line
            await asyncio.gather(*self._tasks, return_exceptions=True)


def _anyone(namespace: str, rooms: list[str], skip_sid: str | None = None) -> bool:
    """What a client manager that cannot tell who an emit reaches says: anyone may be there."""
    return True
