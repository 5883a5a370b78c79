"""server/realtime/managers.py replaces python-engineio's writer wait only where it knows what it replaces.

What the managers and the writer wait do is tested on a live server in
tests/integration/test_delivery.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from engineio import async_socket

from server.realtime import managers


def test_an_engineio_poll_it_was_not_written_for_is_kept(monkeypatch: pytest.MonkeyPatch,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    async def another_poll(self: Any) -> list[Any]:  # what a later python-engineio might have
        return []

    monkeypatch.setattr(async_socket.AsyncSocket, "poll", another_poll)
    assert managers.install_writer_wait() is False
    assert async_socket.AsyncSocket.poll is another_poll
    assert "keeping it" in caplog.text


def test_the_installed_engineio_poll_is_the_one_it_replaces(monkeypatch: pytest.MonkeyPatch) -> None:
    # On an upgrade of python-engineio this fails first: read its AsyncSocket.poll, port
    # wait_without_a_task to it, and update REPLACED_POLL_SHA256.
    monkeypatch.setattr(async_socket.AsyncSocket, "poll", managers.ENGINEIO_POLL)  # as shipped; restored after
    assert managers.install_writer_wait() is True
    assert managers.install_writer_wait() is True  # idempotent


def test_the_installed_socketio_listener_is_the_one_it_replaces() -> None:
    # On an upgrade of python-socketio this fails first: read AsyncPubSubManager._thread and
    # AsyncRedisManager._listen, port PromptListenerRedisManager._listen, and update both hashes.
    assert managers.listener_replaceable()
    made = managers.client_manager("redis://127.0.0.1:1/0", "twinspace", "broadcast")
    assert isinstance(made, managers.PromptListenerRedisManager)
    assert managers.listener_ready(made) is False  # not subscribed until it has reached Redis
    assert managers.listener_ready(managers.client_manager("memory://", "twinspace")) is True


def test_a_socketio_listener_it_was_not_written_for_is_kept(monkeypatch: pytest.MonkeyPatch,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    import socketio

    async def another_listen(self: Any) -> Any:  # what a later python-socketio might have
        yield b""

    monkeypatch.setattr(socketio.AsyncRedisManager, "_listen", another_listen)
    made = managers.client_manager("redis://127.0.0.1:1/0", "twinspace", "broadcast")
    assert type(made) is managers.DirectEmitRedisManager
    assert "keeping it" in caplog.text


def test_the_installed_socketio_pubsub_manager_is_the_one_room_fanout_builds_on() -> None:
    # On an upgrade of python-socketio this fails first: read AsyncPubSubManager and BaseManager, check
    # what server/realtime/room_fanout.py relies on (its docstring), and update REPLACED_PUBSUB_SHA256.
    from server.realtime import room_fanout

    assert room_fanout.replaceable()
    for mode, sharded in (("rooms", False), ("sharded", True)):
        made = managers.client_manager("redis://127.0.0.1:1/0", "twinspace", mode)
        assert isinstance(made, room_fanout.RoomFanoutRedisManager)
        assert made.sharded is sharded
        assert managers.listener_ready(made) is False  # not subscribed until it has reached Redis


def test_a_socketio_pubsub_manager_it_was_not_written_for_falls_back_to_broadcast(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    from server.realtime import room_fanout

    monkeypatch.setattr(room_fanout, "REPLACED_PUBSUB_SHA256", "0" * 64)
    made = managers.client_manager("redis://127.0.0.1:1/0", "twinspace", "rooms")
    assert type(made) is managers.PromptListenerRedisManager
    assert "every instance hears every push" in caplog.text
