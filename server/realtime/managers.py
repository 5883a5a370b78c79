"""Two cuts in the stack's per-delivery work, which decides how a room of 1,000 fares.

A push to a room of 1,000 pupils is 1,000 deliveries. On the way, the
stack spends more on bookkeeping than on sending (docs/performance.md,
scenario B):

- python-socketio's ``AsyncManager.emit`` encodes the push once, then
  wraps each recipient's send in a task of its own and waits for them
  all. Each of those sends only puts the encoded packet on the
  connection's outgoing queue, which is unbounded and never waits.
  :class:`DirectEmitManager` makes the same sends one after the other,
  with no task per recipient: same packets, same order. Emits that ask
  for an ack callback keep python-socketio's own path.
- python-engineio's per-connection writer waits for its next packet with
  ``asyncio.wait_for``, which on Python 3.11 makes a task per wait, so one
  more task per delivery. :func:`wait_without_a_task` waits with
  ``asyncio.timeout`` instead, with the same time limit and the same
  results. It replaces ``engineio.async_socket.AsyncSocket.poll`` (the
  method and its behaviour are pinned by ``uv.lock`` and tested in
  ``tests/unit/test_managers.py``).
"""

from __future__ import annotations

import asyncio
from typing import Any

import socketio
from engineio import async_socket, exceptions
from engineio import packet as eio_packet
from socketio import packet


class DirectEmitManager(socketio.AsyncManager):
    """``AsyncManager`` whose room emits send to each recipient in turn."""

    async def emit(self, event: str, data: Any, namespace: str, room: Any = None, skip_sid: Any = None,
                   callback: Any = None, to: Any = None, **kwargs: Any) -> None:
        if callback is not None:
            await super().emit(event, data, namespace, room=room, skip_sid=skip_sid, callback=callback, to=to,
                               **kwargs)
            return
        room = to or room
        if namespace not in self.rooms:
            return
        args = list(data) if isinstance(data, tuple) else [] if data is None else [data]
        skip = skip_sid if isinstance(skip_sid, list) else [skip_sid]
        encoded = self.server.packet_class(packet.EVENT, namespace=namespace, data=[event, *args]).encode()
        frames = [eio_packet.Packet(eio_packet.MESSAGE, p)
                  for p in (encoded if isinstance(encoded, list) else [encoded])]
        # The recipients first: a send may yield (a connection found dead is closed), and the
        # room may change meanwhile.
        recipients = [eio_sid for sid, eio_sid in self.get_participants(namespace, room) if sid not in skip]
        for eio_sid in recipients:
            for frame in frames:
                await self.server._send_eio_packet(eio_sid, frame)


class DirectEmitRedisManager(socketio.AsyncRedisManager, DirectEmitManager):
    """``AsyncRedisManager`` (pub/sub between instances) delivering locally like ``DirectEmitManager``."""


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


def install_writer_wait() -> None:
    """Make python-engineio's connection writers wait with :func:`wait_without_a_task`; idempotent."""
    async_socket.AsyncSocket.poll = wait_without_a_task  # type: ignore[method-assign]


def client_manager(fanout_url: str, channel: str) -> socketio.AsyncManager:
    """In-process fan-out, or Redis pub/sub between every instance."""
    if fanout_url.startswith(("redis://", "rediss://")):
        return DirectEmitRedisManager(fanout_url, channel=channel)
    return DirectEmitManager()
