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

The second cut has no public interface: python-engineio makes its
``AsyncSocket`` itself, so :func:`install_writer_wait` replaces
``engineio.async_socket.AsyncSocket.poll`` for the whole process. It also
marks the connection's writer as holding nothing while it waits, which
``server/realtime/direct.py`` needs before it writes a push's bytes to a
WebSocket directly (the third cut, for every plain WebSocket recipient of
a text push: no queue and no writer at all). That poll is one private
interface of a dependency used on this path, and this module is the only
place that touches it. It is installed only over the method it was
written for (python-engineio 4.15.1's, recognised by its source;
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
import hashlib
import inspect
import logging
from typing import Any

import socketio
from engineio import async_socket, exceptions
from engineio import packet as eio_packet
from socketio import packet

from server.realtime import direct

log = logging.getLogger(__name__)

# SHA-256 of the source of python-engineio's AsyncSocket.poll that wait_without_a_task stands in
# for (4.15.1). Any other poll may mean something else: then it is left alone.
REPLACED_POLL_SHA256 = "826f58a9f3606db208e5d1266f075ad655b6eeda47b0a5616748624899ca5954"
ENGINEIO_POLL = async_socket.AsyncSocket.poll  # python-engineio's own, as imported (only this module replaces it)

class DirectEmitManager(socketio.AsyncManager):
    """``AsyncManager`` whose room emits send to each recipient in turn, written once for WebSocket ones."""

    direct = False  # whether this server's WebSocket recipients get a push's bytes directly (server/realtime/direct.py)

    def set_server(self, server: Any) -> None:
        super().set_server(server)
        self.direct = direct.install(server.eio) and async_socket.AsyncSocket.poll is wait_without_a_task

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
            sockets, now, ping_timeout = eio.sockets, direct.now(), eio.ping_timeout
            for eio_sid in recipients:
                sock = sockets.get(eio_sid)
                if sock is None or not direct.write(sock, wire, now, ping_timeout):
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
    try:
        async with asyncio.timeout(self.server.ping_interval + self.server.ping_timeout):
            first = await self.queue.get()
        self.queue.task_done()
    except (TimeoutError, asyncio.CancelledError):
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
