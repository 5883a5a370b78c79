"""Room pushes written once as WebSocket frame bytes, and handed to each recipient's connection.

A push to a room of 1,000 is 1,000 deliveries, and on the stack as
shipped each delivery walks the layers one by one: python-engineio's
queue for the connection, its writer task woken, the ASGI message,
uvicorn's WebSocket protocol and websockets' framing, then the write
(docs/performance.md, "Where the time goes"). Every recipient of one push
on a plain WebSocket gets the same bytes, so
:class:`server.realtime.managers.DirectEmitManager` makes them once per
push (:func:`text_frame`) and, for each recipient that :func:`ready_transport`
finds ready, writes them to its transport: no task, no queue, no ASGI
message per recipient. Any other recipient gets the push the stack's
way, through python-engineio's queue.

A recipient is ready when nothing could be overtaken and nothing would
be skipped:

- its Engine.IO connection is on WebSocket (not long-polling, not
  upgrading), open, and within its ping time-out (python-engineio checks
  that on each send: a stale one takes the queue, where it is closed);
- its writer holds nothing: the queue is empty and the writer is waiting
  in ``poll`` (:func:`server.realtime.managers.wait_without_a_task` keeps
  the mark), so a packet already taken from the queue is never overtaken;
- its uvicorn protocol is the sans-I/O one (uvicorn's default with
  websockets installed) after the handshake, before any close, not
  paused by a full write buffer (a slow reader's pushes then wait in the
  queue, as before), with no extension negotiated: with
  permessage-deflate (``--ws-compression``) the stack compresses each
  frame as before.

The bytes are the frame websockets writes for a text message from a
server: FIN and the text opcode, the length, the UTF-8 payload, unmasked.
The same goes for what is sent to one connection (an event's ack, a
push to one person's connections): :func:`install` makes the server's
public ``send_packet`` write a text message's frame directly when its
connection is ready, and so are Engine.IO's PINGs (:func:`write_ping`,
from :func:`server.realtime.managers.ping_on_a_timer`). The handshake and
binary packets go the stack's way.

This leans on private interfaces of three dependencies, all in this
module: python-engineio's ``AsyncServer._async`` (to make its WebSocket
wrapper one that notes its connection's uvicorn protocol), ``AsyncSocket``'s
queue and states, and uvicorn's ``WebSocketsSansIOProtocol`` attributes. It
is turned on only over the code it was written for, recognised by source
(python-engineio 4.15.1, uvicorn 0.54.0; ``pyproject.toml`` bounds both),
and otherwise every push takes the queue, with a warning in the log.
``tests/integration/test_delivery.py`` checks the behaviour on a live
server: the order with packets queued between pushes, a reader too slow
for its buffer, compression, long-polling beside WebSocket.
"""

from __future__ import annotations

import logging
import struct
import time
from typing import Any

from engineio import async_socket
from engineio import packet as engineio_packet
from engineio.async_drivers import asgi as engineio_asgi
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.protocol import State

from server.realtime.sources import source_sha256

log = logging.getLogger(__name__)

SCOPE_KEY = "twinspace.ws_protocol"  # in a WebSocket's ASGI scope: the uvicorn protocol under it (note_protocol)
PROTOCOL = "_twinspace_protocol"  # on an AsyncSocket: its connection's uvicorn protocol, while it has one
WRITER_IDLE = "_twinspace_writer_idle"  # on an AsyncSocket: True while its writer waits in poll holding nothing
DIRECT_SEND = "_twinspace_direct"  # on eio.send_packet once it is direct_send_packet's: python-engineio's own

# SHA-256 of the sources this module's conditions mirror (python-engineio 4.15.1, uvicorn 0.54.0):
# the writer and reader of a WebSocket connection, the WebSocket wrapper of the ASGI driver, and
# uvicorn's send and flow control. Any other version may mean something else: then it stays off.
RECOGNISED = {
    "engineio AsyncSocket._websocket_handler": (
        async_socket.AsyncSocket._websocket_handler,
        "27f120df4d717a24478b7b0f7389ce19eea8a881dd07e2c81fb1cf2493e006a5"),
    "engineio asgi WebSocket.__call__": (
        engineio_asgi.WebSocket.__call__, "abbf7a49b2256d3716476bc994bd1cec7b5e060c01692044959a3558af5efff1"),
    "engineio asgi WebSocket.send": (
        engineio_asgi.WebSocket.send, "0af97629973f3c51cbc0d689a829018e9125a45239134e5f76ea8ae03e9353f6"),
    "uvicorn WebSocketsSansIOProtocol.send": (
        WebSocketsSansIOProtocol.send, "d4919ed760ce9f7be8574989b91ed67448f210ff9cc114f38d286487ec1ddfc8"),
    "uvicorn WebSocketsSansIOProtocol.pause_writing": (
        WebSocketsSansIOProtocol.pause_writing, "4830f7e0d81f877d9d664cf64b692d1c18946e68b3bc261d9a62ae64c72c0023"),
    "uvicorn WebSocketsSansIOProtocol.connection_lost": (
        WebSocketsSansIOProtocol.connection_lost, "dd116afc4d8034e11baebc28faf53f4f0f15181c4ea1a0e49cc9fdf45056cc97"),
}


class Counts:
    """Deliveries written directly and those that took the queue: plain counters, for tests and the benchmark."""

    __slots__ = ("written", "queued", "pings")

    def __init__(self) -> None:
        self.written = 0
        self.queued = 0
        self.pings = 0  # PINGs written directly (server/realtime/managers.py, ping_on_a_timer)


counts = Counts()


def text_frame(text: str) -> bytes:
    """The unmasked, unfragmented WebSocket text frame of ``text``, as a server sends it (RFC 6455 5.2)."""
    payload = text.encode()
    size = len(payload)
    if size < 126:
        header = struct.pack("!BB", 0x81, size)
    elif size < 1 << 16:
        header = struct.pack("!BBH", 0x81, 126, size)
    else:
        header = struct.pack("!BBQ", 0x81, 127, size)
    return header + payload


def note_protocol(scope: dict[str, Any], send: Any) -> None:
    """Note in a WebSocket's ``scope`` the uvicorn protocol whose bound ``send`` the server handed the app.

    The outermost app calls it: the middlewares below wrap ``send`` (they pass ``websocket.send``
    messages on unchanged), so python-engineio sees only their wrapper.
    """
    protocol = getattr(send, "__self__", None)
    if type(protocol) is WebSocketsSansIOProtocol:
        scope[SCOPE_KEY] = protocol


class NotingWebSocket(engineio_asgi.WebSocket):  # type: ignore[misc]  # python-engineio ships no types
    """python-engineio's ASGI WebSocket wrapper, noting on its connection the uvicorn protocol under it."""

    async def __call__(self, environ: dict[str, Any]) -> Any:
        owner = getattr(self.handler, "__self__", None)  # the AsyncSocket whose _websocket_handler this runs
        scope = environ.get("asgi.scope") or {}
        # Noted by the outermost app, or the server's own send when nothing wraps it
        protocol = scope.get(SCOPE_KEY) or getattr(environ.get("asgi.send"), "__self__", None)
        noted = isinstance(owner, async_socket.AsyncSocket) and type(protocol) is WebSocketsSansIOProtocol
        if noted:
            setattr(owner, PROTOCOL, protocol)
        try:
            return await super().__call__(environ)
        finally:
            if noted:
                owner.__dict__.pop(PROTOCOL, None)


def recognised() -> bool:
    """Whether the dependencies' code is the code this module was written for."""
    for name, (function, sha256) in RECOGNISED.items():
        if source_sha256(function) != sha256:
            log.warning("%s is not the one server/realtime/direct.py was written for; room pushes take "
                        "python-engineio's queue (each delivery costs a task wake-up and more)", name)
            return False
    return True


def install(eio: Any) -> bool:
    """Have ``eio`` (python-engineio's ``AsyncServer``, ASGI mode) note its WebSockets' protocols.

    False when the code is not recognised or ``eio`` is not in ASGI mode; its pushes then take the queue.
    """
    drivers = getattr(eio, "_async", None)
    if not isinstance(drivers, dict) or drivers.get("websocket") not in (engineio_asgi.WebSocket, NotingWebSocket):
        return False
    if not recognised():
        return False
    eio._async = {**drivers, "websocket": NotingWebSocket}  # this server's own copy: the driver's dict is shared
    if not getattr(eio.send_packet, DIRECT_SEND, False):
        eio.send_packet = direct_send_packet(eio, eio.send_packet)
    return True


def direct_send_packet(eio: Any, shipped: Any) -> Any:
    """``eio.send_packet`` (public), writing a text message's frame directly when its connection is ready.

    That is how an event's ack and the pushes to one person's connections leave; any other packet,
    or a connection not ready, goes through ``shipped``, python-engineio's own.
    """

    async def send_packet(sid: str, pkt: Any) -> None:
        sock = eio.sockets.get(sid)
        if (sock is None or pkt.packet_type != engineio_packet.MESSAGE or pkt.binary
                or not write(sock, text_frame(pkt.encode()), time.time(), eio.ping_timeout)):
            await shipped(sid, pkt)

    setattr(send_packet, DIRECT_SEND, shipped)
    return send_packet


def shipped_send(eio: Any) -> Any:
    """python-engineio's own ``send_packet`` of ``eio``, under :func:`direct_send_packet` or not."""
    return getattr(eio.send_packet, DIRECT_SEND, eio.send_packet)


def write(sock: Any, frame: bytes, now: float, ping_timeout: float) -> bool:
    """Write ``frame`` to ``sock``'s connection if it is ready for it (:func:`ready_transport`); whether it was."""
    transport = ready_transport(sock, now, ping_timeout)
    if transport is None:
        counts.queued += 1
        return False
    counts.written += 1  # before the write: a client in another thread may see the bytes at once
    transport.write(frame)
    return True


PING_FRAME = text_frame(engineio_packet.Packet(engineio_packet.PING).encode())


def write_ping(sock: Any, now: float, ping_timeout: float) -> bool:
    """Write an Engine.IO PING's frame to ``sock``'s connection if it is ready for it; whether it was."""
    transport = ready_transport(sock, now, ping_timeout)
    if transport is None:
        return False
    counts.pings += 1
    transport.write(PING_FRAME)
    return True


def ready_transport(sock: Any, now: float, ping_timeout: float) -> Any:
    """The asyncio transport to write a push to directly, or None when it must take the queue (module docstring)."""
    state = sock.__dict__
    protocol = state.get(PROTOCOL)
    if (protocol is None or not state.get(WRITER_IDLE) or not sock.upgraded or sock.upgrading or sock.closing
            or sock.closed or not sock.queue.empty()):
        return None
    last_ping = sock.last_ping
    if last_ping and now - last_ping > ping_timeout:
        return None
    if (not protocol.handshake_complete or protocol.close_sent or protocol.disconnected
            or protocol.initial_response is not None or not protocol.writable.is_set()):
        return None
    conn = protocol.conn
    if conn.state is not State.OPEN or conn.extensions:
        return None
    transport = protocol.transport
    if transport.is_closing():
        return None
    return transport


def now() -> float:
    """The clock python-engineio's ping check reads."""
    return time.time()
