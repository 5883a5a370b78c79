"""Two cuts in the stack's per-delivery work, which decides how a room of 1,000 fares.

A push to a room of 1,000 pupils is 1,000 deliveries. On the way, the
stack spends more on bookkeeping than on sending (docs/performance.md,
scenario B):

- python-socketio's ``AsyncManager.emit`` encodes the push once, then
  wraps each recipient's send in a task of its own and waits for them
  all. Each of those sends only puts the encoded packet on the
  connection's outgoing queue, which is unbounded and never waits.
  :class:`DirectEmitManager` makes the same sends one after the other,
  with no task per recipient: same packets, same order, through
  python-engineio's public ``AsyncServer.send_packet``. Emits that ask
  for an ack callback keep python-socketio's own path.
- python-engineio's per-connection writer waits for its next packet with
  ``asyncio.wait_for``, which on Python 3.11 makes a task per wait, so one
  more task per delivery. :func:`wait_without_a_task` waits with
  ``asyncio.timeout`` instead, with the same time limit and the same
  results.

The second cut has no public interface: python-engineio makes its
``AsyncSocket`` itself, so :func:`install_writer_wait` replaces
``engineio.async_socket.AsyncSocket.poll`` for the whole process. That is
the one private interface of a dependency used on this path, and this
module is the only place that touches it. It is installed only over the
method it was written for (python-engineio 4.15.1's, recognised by its
source; ``pyproject.toml`` keeps python-engineio below 5) and only where
``wait_for`` makes a task (Python before 3.12); anywhere else
python-engineio's own ``poll`` stays, with a warning in the log, and
works as shipped, only slower. ``tests/integration/test_delivery.py``
checks the behaviour on a live server: pushes in order, idle connections
kept past the ping time-out, silent ones dropped, and no task per
delivery.

One more private interface, off the hot path: python-socketio's Redis
listener waits up to 60 s between reconnection attempts and tells no one
whether it is subscribed, so :class:`PromptListenerRedisManager` replaces
``AsyncRedisManager._listen`` (recognised by its source, like ``poll``;
otherwise python-socketio's stays, with a warning). It is back within
``LISTENER_RESUME_SECS`` (3 s) of Redis and reports itself to ``/readyz``;
``tests/integration/test_faults.py`` checks both on two instances.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import inspect
import logging
import sys
import time
from collections.abc import AsyncIterator
from typing import Any

import socketio
from engineio import async_socket, exceptions
from engineio import packet as eio_packet
from redis.asyncio import Redis
from socketio import async_pubsub_manager, packet

log = logging.getLogger(__name__)

# SHA-256 of the source of python-engineio's AsyncSocket.poll that wait_without_a_task stands in
# for (4.15.1). Any other poll may mean something else: then it is left alone.
REPLACED_POLL_SHA256 = "826f58a9f3606db208e5d1266f075ad655b6eeda47b0a5616748624899ca5954"
ENGINEIO_POLL = async_socket.AsyncSocket.poll  # python-engineio's own, as imported (only this module replaces it)
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


class DirectEmitManager(socketio.AsyncManager):
    """``AsyncManager`` whose room emits send to each recipient in turn."""

    async def emit(self, event: str, data: Any, namespace: str, room: Any = None, skip_sid: Any = None,
                   callback: Any = None, to: Any = None, **kwargs: Any) -> None:
        if callback is not None:
            await super().emit(event, data, namespace, room=room, skip_sid=skip_sid, callback=callback, to=to,
                               **kwargs)
            return
        room = to or room
        if namespace not in self.get_namespaces():
            return
        args = list(data) if isinstance(data, tuple) else [] if data is None else [data]
        skip = skip_sid if isinstance(skip_sid, list) else [skip_sid]
        encoded = self.server.packet_class(packet.EVENT, namespace=namespace, data=[event, *args]).encode()
        frames = [eio_packet.Packet(eio_packet.MESSAGE, p)
                  for p in (encoded if isinstance(encoded, list) else [encoded])]
        # The recipients first: a send may yield (a connection found dead is closed), and the
        # room may change meanwhile.
        recipients = [eio_sid for sid, eio_sid in self.get_participants(namespace, room) if sid not in skip]
        send = self.server.eio.send_packet
        for eio_sid in recipients:
            for frame in frames:
                # A packet caches its first encoding, and a binary one encodes differently for
                # WebSocket (bytes) and long-polling (base64): those are made for each recipient.
                await send(eio_sid, eio_packet.Packet(eio_packet.MESSAGE, frame.data) if frame.binary else frame)


class DirectEmitRedisManager(socketio.AsyncRedisManager, DirectEmitManager):
    """``AsyncRedisManager`` (pub/sub between instances) delivering locally like ``DirectEmitManager``."""


class PromptListenerRedisManager(DirectEmitRedisManager):
    """``DirectEmitRedisManager`` whose listener is back within ``LISTENER_RESUME_SECS`` of Redis, and says so.

    python-socketio's own listener waits 1, 2, 4 ... up to 60 s between attempts, so after an
    outage of 16 s pushes between instances resumed only about 15 s after Redis was back. This
    one waits ``LISTEN_RETRY_FIRST_SECS`` doubling up to ``LISTEN_RETRY_MAX_SECS``, and keeps
    :attr:`listening` (subscribed and reading) for ``/readyz``. It replaces the private
    ``AsyncRedisManager._listen``, the generator python-socketio's ``AsyncPubSubManager._thread``
    reads the channel's messages from (python-socketio 5.18.1's, both recognised by their source;
    ``pyproject.toml`` keeps python-socketio below 6), and reads Redis through redis-py's public
    ``Redis.from_url(...).pubsub()`` on a client of its own; publishing stays python-socketio's.
    """

    listening = False

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
                if down_since is not None:
                    log.info("fan-out listener back on Redis after %.1f s", time.monotonic() - down_since)
                    down_since = None
                retry = LISTEN_RETRY_FIRST_SECS
                async for data in _messages(pubsub, channel):
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


async def _messages(pubsub: Any, channel: bytes) -> AsyncIterator[bytes]:
    """The channel's messages, raising ``TimeoutError`` once Redis answers neither a message nor a ping."""
    heard = time.monotonic()
    pinged: float | None = None
    while True:
        message = await pubsub.get_message(timeout=LISTEN_POLL_SECS)
        now = time.monotonic()
        if message is not None:  # a message, or the answer to a ping: Redis is there
            heard, pinged = now, None
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


def _source_sha256(method: Any) -> str:
    try:
        return hashlib.sha256(inspect.getsource(method).encode()).hexdigest()
    except (OSError, TypeError):
        return ""


def listener_replaceable() -> bool:
    """Whether python-socketio's listener is the one :class:`PromptListenerRedisManager` stands in for."""
    return (_source_sha256(async_pubsub_manager.AsyncPubSubManager._thread) == PUBSUB_THREAD_SHA256
            and _source_sha256(socketio.AsyncRedisManager._listen) == REPLACED_LISTEN_SHA256)


async def wait_without_a_task(self: async_socket.AsyncSocket) -> list[Any]:
    """``AsyncSocket.poll``: the packets waiting for this connection, waiting for the first one."""
    try:
        async with asyncio.timeout(self.server.ping_interval + self.server.ping_timeout):
            first = await self.queue.get()
        self.queue.task_done()
    except (TimeoutError, asyncio.CancelledError):
        raise exceptions.QueueEmpty() from None
    if first is None:  # the connection is closing
        return []
    packets = [first]
    while True:
        try:
            pkt = self.queue.get_nowait()
        except asyncio.QueueEmpty:
            break
        self.queue.task_done()
        if pkt is None:
            self.queue.put_nowait(None)  # let the next poll see the close
            break
        packets.append(pkt)
    return packets


def install_writer_wait() -> bool:
    """Make python-engineio's connection writers wait with :func:`wait_without_a_task`.

    Idempotent. False (and a warning) when python-engineio's ``poll`` is not the one this
    replaces, or the replacement would gain nothing; python-engineio's own then stays.
    """
    current = async_socket.AsyncSocket.poll
    if current is wait_without_a_task:
        return True
    if sys.version_info >= (3, 12):  # wait_for runs under asyncio.timeout there: no task to save
        return False
    try:
        source = inspect.getsource(current)
    except (OSError, TypeError):
        source = ""
    if hashlib.sha256(source.encode()).hexdigest() != REPLACED_POLL_SHA256:
        log.warning("python-engineio's AsyncSocket.poll is not the one server/realtime/managers.py was "
                    "written for; keeping it (each delivery costs one more task)")
        return False
    async_socket.AsyncSocket.poll = wait_without_a_task
    return True


_PUBLISH_OPTIONS = {"socket_timeout": PUBLISH_TIMEOUT_SECS, "socket_connect_timeout": PUBLISH_TIMEOUT_SECS}


PUBSUB_MODES = ("rooms", "sharded", "broadcast")  # --fanout-pubsub: see docs/configuration.md


def client_manager(fanout_url: str, channel: str, pubsub: str = "rooms") -> socketio.AsyncManager:
    """In-process fan-out, or Redis pub/sub between instances: by room (``server/realtime/room_fanout.py``,
    ``pubsub`` "rooms" or "sharded") or on one channel every instance hears ("broadcast")."""
    if not fanout_url.startswith(("redis://", "rediss://")):
        return DirectEmitManager()
    from server.realtime import room_fanout  # it builds on this module's managers

    if pubsub != "broadcast":
        if room_fanout.replaceable() and listener_replaceable():
            return room_fanout.RoomFanoutRedisManager(fanout_url, channel, sharded=pubsub == "sharded",
                                                      redis_options=dict(_PUBLISH_OPTIONS))
        log.warning("python-socketio's pub/sub manager is not the one server/realtime/room_fanout.py was written "
                    "for; every instance hears every push (--fanout-pubsub broadcast)")
    if listener_replaceable():
        return PromptListenerRedisManager(fanout_url, channel=channel, redis_options=dict(_PUBLISH_OPTIONS))
    log.warning("python-socketio's Redis listener is not the one server/realtime/managers.py was written "
                "for; keeping it (pushes between instances may resume up to 60 s after a Redis outage, "
                "and /readyz cannot see the listener)")
    return DirectEmitRedisManager(fanout_url, channel=channel, redis_options=dict(_PUBLISH_OPTIONS))
