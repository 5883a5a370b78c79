"""Pushes between instances over Redis pub/sub: by room, or on one channel every instance hears.

This is the one module that touches python-socketio's private pub/sub
interface (``server/realtime/managers.py`` holds the local deliveries and
python-engineio's). Two managers, both delivering locally like
:class:`server.realtime.managers.DirectEmitManager`:

:class:`PromptListenerRedisManager` (``--fanout-pubsub broadcast``) is
python-socketio's ``AsyncRedisManager``: every push on one channel. Its own
listener waits up to 60 s between reconnection attempts and tells no one
whether it is subscribed, so this one replaces ``AsyncRedisManager._listen``
(recognised by its source; otherwise python-socketio's stays, with a
warning). It is back within ``LISTENER_RESUME_SECS`` (3 s) of Redis and
reports itself to ``/readyz``; ``tests/integration/test_faults.py`` checks
both on two instances.

:class:`RoomFanoutRedisManager` (``--fanout-pubsub rooms``, the default, or
``sharded``) hears only the rooms its instance hosts. python-socketio's
manager publishes every push on one channel that every instance receives and
decodes, hosting anyone in the room or not: the work per push grows with the
number of instances. This one gives every Socket.IO room (a chat room, its
visitors, a person's connections, the support officers, one connection's own
sid room: ``server/channels.py``) a Redis channel of its own,
``<channel>#<namespace>#<room>``:

- an instance subscribes to a room's channel when its first local connection
  enters the room, and unsubscribes when its last one leaves (a disconnect
  leaves every room). ``enter_room`` returns once Redis confirmed the
  subscription (or after ``SUBSCRIBE_WAIT_SECS``), so a ``room:join`` answered
  hears every push sent after it from any instance;
- a push to a room is published on that room's channel only, one publish per
  room for a push to several (sent together); a connection in two of them on
  another instance gets it once: each publication names the rooms before it
  (``skip_rooms``), whose members had it through theirs. ``skip_sid`` and
  emits with an ack callback work as in python-socketio;
- python-socketio's other messages between instances (disconnecting,
  entering or leaving a room for a connection held elsewhere, ``close_room``,
  ack callbacks, emits to everyone) stay on the shared control channel
  ``<channel>``, which every instance hears;
- with ``sharded=True`` it uses Redis 7's sharded pub/sub (``SSUBSCRIBE``,
  ``SPUBLISH``) for every channel, the control channel too, whose channels a Redis Cluster spreads over its shards (a
  single Redis 7 answers them too). On a Redis Cluster (a ``redis+cluster://`` URL, sharded only) the
  listener subscribes through ``server/realtime/cluster.py``'s subscriber, one connection per master,
  each channel on the master of its slot, and publishes through a ``RedisCluster``, routed by slot
  (:meth:`_listener_client`, :meth:`_redis_connect`: the only places that know of the cluster);
- the listener keeps :class:`PromptListenerRedisManager`'s
  robustness: back within ``LISTENER_RESUME_SECS`` of Redis, a ping after
  silence, :attr:`listening` for ``/readyz``; a reconnection resubscribes
  every hosted room in one go. A push published while an instance was
  resubscribing is lost to it, like any pub/sub loss: clients fill the gap
  by ``seq``.

An instance still receives its own publications on the rooms it hosts (Redis
sends them to every subscriber); it recognises them by their first bytes and
drops them undecoded. :attr:`received` counts every pub/sub message Redis
delivered to the listener, :attr:`published` every publication: plain
counters, for tests and metrics.

Both managers deliver a chat room's messages to this instance's members in
``seq`` order. The store gives each message its room's next ``seq``, and the
instance that took the send delivers it to its own members at once and
publishes it: two messages sent through two instances reach Redis, and the
other instances, in either order. So each ``chat:message`` push to a chat
room's channel (``room:ID`` or ``guests:ID``: each hears every message of the
room, in its own view) with a member here goes through :class:`SeqOrder`, per
(namespace, channel), this instance's own sends and those heard from Redis
alike (``_handle_emit``, which python-socketio's ``emit`` and listener both
call):

- the next ``seq`` after the last delivered here goes at once, then whatever
  waited for it; the first of a channel here too, unless a ``room:join`` told
  :meth:`PromptListenerRedisManager.caught_up` the ``seq`` it read the room up
  to (it subscribed first), which the channel then goes on from;
- a later one is held until its predecessors come, for at most
  ``SEQ_HOLD_SECS`` (100 ms; held pushes waited 1 ms at the median and 17 ms
  at most in ``tests/integration/test_room_fanout.py``'s race), then goes, and
  the last delivered moves past the gap: the client fills it by ``seq``, as
  for any lost push, and only the pushes behind a gap wait, once;
- one at or below the last delivered (late, or a duplicate) goes at once.

No gap is normal: every message stored is pushed to both channels, a retried
send (same ``client_id``) stores nothing and takes no ``seq``, and edits,
deletions, hiding, reactions, pins and polls carry their message's ``seq`` on
events of their own, which are not held. A channel holds at most
``SEQ_HOLD_MAX`` pushes (then the oldest go), and is forgotten once its last
member here leaves. A push to several channels goes as one while none of it
is held; otherwise channel by channel, each skipping the members of the
channels before it (``skip_rooms``), so a connection in two still gets it
once. What is decided to go leaves one push at a time, in the order decided,
whichever task decided it. Other pushes, and one instance alone
(:class:`server.realtime.managers.DirectEmitManager`), are untouched.

Like ``PromptListenerRedisManager`` it leans on python-socketio's private
pub/sub interface (``AsyncPubSubManager._thread``, ``_listen``, ``_publish``,
``_handle_emit`` and the message format), and on every change of a room's
members going through ``BaseManager.basic_enter_room`` and
``basic_leave_room``. It is made only over the python-socketio it was
written for (5.18.1: :func:`replaceable` recognises those classes by their
source; ``pyproject.toml`` keeps python-socketio below 6), and otherwise
:func:`client_manager` makes the broadcast one, with a warning.
``tests/integration/test_room_fanout.py`` checks the behaviour on three
instances and a real Redis.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Hashable, Iterable
from typing import Any, Generic, TypeVar

import socketio
from redis.asyncio import Redis
from socketio import async_pubsub_manager, base_manager
from socketio.packet import Packet

from server.channels import is_chat_channel
from server.realtime.managers import DirectEmitManager
from server.realtime.sources import source_sha256
from storage.ephemeral.redis import cluster_client, is_cluster

log = logging.getLogger(__name__)

# SHA-256 of python-socketio 5.18.1's AsyncPubSubManager._thread (which reads self._listen()) and of the
# AsyncRedisManager._listen that PromptListenerRedisManager replaces.
PUBSUB_THREAD_SHA256 = "fa8d075729aac64de1d145663569451888de265e509c3c02dd947a9d54245d15"
REPLACED_LISTEN_SHA256 = "3e74fdd1084b4e1316642955857c7bf698cbaa05ea3c8859e93388c4384e686f"
# After Redis returns, pushes between instances resume within LISTENER_RESUME_SECS: the longest wait
# between two attempts, plus one connection attempt.
LISTEN_RETRY_FIRST_SECS = 0.25
LISTEN_RETRY_MAX_SECS = 1.0
LISTEN_CONNECT_TIMEOUT_SECS = 2.0
LISTENER_RESUME_SECS = LISTEN_RETRY_MAX_SECS + LISTEN_CONNECT_TIMEOUT_SECS
# A Redis that stops answering without closing the connection (paused, a network cut without a
# reset) never ends a wait for the next message: after LISTEN_PING_SECS of silence the listener pings,
# and a Redis silent LISTEN_PONG_SECS more is down (the listener reconnects, /readyz says so).
LISTEN_POLL_SECS = 0.5
LISTEN_PING_SECS = 2.0
LISTEN_PONG_SECS = 2.0
LISTENER_DOWN_SECS = LISTEN_PING_SECS + LISTEN_PONG_SECS + LISTEN_POLL_SECS  # a paused Redis is seen within
# Publishing waits at most this for Redis (python-socketio tries twice, then drops the push: clients fill
# the gap by seq and rev), so that a paused Redis holds no push task for long.
PUBLISH_TIMEOUT_SECS = 2.0
# A chat room's chat:message pushes reach an instance from several publishers (every instance that stored
# one), in either order: one that comes before its predecessor waits here at most SEQ_HOLD_SECS for it
# (then goes, the gap left to the client to fill by seq), and a room holds at most SEQ_HOLD_MAX of them.
SEQ_HOLD_SECS = 0.1
SEQ_HOLD_MAX = 64
ORDERED_EVENT = "chat:message"  # the pushes that carry a room's next seq

T = TypeVar("T")


class SeqOrder(Generic[T]):
    """Items in ``seq`` order per key, each held at most ``hold_secs`` for the ones before it.

    :meth:`offer` says whether an item goes now and which held ones go after it: the first of a
    key, the next after the last that went (then its held successors), and a late one (at or below
    the last: a duplicate, or one that came after the bound) go at once; one after a gap is held
    until the gap fills, :meth:`expired` releases it after ``hold_secs``, or a key holding more than
    ``max_held`` releases its oldest. Released items go in ``seq`` order, and the last moves past
    them: a gap costs the items behind it one wait, not one each. No loop, no clock of its own
    besides ``clock``: the caller delivers and wakes up at :meth:`next_deadline`.
    """

    def __init__(self, hold_secs: float = SEQ_HOLD_SECS, max_held: int = SEQ_HOLD_MAX,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.hold_secs = hold_secs
        self.max_held = max_held
        self._clock = clock
        self._last: dict[Hashable, int] = {}  # key -> the last seq that went
        self._held: dict[Hashable, dict[int, list[T]]] = {}  # key -> seq -> items waiting for a predecessor
        self._due: deque[tuple[float, Hashable, int]] = deque()  # (deadline, key, seq), by deadline
        self.held = 0  # items ever held (counters, for tests and the log)
        self.expired = 0  # ... and let go before their predecessor came (the bound, or the cap)

    def __len__(self) -> int:
        """The keys remembered."""
        return len(self._last)

    def waiting(self, key: Hashable) -> int:
        return sum(len(items) for items in self._held.get(key, {}).values())

    def start(self, key: Hashable, seq: int) -> None:
        """``key`` was read up to ``seq`` (a join's page): a key not known yet goes on from there."""
        self._last.setdefault(key, seq)

    def offer(self, key: Hashable, seq: int, item: T) -> tuple[bool, list[T]]:
        """Whether ``item`` goes now, and the held items that go after it (in order)."""
        last = self._last.get(key)
        if last is None or seq == last + 1:
            self._last[key] = seq
            return True, self._successors(key)
        if seq <= last:
            return True, []
        held = self._held.setdefault(key, {})
        held.setdefault(seq, []).append(item)
        self._due.append((self._clock() + self.hold_secs, key, seq))
        self.held += 1
        if len(held) > self.max_held:
            self.expired += 1
            return False, self._through(key, min(held))
        return False, []

    def expired_items(self) -> list[T]:
        """The held items whose time is up, with whatever follows them, in order per key."""
        now, out = self._clock(), []
        while self._due and self._due[0][0] <= now:
            _, key, seq = self._due.popleft()
            if seq in self._held.get(key, {}):
                self.expired += 1
                out += self._through(key, seq)
        return out

    def next_deadline(self) -> float | None:
        """When the first held item's time is up (``clock``'s time), or None if none is held."""
        while self._due and self._due[0][2] not in self._held.get(self._due[0][1], {}):
            self._due.popleft()  # gone with its predecessor
        return self._due[0][0] if self._due else None

    def forget(self, key: Hashable) -> list[T]:
        """Drop ``key`` (its room is no longer hosted here); its held items, in order."""
        self._last.pop(key, None)
        held = self._held.pop(key, {})
        return [item for seq in sorted(held) for item in held[seq]]

    def _through(self, key: Hashable, seq: int) -> list[T]:
        """Let go every held item up to ``seq``, then its successors."""
        held = self._held[key]
        out = [item for s in sorted(s for s in held if s <= seq) for item in held.pop(s)]
        self._last[key] = max(self._last.get(key, seq), seq)
        return out + self._successors(key)

    def _successors(self, key: Hashable) -> list[T]:
        held = self._held.get(key)
        if held is None:
            return []
        out, last = [], self._last[key]
        while (items := held.pop(last + 1, None)) is not None:
            out += items
            last += 1
        self._last[key] = last
        if not held:
            del self._held[key]
        return out


class DirectEmitRedisManager(socketio.AsyncRedisManager, DirectEmitManager):
    """``AsyncRedisManager`` (pub/sub between instances) delivering locally like ``DirectEmitManager``."""

    def reaches_anyone(self, namespace: str, rooms: list[str], skip_sid: str | None = None) -> bool:
        """Other instances may host them: every push is published."""
        return True


class PromptListenerRedisManager(DirectEmitRedisManager):
    """``DirectEmitRedisManager`` whose listener is back within ``LISTENER_RESUME_SECS`` of Redis, and says so.

    python-socketio's own listener waits 1, 2, 4 ... up to 60 s between attempts, so after an
    outage of 16 s pushes between instances resumed only about 15 s after Redis was back. This
    one waits ``LISTEN_RETRY_FIRST_SECS`` doubling up to ``LISTEN_RETRY_MAX_SECS``, and keeps
    :attr:`listening` (subscribed and reading) for ``/readyz``. It delivers a chat room's messages
    to its members in ``seq`` order (:attr:`order`; the module's docstring). It replaces the private
    ``AsyncRedisManager._listen``, the generator python-socketio's ``AsyncPubSubManager._thread``
    reads the channel's messages from (python-socketio 5.18.1's, both recognised by their source;
    ``pyproject.toml`` keeps python-socketio below 6), and reads Redis through redis-py's public
    ``Redis.from_url(...).pubsub()`` on a client of its own; publishing stays python-socketio's.
    """

    listening = False
    heard_at: float | None = None  # time.monotonic() when Redis was last heard (a message, a pong): the metrics
    resubscribed: Callable[[], None] | None = None  # told each time the listener is back after losing Redis
    _order: SeqOrder[dict[str, Any]] | None = None
    _outbox: deque[dict[str, Any]] | None = None
    _sending = False
    _releaser: asyncio.Task[None] | None = None

    # ---- chat:message pushes in seq order, to this instance's members -------

    @property
    def order(self) -> SeqOrder[dict[str, Any]]:
        """Each hosted chat channel's ``chat:message`` pushes, in seq order (see the module's docstring)."""
        if self._order is None:
            self._order, self._outbox = SeqOrder(), deque()
        return self._order

    def caught_up(self, namespace: str, room: str, seq: int) -> None:
        """A connection of this instance's that entered the chat channel ``room`` read it up to ``seq`` (it
        was subscribed before it read): the channel's first push here need not be the next one."""
        if is_chat_channel(room) and room in self.rooms.get(namespace, {}):
            self.order.start((namespace, room), seq)

    async def _handle_emit(self, message: dict[str, Any]) -> None:
        """A push for this instance's members (its own, or another instance's): a chat room's messages in
        ``seq`` order, everything else at once."""
        if message.get("event") != ORDERED_EVENT or message.get("callback") or message.get("binary"):
            await self._deliver(message)
            return
        data, room = message.get("data"), message.get("room")
        seq = data[0].get("seq") if isinstance(data, list) and len(data) == 1 and isinstance(data[0], dict) else None
        rooms = list(room) if isinstance(room, (list, tuple)) else [room]
        namespace = message.get("namespace") or "/"
        hosted = self.rooms.get(namespace, {})
        if type(seq) is not int or not any(is_chat_channel(r) and r in hosted for r in rooms):
            await self._deliver(message)
            return
        order, now, later, skip_rooms = self.order, [], [], list(message.get("skip_rooms") or ())
        for i, one in enumerate(rooms):
            part = {**message, "room": one, "skip_rooms": skip_rooms + rooms[:i]}  # a connection in two: once
            if not (is_chat_channel(one) and one in hosted):
                now.append(part)
                continue
            goes, released = order.offer((namespace, one), seq, part)
            if goes:
                now.append(part)
            later += released
        if len(now) == len(rooms):  # the usual: all of it at once, as one push
            now = [message]
        elif self._releaser is None or self._releaser.done():  # held: let go at the latest after the bound
            self._releaser = asyncio.get_running_loop().create_task(self._release_held(), name="fanout-seq-order")
        await self._send_in_order(now + later)

    async def _send_in_order(self, messages: list[dict[str, Any]]) -> None:
        """Deliver ``messages`` after those already waiting: one at a time, in the order decided."""
        outbox = self._outbox
        assert outbox is not None
        outbox.extend(messages)
        if self._sending:  # the one delivering sends these too, in turn
            return
        self._sending = True
        try:
            while outbox:
                one = outbox.popleft()
                try:
                    await self._deliver(one)
                except Exception as exc:  # noqa: BLE001 - as python-socketio's listener: the next one still goes
                    log.warning("push %s not delivered here: %s", one.get("event"), exc, exc_info=exc)
        finally:
            self._sending = False

    async def _release_held(self) -> None:
        order = self.order
        while (deadline := order.next_deadline()) is not None:
            await asyncio.sleep(max(0.0, deadline - time.monotonic()))
            await self._send_in_order(order.expired_items())

    def basic_leave_room(self, sid: Any, namespace: Any, room: Any) -> None:
        super().basic_leave_room(sid, namespace, room)
        if self._order is not None and room not in self.rooms.get(namespace, {}):
            # No one here hears the channel: forgotten, and what it held goes to no one (a member who
            # enters it later subscribes, then reads the room, these messages included).
            self._order.forget((namespace or "/", room))

    async def _deliver(self, message: dict[str, Any]) -> None:
        skip_rooms = message.get("skip_rooms")
        if skip_rooms:  # members of the rooms before this one had it through theirs
            namespace = message.get("namespace")
            skip = message.get("skip_sid")
            skip = [] if skip is None else list(skip) if isinstance(skip, list) else [skip]
            skip += [sid for r in skip_rooms for sid, _ in self.get_participants(namespace, r)]
            message = {**message, "skip_sid": skip}
        await super()._handle_emit(message)

    async def _listen(self) -> AsyncIterator[bytes]:
        channel = self.channel.encode("utf-8")
        retry = LISTEN_RETRY_FIRST_SECS
        down_since: float | None = None
        while True:
            client = Redis.from_url(self.redis_url, **{"socket_connect_timeout": LISTEN_CONNECT_TIMEOUT_SECS,
                                                       **self.redis_options})
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                self.listening = True
                self.heard_at = time.monotonic()
                if down_since is not None:
                    log.info("fan-out listener back on Redis after %.1f s", time.monotonic() - down_since)
                    down_since = None
                    if self.resubscribed is not None:
                        self.resubscribed()
                retry = LISTEN_RETRY_FIRST_SECS
                async for data in _messages(pubsub, channel, self):
                    yield data
            except Exception as exc:  # noqa: BLE001 - any failure of the connection: try again shortly
                if down_since is None:
                    down_since = time.monotonic()
                    log.warning("fan-out listener lost Redis (%s); retrying every %s s at most", exc,
                                LISTEN_RETRY_MAX_SECS)
            finally:
                self.listening = False
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]  # redis-py leaves it unannotated
                    await client.aclose()
            await asyncio.sleep(retry)
            retry = min(retry * 2, LISTEN_RETRY_MAX_SECS)


async def _messages(pubsub: Any, channel: bytes, listener: PromptListenerRedisManager) -> AsyncIterator[bytes]:
    """The channel's messages, raising ``TimeoutError`` once Redis answers neither a message nor a ping."""
    heard = time.monotonic()
    pinged: float | None = None
    while True:
        message = await pubsub.get_message(timeout=LISTEN_POLL_SECS)
        now = time.monotonic()
        if message is not None:  # a message, or the answer to a ping: Redis is there
            heard, pinged = now, None
            listener.heard_at = now
            if message["type"] == "message" and message["channel"] == channel and "data" in message:
                yield message["data"]
        elif pinged is None and now - heard >= LISTEN_PING_SECS:
            await asyncio.wait_for(pubsub.ping(), LISTEN_PONG_SECS)
            pinged = now
        elif pinged is not None and now - pinged >= LISTEN_PONG_SECS:
            raise TimeoutError(f"Redis answered no ping for {LISTEN_PONG_SECS} s")


def listener_ready(manager: socketio.AsyncManager) -> bool:
    """Whether pushes from other instances reach this one: always with the in-process manager."""
    if isinstance(manager, async_pubsub_manager.AsyncPubSubManager):
        return bool(getattr(manager, "listening", True))  # python-socketio's own listener tells nothing
    return True


def listener_replaceable() -> bool:
    """Whether python-socketio's listener is the one :class:`PromptListenerRedisManager` stands in for."""
    return (source_sha256(async_pubsub_manager.AsyncPubSubManager._thread) == PUBSUB_THREAD_SHA256
            and source_sha256(socketio.AsyncRedisManager._listen) == REPLACED_LISTEN_SHA256)


# SHA-256 of the sources of python-socketio 5.18.1's AsyncPubSubManager and BaseManager, read together.
REPLACED_PUBSUB_SHA256 = "b03461f0937d1d4044af303e65e3924cdcfbdab1ef97cfffde076ab1dc30e367"
# enter_room waits at most this for Redis to confirm a new subscription, then answers anyway (a push
# missed meanwhile is filled by seq).
SUBSCRIBE_WAIT_SECS = 2.0


def _classes_sha256() -> str:
    return source_sha256(async_pubsub_manager.AsyncPubSubManager, base_manager.BaseManager)


def replaceable() -> bool:
    """Whether python-socketio's pub/sub manager is the one :class:`RoomFanoutRedisManager` was written for."""
    return _classes_sha256() == REPLACED_PUBSUB_SHA256


class RoomFanoutRedisManager(PromptListenerRedisManager):
    """Redis pub/sub between instances, one channel per room, subscribed only where the room has members.

    A :class:`PromptListenerRedisManager` whose listener reads many channels: ``listening``,
    ``heard_at`` and ``resubscribed`` mean the same.
    """

    connected: bool  # python-socketio's: whether the publishing client is made
    redis: Any  # python-socketio's: the publishing client, None until made

    def __init__(self, url: str, channel: str, sharded: bool = False,
                 redis_options: dict[str, Any] | None = None) -> None:
        super().__init__(url, channel=channel, redis_options=redis_options)
        self.sharded = sharded
        self.on_cluster = is_cluster(url)  # a Redis Cluster: server/realtime/cluster.py
        if self.on_cluster and not sharded:
            raise ValueError("a Redis Cluster carries the fan-out by sharded pub/sub only")
        self.received = 0  # pub/sub messages Redis delivered to this instance's listener
        self.published = 0  # publications this instance sent
        self._hosted: set[str] = set()  # channels of the rooms with a local member
        self._sent: set[str] = set()  # rooms' channels the listener's connection was asked to subscribe to
        self._confirmed: set[str] = set()  # ... and Redis confirmed
        self._waiters: dict[str, list[asyncio.Future[None]]] = {}
        self._pubsub: Any = None  # the listener's, while it is connected
        self._broken = False  # a subscription command failed: the listener reconnects
        self._flusher: asyncio.Task[None] | None = None
        self._own_prefix = b""

    # ---- channels -----------------------------------------------------------

    def room_channel(self, namespace: str, room: Any) -> str:
        return f"{self.channel}#{namespace}#{room}"

    @property
    def hosted(self) -> frozenset[str]:
        """The channels this instance is (or is becoming) subscribed to, besides the control channel."""
        return frozenset(self._hosted)

    # ---- membership: the only two ways a room gains or loses a member -------

    def basic_enter_room(self, sid: Any, namespace: Any, room: Any, eio_sid: Any = None) -> None:
        existed = room in self.rooms.get(namespace, {})
        super().basic_enter_room(sid, namespace, room, eio_sid=eio_sid)
        if room is not None and not existed:
            self._hosted.add(self.room_channel(namespace, room))
            self._kick()

    def basic_leave_room(self, sid: Any, namespace: Any, room: Any) -> None:
        super().basic_leave_room(sid, namespace, room)
        if room is not None and room not in self.rooms.get(namespace, {}):
            channel = self.room_channel(namespace, room)
            if channel in self._hosted:
                self._hosted.discard(channel)
                self._kick()

    async def enter_room(self, sid: Any, namespace: Any, room: Any, eio_sid: Any = None) -> None:
        await super().enter_room(sid, namespace, room, eio_sid=eio_sid)
        if room is not None:
            await self._until_subscribed(self.room_channel(namespace or "/", room))

    async def _until_subscribed(self, channel: str) -> None:
        if channel not in self._hosted or channel in self._confirmed or not self.listening:
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(channel, []).append(waiter)
        try:
            await asyncio.wait_for(asyncio.shield(waiter), SUBSCRIBE_WAIT_SECS)
        except TimeoutError:
            log.warning("Redis confirmed no subscription to %s within %s s; answering anyway", channel,
                        SUBSCRIBE_WAIT_SECS)
        finally:
            waiters = self._waiters.get(channel, [])
            if waiter in waiters:
                waiters.remove(waiter)
            if not waiters:
                self._waiters.pop(channel, None)

    def _confirm(self, channel: str) -> None:
        if channel in self._sent:
            self._confirmed.add(channel)
        for waiter in self._waiters.pop(channel, []):
            if not waiter.done():
                waiter.set_result(None)

    def _kick(self) -> None:
        """Bring the listener's subscriptions to the hosted rooms, soon, on a task of its own."""
        if self._pubsub is None or (self._flusher is not None and not self._flusher.done()):
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop (a test building the manager): the listener subscribes when it starts
            return
        self._flusher = loop.create_task(self._flush(), name="fanout-subscriptions")

    async def _flush(self) -> None:
        while (pubsub := self._pubsub) is not None:
            add, drop = sorted(self._hosted - self._sent), sorted(self._sent - self._hosted)
            if not add and not drop:
                return
            self._sent.update(add)
            self._sent.difference_update(drop)
            self._confirmed.difference_update(drop)
            try:
                if drop:
                    await self._unsubscribe(pubsub, drop)
                if add:
                    await self._subscribe(pubsub, add)
            except Exception as exc:  # noqa: BLE001 - the listener reconnects and subscribes afresh
                log.warning("fan-out subscriptions not changed (%s); the listener reconnects", exc)
                self._broken = True
                return

    async def _subscribe(self, pubsub: Any, channels: list[str]) -> None:
        if self.sharded:  # a cluster wants one slot per command: one command per channel
            for channel in channels:
                await pubsub.ssubscribe(channel)
        else:
            await pubsub.subscribe(*channels)

    async def _unsubscribe(self, pubsub: Any, channels: list[str]) -> None:
        if self.sharded:
            for channel in channels:
                await pubsub.sunsubscribe(channel)
        else:
            await pubsub.unsubscribe(*channels)

    def _listener_client(self) -> Any:
        """The listener's connection: a ``Redis``, or on a cluster one per shard (``server/realtime/cluster.py``)."""
        options = {"socket_connect_timeout": LISTEN_CONNECT_TIMEOUT_SECS, **self.redis_options}
        if self.on_cluster:
            from server.realtime import cluster

            return cluster.ClusterListener(self.redis_url, options, LISTEN_PING_SECS, LISTEN_PONG_SECS)
        return Redis.from_url(self.redis_url, **options)

    def _redis_connect(self) -> None:
        """The publishing client: python-socketio's ``Redis``, or a ``RedisCluster`` routing by slot."""
        if not self.on_cluster:
            super()._redis_connect()
            return
        if self.redis is None:  # one for good: it reconnects, and follows the slots (MOVED), by itself
            self.redis = cluster_client(self.redis_url, **self.redis_options)
        self.connected = True

    # ---- publishing ---------------------------------------------------------

    async def emit(self, event: str, data: Any, namespace: Any = None, room: Any = None, skip_sid: Any = None,
                   callback: Any = None, to: Any = None, **kwargs: Any) -> None:
        room = to or room
        if kwargs.get("ignore_queue") or room is None:  # local only, or to everyone: python-socketio's way
            await super().emit(event, data, namespace=namespace, room=room, skip_sid=skip_sid, callback=callback,
                               **kwargs)
            return
        namespace = namespace or "/"
        if callback is not None:
            callback = (room, namespace, self._generate_ack_id(room, callback))
        args = list(data) if isinstance(data, tuple) else [data]
        binary = Packet.data_is_binary(args)
        if binary:
            args, attachments = Packet.deconstruct_binary(args)
            args = [args, *[base64.b64encode(a).decode() for a in attachments]]
        rooms = list(dict.fromkeys([room] if isinstance(room, str) or not isinstance(room, Iterable) else room))
        message = {"host_id": self.host_id, "method": "emit", "event": event, "data": args, "binary": binary,
                   "namespace": namespace, "room": room, "skip_sid": skip_sid, "callback": callback}
        await self._handle_emit(message)  # this instance's members, once each
        publications = []
        for i, one in enumerate(rooms):
            if self.is_sid_room(namespace, one):  # a connection of this instance's: no one else has it
                continue
            publications.append((self.room_channel(namespace, one),
                                 self.json.dumps({**message, "room": one, "skip_rooms": rooms[:i]})))
        if publications:
            await self._publish_on(publications)

    async def _publish(self, data: Any) -> None:
        """python-socketio's messages between instances: on the control channel."""
        await self._publish_on([(self.channel, self.json.dumps({"host_id": self.host_id, **data}))])

    async def _publish_on(self, publications: list[tuple[str, str]]) -> None:
        for retries_left in (1, 0):  # two attempts, as python-socketio's
            try:
                if not self.connected:
                    self._redis_connect()
                if len(publications) == 1:
                    await self._publish_one(self.redis, *publications[0])
                else:
                    async with self.redis.pipeline(transaction=False) as pipe:
                        for channel, payload in publications:
                            self._publish_one(pipe, channel, payload)
                        await pipe.execute()
                self.published += len(publications)
                return
            except Exception as exc:  # noqa: BLE001 - dropped after the second: clients fill gaps by seq
                self.connected = False
                if not retries_left:
                    log.error("push not published to Redis (%s); dropped", exc)

    def _publish_one(self, client: Any, channel: str, payload: str) -> Any:
        return client.spublish(channel, payload) if self.sharded else client.publish(channel, payload)

    # ---- listening ----------------------------------------------------------

    async def _listen(self) -> AsyncIterator[bytes]:
        self._own_prefix = self.json.dumps({"host_id": self.host_id})[:-1].encode() + b","
        retry = LISTEN_RETRY_FIRST_SECS
        down_since: float | None = None
        while True:
            client = self._listener_client()
            pubsub = client.pubsub()
            try:
                rooms = sorted(self._hosted)
                self._sent, self._confirmed, self._broken = set(rooms), set(), False
                await self._subscribe(pubsub, [self.channel, *rooms])  # the control channel, then the rooms
                self._pubsub = pubsub
                self.listening = True
                self.heard_at = time.monotonic()
                if down_since is not None:
                    log.info("fan-out listener back on Redis after %.1f s (%d rooms)", time.monotonic() - down_since,
                             len(rooms))
                    down_since = None
                    if self.resubscribed is not None:
                        self.resubscribed()
                retry = LISTEN_RETRY_FIRST_SECS
                self._kick()  # rooms entered or left while subscribing
                async for data in self._messages(pubsub):
                    yield data
            except Exception as exc:  # noqa: BLE001 - any failure of the connection: try again shortly
                if down_since is None:
                    down_since = time.monotonic()
                    log.warning("fan-out listener lost Redis (%s); retrying every %s s at most", exc,
                                LISTEN_RETRY_MAX_SECS)
            finally:
                self.listening = False
                self._pubsub = None
                self._sent, self._confirmed = set(), set()
                for waiters in self._waiters.values():  # joins waiting for Redis answer now
                    for waiter in waiters:
                        if not waiter.done():
                            waiter.set_result(None)
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
                    await client.aclose()
            await asyncio.sleep(retry)
            retry = min(retry * 2, LISTEN_RETRY_MAX_SECS)

    async def _messages(self, pubsub: Any) -> AsyncIterator[bytes]:
        """The messages of other instances, raising once Redis answers neither a message nor a ping."""
        control = self.channel.encode()
        own = self._own_prefix
        heard = time.monotonic()
        pinged: float | None = None
        while not self._broken:
            message = await pubsub.get_message(timeout=LISTEN_POLL_SECS)
            now = time.monotonic()
            if message is not None:  # a message, a confirmation or the answer to a ping: Redis is there
                heard, pinged = now, None
                self.heard_at = now
                kind = message["type"]
                if kind in ("message", "smessage"):
                    self.received += 1
                    data = message["data"]
                    if message["channel"] == control or not data.startswith(own):
                        yield data
                elif kind in ("subscribe", "ssubscribe"):
                    self._confirm(message["channel"].decode())
            elif pinged is None and now - heard >= LISTEN_PING_SECS:
                await asyncio.wait_for(pubsub.ping(), LISTEN_PONG_SECS)
                pinged = now
            elif pinged is not None and now - pinged >= LISTEN_PONG_SECS:
                raise TimeoutError(f"Redis answered no ping for {LISTEN_PONG_SECS} s")
        raise ConnectionError("a subscription command failed")


_PUBLISH_OPTIONS = {"socket_timeout": PUBLISH_TIMEOUT_SECS, "socket_connect_timeout": PUBLISH_TIMEOUT_SECS}


PUBSUB_MODES = ("rooms", "sharded", "broadcast")  # --fanout-pubsub: see docs/configuration.md


def client_manager(fanout_url: str, channel: str, pubsub: str = "rooms") -> socketio.AsyncManager:
    """In-process fan-out, or Redis pub/sub between instances: by room (``server/realtime/pubsub.py``,
    ``pubsub`` "rooms" or "sharded") or on one channel every instance hears ("broadcast")."""
    if not fanout_url.startswith(("redis://", "rediss://", "redis+cluster://", "rediss+cluster://")):
        return DirectEmitManager()
    if is_cluster(fanout_url):
        from server.realtime import cluster

        if replaceable() and listener_replaceable():
            return RoomFanoutRedisManager(fanout_url, channel, sharded=True, redis_options=dict(_PUBLISH_OPTIONS))
        log.warning("python-socketio's pub/sub manager is not the one server/realtime/pubsub.py was written "
                    "for; every instance hears every push, over classic pub/sub through the cluster's first seed")
        # Classic pub/sub reaches every node of a cluster through any one of them: the seed's.
        fanout_url, pubsub = cluster.seed_url(fanout_url), "broadcast"
    if pubsub != "broadcast":
        if replaceable() and listener_replaceable():
            return RoomFanoutRedisManager(fanout_url, channel, sharded=pubsub == "sharded",
                                                      redis_options=dict(_PUBLISH_OPTIONS))
        log.warning("python-socketio's pub/sub manager is not the one server/realtime/pubsub.py was written "
                    "for; every instance hears every push (--fanout-pubsub broadcast)")
    if listener_replaceable():
        return PromptListenerRedisManager(fanout_url, channel=channel, redis_options=dict(_PUBLISH_OPTIONS))
    log.warning("python-socketio's Redis listener is not the one server/realtime/pubsub.py was written "
                "for; keeping it (pushes between instances may resume up to 60 s after a Redis outage, "
                "and /readyz cannot see the listener)")
    return DirectEmitRedisManager(fanout_url, channel=channel, redis_options=dict(_PUBLISH_OPTIONS))
