"""server/realtime/managers.py replaces python-engineio's writer wait only where it knows what it replaces.

What the managers and the writer wait do is tested on a live server in
tests/integration/test_delivery.py.
"""

from __future__ import annotations

import random
import time
from typing import Any

import pytest
import socketio
from engineio import async_socket
from socketio import base_manager

from server.realtime import managers
from server.realtime.pubsub import DirectEmitRedisManager


def test_an_engineio_poll_it_was_not_written_for_is_kept(monkeypatch: pytest.MonkeyPatch,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    async def another_poll(self: Any) -> list[Any]:  # what a later python-engineio might have
        return []

    monkeypatch.setattr(async_socket.AsyncSocket, "poll", another_poll)
    assert managers.install_writer_wait() is False
    assert async_socket.AsyncSocket.poll is another_poll
    assert "keeping it" in caplog.text


def test_engineio_ping_code_it_was_not_written_for_is_kept(monkeypatch: pytest.MonkeyPatch,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    async def another_send_ping(self: Any) -> None:  # what a later python-engineio might have
        pass

    monkeypatch.setattr(async_socket.AsyncSocket, "schedule_ping", managers.ENGINEIO_SCHEDULE_PING)
    monkeypatch.setattr(async_socket.AsyncSocket, "_send_ping", another_send_ping)
    assert managers.install_timer_pings() is False
    assert async_socket.AsyncSocket.schedule_ping is managers.ENGINEIO_SCHEDULE_PING
    assert "keeping its pings" in caplog.text


def test_the_installed_engineio_ping_code_is_the_one_it_replaces(monkeypatch: pytest.MonkeyPatch) -> None:
    # On an upgrade of python-engineio this fails first: read AsyncSocket.schedule_ping and
    # _send_ping, port ping_on_a_timer to them, and update REPLACED_PING_SHA256.
    monkeypatch.setattr(async_socket.AsyncSocket, "schedule_ping", managers.ENGINEIO_SCHEDULE_PING)
    assert managers.install_timer_pings() is True
    assert async_socket.AsyncSocket.schedule_ping is managers.ping_on_a_timer
    assert managers.install_timer_pings() is True  # idempotent


def test_the_installed_engineio_poll_is_the_one_it_replaces(monkeypatch: pytest.MonkeyPatch) -> None:
    # On an upgrade of python-engineio this fails first: read its AsyncSocket.poll, port
    # wait_without_a_task to it, and update REPLACED_POLL_SHA256.
    monkeypatch.setattr(async_socket.AsyncSocket, "poll", managers.ENGINEIO_POLL)  # as shipped; restored after
    assert managers.install_writer_wait() is True
    assert managers.install_writer_wait() is True  # idempotent


def test_python_socketios_room_keeping_is_the_one_the_index_follows() -> None:
    # On an upgrade of python-socketio this fails first: read BaseManager's basic_disconnect,
    # basic_enter_room, basic_leave_room and get_rooms, port DirectEmitManager's, update ROOMS_SHA256.
    assert managers.ROOMS_INDEXED is True


def _looked_up(manager: Any, sid: str) -> list[Any]:
    """A connection's rooms as python-socketio finds them, looking in every room."""
    return sorted(map(str, base_manager.BaseManager.get_rooms(manager, sid, "/")))


async def test_a_connections_rooms_are_the_ones_python_socketio_finds_whatever_was_done() -> None:
    manager = managers.DirectEmitManager()
    socketio.AsyncServer(async_mode="asgi", client_manager=manager)
    steps = random.Random(7)
    live: list[str] = []
    gone: list[str] = []
    for n in range(2000):
        choice, room = steps.random(), f"room{steps.randrange(12)}"
        if choice < 0.25 or not live:
            live.append(await manager.connect(f"eio{n}", "/"))
        elif choice < 0.6:
            await manager.enter_room(steps.choice(live), "/", room)
        elif choice < 0.75:
            await manager.leave_room(steps.choice(live), "/", room)
        elif choice < 0.8:
            await manager.close_room(room, "/")
        else:
            sid = live.pop(steps.randrange(len(live)))
            await manager.disconnect(sid, "/")
            gone.append(sid)
        for sid in live[-5:] + gone[-2:]:
            assert sorted(map(str, manager.get_rooms(sid, "/"))) == _looked_up(manager, sid)
    for sid in live + gone:
        assert sorted(map(str, manager.get_rooms(sid, "/"))) == _looked_up(manager, sid)
    for sid in list(live):
        await manager.disconnect(sid, "/")
    assert manager.rooms == {} and manager.__dict__["_twinspace_rooms_of"] == {}


async def test_10000_connections_leaving_at_once_do_not_look_in_every_room() -> None:
    manager = managers.DirectEmitManager()
    socketio.AsyncServer(async_mode="asgi", client_manager=manager)
    sids = [await manager.connect(f"eio{n}", "/") for n in range(10_000)]
    for n, sid in enumerate(sids):
        await manager.enter_room(sid, "/", f"person{n}")  # each person's room, as the server keeps them
    started = time.process_time()
    for sid in sids:
        await manager.disconnect(sid, "/")
    # Looking in every room, as python-socketio does, is 10,000 x 20,000 lookups: well over 10 s.
    assert time.process_time() - started < 2.0
    assert manager.rooms == {}


@pytest.mark.parametrize("indexed", [True, False])
async def test_who_an_emit_reaches_is_told_as_python_socketio_would_send_it(
        monkeypatch: pytest.MonkeyPatch, indexed: bool) -> None:
    monkeypatch.setattr(managers, "ROOMS_INDEXED", indexed)  # its own reading, and get_participants'
    manager = managers.DirectEmitManager()
    socketio.AsyncServer(async_mode="asgi", client_manager=manager)
    assert not manager.reaches_anyone("/", ["room:a"])  # nobody connected yet
    one, two = await manager.connect("eio1", "/"), await manager.connect("eio2", "/")
    await manager.enter_room(one, "/", "user:u1")
    assert manager.reaches_anyone("/", ["user:u1"])
    assert not manager.reaches_anyone("/", ["user:u1"], skip_sid=one)  # a person's other connections: none
    assert not manager.reaches_anyone("/", ["guest:room:a", "user:u2"])  # rooms nobody is in
    await manager.enter_room(two, "/", "user:u1")
    assert manager.reaches_anyone("/", ["user:u1"], skip_sid=one)
    assert manager.reaches_anyone("/", ["guest:room:a", "user:u1"], skip_sid=two)
    await manager.leave_room(two, "/", "user:u1")
    assert not manager.reaches_anyone("/", ["user:u1"], skip_sid=one)


def test_a_pubsub_manager_says_every_emit_may_reach_someone() -> None:  # other instances may host them
    assert DirectEmitRedisManager.reaches_anyone(None, "/", ["user:u1"], skip_sid="s")  # type: ignore[arg-type]
