"""The two cuts in the stack's per-delivery work (server/realtime/managers.py) keep its behaviour."""

from __future__ import annotations

import asyncio
import json
import uuid
from importlib.metadata import version
from types import SimpleNamespace
from typing import Any

import pytest
import socketio
from engineio import async_socket, exceptions

from server.realtime import managers


class _Server:
    """What a manager needs of python-socketio's server: the packet class and the raw send."""

    packet_class = socketio.packet.Packet

    def __init__(self) -> None:
        self.sent: list[tuple[str, Any]] = []
        self.eio = SimpleNamespace(generate_id=lambda: uuid.uuid4().hex)

    async def _send_eio_packet(self, eio_sid: str, pkt: Any) -> None:
        self.sent.append((eio_sid, pkt))


async def test_a_room_emit_reaches_each_member_once_but_the_skipped() -> None:
    manager = managers.DirectEmitManager()
    server = _Server()
    manager.set_server(server)
    sids = {}
    for eio_sid in ("e1", "e2", "e3"):
        sids[eio_sid] = await manager.connect(eio_sid, "/")
        await manager.enter_room(sids[eio_sid], "/", "room:r1")
    await manager.connect("e4", "/")  # connected, not in the room
    await manager.emit("chat:message", {"seq": 1, "text": "hé 🌍"}, "/", room="room:r1", skip_sid=sids["e2"])
    assert sorted(e for e, _ in server.sent) == ["e1", "e3"]
    for _, pkt in server.sent:
        assert json.loads(pkt.data[1:]) == ["chat:message", {"seq": 1, "text": "hé 🌍"}]  # "2" + JSON
    server.sent.clear()
    await manager.emit("chat:typing", ("a", "b"), "/", room="room:r1", skip_sid=[sids["e1"], sids["e3"]])
    assert [(e, json.loads(p.data[1:])) for e, p in server.sent] == [("e2", ["chat:typing", "a", "b"])]
    server.sent.clear()
    await manager.emit("x", None, "/other", room="room:r1")  # a namespace nobody joined: nothing
    assert server.sent == []


def _socket(*packets: Any, wait_secs: float = 5) -> Any:
    queue: asyncio.Queue[Any] = asyncio.Queue()
    for pkt in packets:
        queue.put_nowait(pkt)
    return SimpleNamespace(queue=queue, server=SimpleNamespace(ping_interval=wait_secs / 2, ping_timeout=wait_secs / 2))


async def test_the_writer_gets_every_waiting_packet_and_stops_at_a_close() -> None:
    sock = _socket("a", "b", None, "late")
    assert await managers.wait_without_a_task(sock) == ["a", "b"]
    # As python-engineio does: the close goes back in the queue, behind what came after it.
    assert await managers.wait_without_a_task(sock) == ["late"]
    assert await managers.wait_without_a_task(sock) == []
    later = _socket()
    waiting = asyncio.create_task(managers.wait_without_a_task(later))
    await asyncio.sleep(0.05)
    later.queue.put_nowait("c")
    assert await asyncio.wait_for(waiting, 2) == ["c"]
    assert later.queue.qsize() == 0


async def test_the_writer_gives_up_after_the_ping_time() -> None:
    with pytest.raises(exceptions.QueueEmpty):
        await asyncio.wait_for(managers.wait_without_a_task(_socket(wait_secs=0.1)), 2)


def test_installed_over_the_engineio_version_it_was_written_for() -> None:
    # Written against python-engineio 4's AsyncSocket.poll; an upgrade must be checked again.
    assert version("python-engineio").startswith("4.")
    managers.install_writer_wait()
    assert async_socket.AsyncSocket.poll is managers.wait_without_a_task
