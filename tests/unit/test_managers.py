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
