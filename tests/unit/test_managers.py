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
