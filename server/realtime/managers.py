"""Cuts in the stack's per-delivery work, which decides how a room of 1,000 fares.

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
- python-engineio pings each connection every ``ping_interval`` from a
  task of its own, asleep meanwhile, and the PING takes the connection's
  queue and wakes its writer. Connections opened together (a class
  logging in, 10,000 in scenario I) are pinged together, and a
  ``chat:send`` arriving then waits behind every one of them.
  :func:`ping_on_a_timer` waits with a timer handle instead of a task and
  writes the PING's frame directly (``server/realtime/direct.py``) when the
  connection is ready for it, else sends it the stack's way; the same
  packet at the same time, setting the same ``last_ping``.

The second and last cuts have no public interface: python-engineio makes
its ``AsyncSocket`` itself, so :func:`install_writer_wait` replaces
``engineio.async_socket.AsyncSocket.poll`` and :func:`install_timer_pings`
its ``schedule_ping`` for the whole process. It also
marks the connection's writer as holding nothing while it waits, which
``server/realtime/direct.py`` needs before it writes a push's bytes to a
WebSocket directly (the third cut, for every plain WebSocket recipient of
a text push: no queue and no writer at all). Those two methods are
private interfaces of a dependency used on this path, and this module is
the only place that touches them. Each is installed only over the code it
was written for (python-engineio 4.15.1's, recognised by its source;
``pyproject.toml`` keeps python-engineio below 5); anywhere else
python-engineio's own ``poll`` stays, with a warning in the log, and every
push takes the queue, as shipped, only slower.
``tests/integration/test_delivery.py`` checks the behaviour on a live
server: pushes in order, idle connections kept past the ping time-out,
silent ones dropped, and no task per delivery.

Pushes between instances, over Redis, are ``server/realtime/pubsub.py``'s.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import socketio
from engineio import async_socket, exceptions
from engineio import packet as eio_packet
from socketio import base_manager, packet

from server.realtime import direct
from server.realtime.sources import source_sha256

log = logging.getLogger(__name__)

# SHA-256 of the source of python-engineio's AsyncSocket.poll that wait_without_a_task stands in
# for (4.15.1). Any other poll may mean something else: then it is left alone.
REPLACED_POLL_SHA256 = "826f58a9f3606db208e5d1266f075ad655b6eeda47b0a5616748624899ca5954"
# and of its AsyncSocket.schedule_ping and the _send_ping task it starts, which ping_on_a_timer stands in for
REPLACED_PING_SHA256 = {
    "schedule_ping": "fe316639159cd70d34cdb911a055fc1a0056ff15615b8460a1ab6593c95e9372",
    "_send_ping": "67db82a704ea49d0ad34e967728cec06020d036431d67c1612162a907526cb43",
}
# and of python-socketio's BaseManager methods that keep its rooms (5.18.1), which DirectEmitManager's
# index of each connection's rooms follows: its basic_disconnect, otherwise, looks in every room.
ROOMS_SHA256 = {
    "basic_disconnect": "2933b50bc4b2ea7b4367a84e05c2e22c52fed98b00afc3b88d06d61ab9fb9aa1",
    "basic_enter_room": "3f509586d2d7f47ec92cc5113a80f5302ca1d82fb3689ee530edd3aa9ad6a1a3",
    "basic_leave_room": "e27f3eea06d1c6a6ea295e99f62477330af4779e1f1853753e94f309ef0e74f2",
    "get_rooms": "56a1017f85af9f91e2a8226080d10f9be225b6815f649c014b9599df6378c2eb",
}
ENGINEIO_POLL = async_socket.AsyncSocket.poll  # python-engineio's own, as imported (only this module replaces it)
ENGINEIO_SCHEDULE_PING = async_socket.AsyncSocket.schedule_ping  # likewise

class DirectEmitManager(socketio.AsyncManager):
    """``AsyncManager`` whose room emits send to each recipient in turn, written once for WebSocket ones."""

    direct = False  # whether this server's WebSocket recipients get a push's bytes directly (server/realtime/direct.py)

    def set_server(self, server: Any) -> None:
        super().set_server(server)
        self.direct = direct.install(server.eio, server) and async_socket.AsyncSocket.poll is wait_without_a_task

    # Each connection's rooms, beside python-socketio's members of each room. Its basic_disconnect
    # finds a connection's rooms by looking in every room: with 10,000 connections, each in a room
    # of its own and its person's, that is milliseconds per disconnect, and an instance losing its
    # connections at once (a restart, a school's network dropping) held its loop for many seconds.

    def _rooms_of(self) -> dict[tuple[str, str], dict[Any, None]] | None:
        """(namespace, sid) -> its rooms, in the order entered; None when python-socketio's code is not recognised."""
        if not ROOMS_INDEXED:
            return None
        index: dict[tuple[str, str], dict[Any, None]] | None = self.__dict__.get("_twinspace_rooms_of")
        if index is None:
            index = self.__dict__["_twinspace_rooms_of"] = {}
        return index

    def basic_enter_room(self, sid: str, namespace: str, room: Any, eio_sid: str | None = None) -> None:
        super().basic_enter_room(sid, namespace, room, eio_sid=eio_sid)
        index = self._rooms_of()
        if index is not None:
            index.setdefault((namespace, sid), {})[room] = None

    def basic_leave_room(self, sid: str, namespace: str, room: Any) -> None:
        super().basic_leave_room(sid, namespace, room)
        index = self._rooms_of()
        if index is None:
            return
        rooms = index.get((namespace, sid))
        if rooms is not None:
            rooms.pop(room, None)
            if not rooms:
                del index[(namespace, sid)]

    def get_rooms(self, sid: str, namespace: str) -> list[Any]:
        index = self._rooms_of()
        if index is None:
            return list(super().get_rooms(sid, namespace))
        return [room for room in index.get((namespace, sid), ()) if room is not None]

    def basic_disconnect(self, sid: str, namespace: str, **kwargs: Any) -> None:
        """python-socketio's, leaving the rooms the index names rather than looking in every room."""
        index = self._rooms_of()
        if index is None:
            super().basic_disconnect(sid, namespace, **kwargs)
            return
        if namespace not in self.rooms:
            index.pop((namespace, sid), None)
            return
        for room in list(index.get((namespace, sid), ())):
            self.basic_leave_room(sid, namespace, room)
        index.pop((namespace, sid), None)
        self.callbacks.pop(sid, None)
        for pending in (self.pending_connect, self.pending_disconnect):
            if namespace in pending and sid in pending[namespace]:
                pending[namespace].remove(sid)
                if len(pending[namespace]) == 0:
                    del pending[namespace]

    def reaches_anyone(self, namespace: str, rooms: list[str], skip_sid: str | None = None) -> bool:
        """Whether an emit to ``rooms`` would reach anyone but ``skip_sid``: the fan-out builds no push
        that nobody would get (a visitors' view of a room no visitor is in, a person's push to their
        other connections when there are none). A pub/sub manager cannot tell: other instances may
        host them (``server/realtime/pubsub.py`` says yes)."""
        if not ROOMS_INDEXED:
            return any(sid != skip_sid for sid, _ in self.get_participants(namespace, rooms))
        members_of = self.rooms.get(namespace)  # room -> its connections, as basic_enter_room keeps them
        if not members_of:
            return False
        for room in rooms:
            members = members_of.get(room)
            if members and (len(members) > 1 or skip_sid not in members):
                return True
        return False

    async def emit(self, event: str, data: Any, namespace: str, room: Any = None, skip_sid: Any = None,
                   callback: Any = None, to: Any = None, **kwargs: Any) -> None:
        if callback is not None:
            await super().emit(event, data, namespace, room=room, skip_sid=skip_sid, callback=callback, to=to,
                               **kwargs)
            return
        room = to or room
        if namespace not in self.get_namespaces():
            return
        skip = skip_sid if isinstance(skip_sid, list) else [skip_sid]
        # The recipients first: a send may yield (a connection found dead is closed), and the
        # room may change meanwhile. A room no one here is in costs no encoding.
        recipients = [eio_sid for sid, eio_sid in self.get_participants(namespace, room) if sid not in skip]
        if not recipients:
            return
        args = list(data) if isinstance(data, tuple) else [] if data is None else [data]
        encoded = self.server.packet_class(packet.EVENT, namespace=namespace, data=[event, *args]).encode()
        frames = [eio_packet.Packet(eio_packet.MESSAGE, p)
                  for p in (encoded if isinstance(encoded, list) else [encoded])]
        eio = self.server.eio
        send = direct.shipped_send(eio) if self.direct else eio.send_packet
        if self.direct and len(frames) == 1 and not frames[0].binary:
            # One text frame: its WebSocket bytes once, written to every connection ready for them.
            frame, wire = frames[0], direct.text_frame(frames[0].encode())
            for eio_sid in direct.write_each(eio.sockets, recipients, wire, direct.now(), eio.ping_timeout):
                await send(eio_sid, frame)
            return
        for eio_sid in recipients:
            for frame in frames:
                # A packet caches its first encoding, and a binary one encodes differently for
                # WebSocket (bytes) and long-polling (base64): those are made for each recipient.
                await send(eio_sid, eio_packet.Packet(eio_packet.MESSAGE, frame.data) if frame.binary else frame)


async def wait_without_a_task(self: async_socket.AsyncSocket) -> list[Any]:
    """``AsyncSocket.poll``: the packets waiting for this connection, waiting for the first one."""
    state = self.__dict__
    state[direct.WRITER_IDLE] = True  # what it took before is written: a push may now be written beside it
    while True:
        try:
            async with asyncio.timeout(self.server.ping_interval + self.server.ping_timeout):
                first = await self.queue.get()
            self.queue.task_done()
            break
        except TimeoutError:
            # python-engineio's PINGs kept this wait short; on a WebSocket they are now written
            # beside the queue (ping_on_a_timer), so a quiet queue is no sign of a dead connection:
            # its reader, which ends when the client stops answering, puts the None that ends this.
            if state.get(direct.PROTOCOL) is not None and not self.closing and not self.closed:
                continue
            state[direct.WRITER_IDLE] = False
            raise exceptions.QueueEmpty() from None
        except asyncio.CancelledError:
            state[direct.WRITER_IDLE] = False
            raise exceptions.QueueEmpty() from None
    state[direct.WRITER_IDLE] = False  # it holds packets until its next poll
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
    replaces; python-engineio's own then stays.
    """
    current = async_socket.AsyncSocket.poll
    if current is wait_without_a_task:
        return True
    if source_sha256(current) != REPLACED_POLL_SHA256:
        log.warning("python-engineio's AsyncSocket.poll is not the one server/realtime/managers.py was "
                    "written for; keeping it (each delivery costs one more task)")
        return False
    async_socket.AsyncSocket.poll = wait_without_a_task
    return True


def ping_on_a_timer(self: async_socket.AsyncSocket) -> None:
    """``AsyncSocket.schedule_ping``: the next PING in ``ping_interval``, from a timer rather than a task.

    As python-engineio's: only once the previous PING was answered (``last_ping`` set), and
    ``last_ping`` cleared until the PING goes.
    """
    if self.last_ping:
        self.last_ping = None
        asyncio.get_running_loop().call_later(self.server.ping_interval, _ping_due, self)


def _ping_due(sock: async_socket.AsyncSocket) -> None:
    if sock.closing or sock.closed:
        return
    now = direct.now()
    sock.last_ping = now
    if not direct.write_ping(sock, now, sock.server.ping_timeout):
        sock.server.start_background_task(sock.send, eio_packet.Packet(eio_packet.PING))


def install_timer_pings() -> bool:
    """Make python-engineio's connections ping with :func:`ping_on_a_timer`.

    Idempotent. False (and a warning) when python-engineio's ping code is not the one this
    replaces; python-engineio's own then stays.
    """
    current = async_socket.AsyncSocket.schedule_ping
    if current is ping_on_a_timer:
        return True
    for name, sha256 in REPLACED_PING_SHA256.items():
        method = current if name == "schedule_ping" else getattr(async_socket.AsyncSocket, name, None)
        if source_sha256(method) != sha256:
            log.warning("python-engineio's AsyncSocket.%s is not the one server/realtime/managers.py was "
                        "written for; keeping its pings (a task for each, through the connection's queue)", name)
            return False
    async_socket.AsyncSocket.schedule_ping = ping_on_a_timer
    return True


def _rooms_recognised() -> bool:
    for name, sha256 in ROOMS_SHA256.items():
        if source_sha256(getattr(base_manager.BaseManager, name, None)) != sha256:
            log.warning("python-socketio's BaseManager.%s is not the one server/realtime/managers.py was "
                        "written for; a disconnect looks for its connection in every room", name)
            return False
    return True


ROOMS_INDEXED = _rooms_recognised()
