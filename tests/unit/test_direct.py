"""server/realtime/direct.py: the frame bytes, and turning on only over the code it was written for.

What the direct writes do on live connections is tested in tests/integration/test_delivery.py.
"""

from __future__ import annotations

from typing import Any

import pytest
import socketio
from engineio import async_socket
from engineio.async_drivers import asgi as engineio_asgi
from uvicorn.protocols.websockets import websockets_sansio_impl
from websockets.frames import Frame, Opcode

from server.realtime import direct, managers


@pytest.mark.parametrize("size", [0, 1, 125, 126, 65_535, 65_536, 200_000])
def test_a_text_frame_is_the_one_websockets_writes_as_a_server(size: int) -> None:
    text = "é" * (size // 2) + "x" * (size % 2)  # ``size`` bytes, with two-byte characters
    assert len(text.encode()) == size
    assert direct.text_frame(text) == Frame(Opcode.TEXT, text.encode()).serialize(mask=False, extensions=[])


def test_the_installed_dependencies_are_the_ones_it_was_written_for(monkeypatch: pytest.MonkeyPatch) -> None:
    # On an upgrade of python-engineio or uvicorn this fails first: read the sources named in
    # direct.RECOGNISED, check the conditions of ready_transport against them, update the hashes.
    assert direct.recognised()
    monkeypatch.setattr(async_socket.AsyncSocket, "poll", managers.ENGINEIO_POLL)  # as shipped; restored after
    assert managers.install_writer_wait()  # as server.app.create_app does: the writers' mark is needed
    server = socketio.AsyncServer(async_mode="asgi", client_manager=managers.DirectEmitManager())
    assert server.manager.direct is True
    assert server.eio._async["websocket"] is direct.NotingWebSocket
    assert getattr(server.eio.send_packet, direct.DIRECT_SEND)  # acks and one connection's pushes too
    assert getattr(server.eio, direct.RECEIVER) is server  # and its events taken as they arrive
    assert engineio_asgi._async["websocket"] is engineio_asgi.WebSocket  # the driver's own, shared dict untouched


def test_other_code_leaves_every_push_to_the_queue(monkeypatch: pytest.MonkeyPatch,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    async def another_send(self: Any, message: Any) -> None:  # what a later uvicorn might have
        pass

    monkeypatch.setattr(websockets_sansio_impl.WebSocketsSansIOProtocol, "send", another_send)
    name = "uvicorn WebSocketsSansIOProtocol.send"
    monkeypatch.setitem(direct.RECOGNISED, name, (another_send, direct.RECOGNISED[name][1]))
    server = socketio.AsyncServer(async_mode="asgi", client_manager=managers.DirectEmitManager())
    assert server.manager.direct is False
    assert server.eio._async["websocket"] is engineio_asgi.WebSocket
    assert not hasattr(server.eio.send_packet, direct.DIRECT_SEND)
    assert "take python-engineio's queue" in caplog.text


def test_another_receive_path_leaves_every_event_to_the_reader(monkeypatch: pytest.MonkeyPatch,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    async def another(self: Any, *args: Any) -> None:  # what a later python-socketio might have
        pass

    name = "socketio AsyncServer._handle_event_internal"
    monkeypatch.setitem(direct.RECOGNISED_RECEIVE, name, (another, direct.RECOGNISED_RECEIVE[name][1]))
    monkeypatch.setattr(async_socket.AsyncSocket, "poll", managers.ENGINEIO_POLL)  # as shipped; restored after
    assert managers.install_writer_wait()
    server = socketio.AsyncServer(async_mode="asgi", client_manager=managers.DirectEmitManager())
    assert getattr(server.eio, direct.RECEIVER, None) is None
    assert server.manager.direct is True  # pushes are still written directly
    assert "every event takes python-engineio's reader" in caplog.text
