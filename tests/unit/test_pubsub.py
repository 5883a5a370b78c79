"""server/realtime/pubsub.py builds on python-socketio's pub/sub manager only where it knows what it builds on.

What the managers do is tested on live servers in tests/integration/test_faults.py (the listener)
and tests/integration/test_room_fanout.py (the fan-out by room).
"""

from __future__ import annotations

from typing import Any

import pytest

from server.realtime import pubsub


def test_the_installed_socketio_listener_is_the_one_it_replaces() -> None:
    # On an upgrade of python-socketio this fails first: read AsyncPubSubManager._thread and
    # AsyncRedisManager._listen, port PromptListenerRedisManager._listen, and update both hashes.
    assert pubsub.listener_replaceable()
    made = pubsub.client_manager("redis://127.0.0.1:1/0", "twinspace", "broadcast")
    assert isinstance(made, pubsub.PromptListenerRedisManager)
    assert pubsub.listener_ready(made) is False  # not subscribed until it has reached Redis
    assert pubsub.listener_ready(pubsub.client_manager("memory://", "twinspace")) is True


def test_a_socketio_listener_it_was_not_written_for_is_kept(monkeypatch: pytest.MonkeyPatch,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    import socketio

    async def another_listen(self: Any) -> Any:  # what a later python-socketio might have
        yield b""

    monkeypatch.setattr(socketio.AsyncRedisManager, "_listen", another_listen)
    made = pubsub.client_manager("redis://127.0.0.1:1/0", "twinspace", "broadcast")
    assert type(made) is pubsub.DirectEmitRedisManager
    assert "keeping it" in caplog.text


def test_the_installed_socketio_pubsub_manager_is_the_one_the_room_fanout_builds_on() -> None:
    # On an upgrade of python-socketio this fails first: read AsyncPubSubManager and BaseManager, check
    # what server/realtime/pubsub.py relies on (its docstring), and update REPLACED_PUBSUB_SHA256.
    assert pubsub.replaceable()
    for mode, sharded in (("rooms", False), ("sharded", True)):
        made = pubsub.client_manager("redis://127.0.0.1:1/0", "twinspace", mode)
        assert isinstance(made, pubsub.RoomFanoutRedisManager)
        assert made.sharded is sharded
        assert pubsub.listener_ready(made) is False  # not subscribed until it has reached Redis


def test_a_socketio_pubsub_manager_it_was_not_written_for_falls_back_to_broadcast(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(pubsub, "REPLACED_PUBSUB_SHA256", "0" * 64)
    made = pubsub.client_manager("redis://127.0.0.1:1/0", "twinspace", "rooms")
    assert type(made) is pubsub.PromptListenerRedisManager
    assert "every instance hears every push" in caplog.text
