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

The way in is cut the same way (:func:`take_event`): a client's event on
a plain WebSocket, arriving while its connection's reader holds nothing,
starts its handler from uvicorn's protocol at once, with no ASGI message,
no queue, no reader task and time-out per packet and no pause of the
socket's reading; anything else (a connect, a PONG, an event behind a
queued packet) takes the reader's way, so nothing is overtaken. Such an
event's handler, when it is an action's (a coroutine of the default
namespace), is awaited as python-socketio's ``_trigger_event`` does, and
its ack's frame written directly, the text python-socketio and
python-engineio would have encoded (:func:`_handle_and_answer`).

This leans on private interfaces of four dependencies, all in this
module: python-engineio's ``AsyncServer._async`` (to make its WebSocket
wrapper one that notes its connection's uvicorn protocol), ``AsyncSocket``'s
queue and states, uvicorn's ``WebSocketsSansIOProtocol`` attributes, and
python-socketio's ``_handle_event_internal`` (the handler task its
``_handle_event`` starts) and its ``handlers``. It is turned on only over the code it was
written for, recognised by source (python-engineio 4.15.1, uvicorn 0.54.0,
python-socketio 5.18.1; ``pyproject.toml`` bounds them), and otherwise every
push takes the queue and every event the reader, with a warning in the log.
``tests/integration/test_delivery.py`` checks the behaviour on a live
server: the order with packets queued between pushes, a reader too slow
for its buffer, compression, long-polling beside WebSocket, events in a
burst behind their connect and one at a time.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import struct
import time
from collections.abc import Callable, Coroutine
from contextvars import ContextVar
from typing import Any

from engineio import async_server as engineio_async_server
from engineio import async_socket
from engineio import packet as engineio_packet
from engineio.async_drivers import asgi as engineio_asgi
from socketio import async_server as socketio_async_server
from socketio import base_server as socketio_base_server
from socketio import packet as socketio_packet
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.protocol import State

from server.realtime import wsframes
from server.realtime.sources import all_match

log = logging.getLogger(__name__)

SCOPE_KEY = "twinspace.ws_protocol"  # in a WebSocket's ASGI scope: the uvicorn protocol under it (note_protocol)
PROTOCOL = "_twinspace_protocol"  # on an AsyncSocket: its connection's uvicorn protocol, while it has one
WRITER_IDLE = "_twinspace_writer_idle"  # on an AsyncSocket: True while its writer waits in poll holding nothing
DIRECT_SEND = "_twinspace_direct"  # on eio.send_packet once it is direct_send_packet's: python-engineio's own
RECEIVER = "_twinspace_receiver"  # on eio: the python-socketio server whose events are taken as they arrive
READER_IDLE = "_twinspace_reader_idle"  # on an AsyncSocket: True while its reader waits holding no packet
OPENED = "_twinspace_opened"  # on an AsyncSocket: its protocol, once the checks that never turn back passed
TAKEN = "_twinspace_taken"  # on an AsyncSocket: its events taken as they arrived whose handlers still run
RECEIVE_HOOK = "send_receive_event_to_app"  # the uvicorn protocol's method that queues a message for the app
TAKEN_MAX = 16  # events of one connection taken at once; past that they queue, and uvicorn pauses its reading
EVENT_PREFIX = b"42"  # an Engine.IO MESSAGE (4) carrying a Socket.IO EVENT (2)

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
# and of the receive path that take_event stands in for, for a connection's plain text events: uvicorn
# queueing the message, python-engineio reading and decoding it, python-socketio starting its handler.
RECOGNISED_RECEIVE = {
    "uvicorn WebSocketsSansIOProtocol.send_receive_event_to_app": (
        WebSocketsSansIOProtocol.send_receive_event_to_app,
        "a2b10de91477dc1d4d0e7c9065b85388a5b2a6ebeb84d6ec1591e112ca0bfbb9"),
    "uvicorn WebSocketsSansIOProtocol.receive": (
        WebSocketsSansIOProtocol.receive, "1dc0e715390021a105cfe6abb35a730af9c5be3d71043329a39bbc1c5afe66bc"),
    "engineio asgi WebSocket.wait": (
        engineio_asgi.WebSocket.wait, "0346a1c9ebdafdffea28b0ab1a933e3af38d9ca32dd9fce72f5751c6e9aed1e8"),
    "engineio AsyncSocket.receive": (
        async_socket.AsyncSocket.receive, "a91ae36ec2fb5340713ec03be88b1ece9887d2f3116ff09f24dda3a6d965db28"),
    "socketio AsyncServer._handle_eio_message": (
        socketio_async_server.AsyncServer._handle_eio_message,
        "bef50fc0e1635921c922995dba721d05d1c5ccc95d6a6b7647a1db75c4e6032e"),
    "socketio AsyncServer._handle_event": (
        socketio_async_server.AsyncServer._handle_event, "65178105ef8b593d1ebb63610cbabab0c29654cee50fd669ba0a66590f2e1f54"),
    "socketio AsyncServer._handle_event_internal": (
        socketio_async_server.AsyncServer._handle_event_internal,
        "472e8b723a12d507ce3ee3eb8e1643cd326bdd9cc669392e6a636ec7aafdb366"),
    # and the ack's way that _handle_and_answer writes directly: the handler found and awaited, the
    # Socket.IO ack packet encoded, handed to Engine.IO as a message, encoded again
    "socketio AsyncServer._trigger_event": (
        socketio_async_server.AsyncServer._trigger_event,
        "01ba90cfa09ba43e73738d2faebbaa179cc5fe5be5bf1eb3acf5fc60fa498d9f"),
    "socketio BaseServer._get_event_handler": (
        socketio_base_server.BaseServer._get_event_handler,
        "e18d9a6570aaaaf4323d1699954bd18d1981d4ae5b2fde6643333a6e8932a697"),
    "socketio AsyncServer._send_packet": (
        socketio_async_server.AsyncServer._send_packet,
        "a00022b42c1c29e908fd601c32aa1854aeaf2f131b3acc12461f6030e1ab9e9b"),
    "socketio Packet.encode": (socketio_packet.Packet.encode,
                               "513c45be75181da2e2b99a71f0876080a515f8dc0dfd99fd691ea2879637e8ea"),
    "engineio AsyncServer.send": (engineio_async_server.AsyncServer.send,
                                  "ff1fdb18f1c30bb398daa8080c44e08e443db4dc3792a6172ead49be45153195"),
    "engineio Packet.encode": (engineio_packet.Packet.encode,
                               "8f3d5d869711cbb8da4ea03dc81afef2672428c0faaba04c1e3d7d70b5affe29"),
}


class Counts:
    """Deliveries written directly and those that took the queue: plain counters, for tests and the benchmark."""

    __slots__ = ("written", "queued", "pings", "taken", "answered")

    def __init__(self) -> None:
        self.written = 0
        self.queued = 0
        self.pings = 0  # PINGs written directly (server/realtime/managers.py, ping_on_a_timer)
        self.taken = 0  # events whose handler take_event started
        self.answered = 0  # their acks written directly, with no packet made (_handle_and_answer)


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
            self._take_events(owner, protocol)
        try:
            return await super().__call__(environ)
        finally:
            if noted:
                owner.__dict__.pop(PROTOCOL, None)
                owner.__dict__.pop(OPENED, None)
                protocol.__dict__.pop(RECEIVE_HOOK, None)
                wsframes.remove(protocol)

    @staticmethod
    def _take_events(owner: Any, protocol: Any) -> None:
        """Have ``protocol`` hand ``owner``'s events to :func:`take_event`, when its server takes them."""
        sio = getattr(owner.server, RECEIVER, None)
        if sio is not None:  # an instance attribute, over the class's method: this connection's messages only
            setattr(protocol, RECEIVE_HOOK, lambda: take_event(protocol, owner, sio))
            wsframes.install(protocol)  # and its text frames read as they arrive

    async def wait(self) -> Any:
        """python-engineio's, marking the connection's reader as waiting while it waits (:func:`take_event`)."""
        owner = getattr(self.handler, "__self__", None)
        state = owner.__dict__ if isinstance(owner, async_socket.AsyncSocket) else {}
        state[READER_IDLE] = True
        try:
            return await super().wait()
        finally:
            state[READER_IDLE] = False


def _matches(table: dict[str, tuple[Any, str]], otherwise: str) -> bool:
    return all_match(table, "server/realtime/direct.py", otherwise, log)


def recognised() -> bool:
    """Whether the dependencies' code is the code this module was written for."""
    return _matches(RECOGNISED, "room pushes take python-engineio's queue (each delivery costs a task "
                                "wake-up and more)")


def receive_recognised() -> bool:
    """Whether the receive path's code is the code :func:`take_event` was written for."""
    return _matches(RECOGNISED_RECEIVE, "every event takes python-engineio's reader (each costs two tasks more)")


def install(eio: Any, sio: Any = None) -> bool:
    """Have ``eio`` (python-engineio's ``AsyncServer``, ASGI mode) note its WebSockets' protocols.

    With ``sio`` (the python-socketio server over ``eio``), its WebSocket events are also taken as
    they arrive (:func:`take_event`) when that code is recognised. False when the code is not
    recognised or ``eio`` is not in ASGI mode; its pushes then take the queue.
    """
    drivers = getattr(eio, "_async", None)
    if not isinstance(drivers, dict) or drivers.get("websocket") not in (engineio_asgi.WebSocket, NotingWebSocket):
        return False
    if not recognised():
        return False
    eio._async = {**drivers, "websocket": NotingWebSocket}  # this server's own copy: the driver's dict is shared
    if not getattr(eio.send_packet, DIRECT_SEND, False):
        eio.send_packet = direct_send_packet(eio, eio.send_packet)
    if sio is not None and getattr(sio, "eio", None) is eio and receive_recognised():
        setattr(eio, RECEIVER, sio)
    return True


def take_event(protocol: WebSocketsSansIOProtocol, sock: Any, sio: Any) -> None:
    """The uvicorn protocol's ``send_receive_event_to_app`` for one connection: a complete text message
    that is a Socket.IO event starts its handler here, at once, when nothing could be overtaken.

    Shipped, the message becomes an ASGI message on the protocol's queue (and uvicorn stops reading
    until the app takes it); python-engineio's reader, which waits for it with a task and a time-out
    of its own, takes it, decodes its Engine.IO packet and hands it to python-socketio, which decodes
    the Socket.IO packet and starts a task for the handler. Here the same packet is decoded by the
    server's serializer and the same handler task started, with what python-socketio's
    ``_handle_event`` passes it. Anything else takes the shipped way: a connection whose reader holds
    a packet or has one queued (a ``40`` connect, a PONG), an upgrade, a message past
    python-engineio's size limit, one in fragments or not UTF-8, a connection with ``TAKEN_MAX`` events
    still running, one closing, and every event of a server whose handlers run one at a time
    (``async_handlers`` off).
    """
    frames = protocol.frames
    state = sock.__dict__
    if (len(frames) == 1 and protocol.curr_msg_data_type == "text" and frames[0][:2] == EVENT_PREFIX
            and state.get(READER_IDLE) and state.get(TAKEN, 0) < TAKEN_MAX and not protocol.close_sent
            and protocol.queue.empty() and sock.upgraded and not sock.upgrading and not sock.closing
            and not sock.closed and len(frames[0]) <= sock.server.max_http_buffer_size
            and sio.async_handlers and sock.sid not in sio._binary_packet):
        try:
            text = str(frames[0], "utf-8")
        except UnicodeDecodeError:
            pass
        else:
            protocol.frames = []
            try:
                _start_handler(sio, sock, text[1:], protocol.loop)
            except Exception:  # as python-engineio's reader: logged, and the connection goes on
                log.exception("receive error")
            return
    WebSocketsSansIOProtocol.send_receive_event_to_app(protocol)


_handling: set[asyncio.Task[Any]] = set()  # the handlers take_event started, held until they end


def _start_handler(sio: Any, sock: Any, encoded: str, loop: asyncio.AbstractEventLoop) -> None:
    """python-socketio's ``_handle_eio_message`` and ``_handle_event`` for an event, with no task between.
    ``loop`` is the connection's (its protocol's): asking asyncio for the running one costs a system call
    (CPython 3.11 compares the process id on each call)."""
    pkt = sio.packet_class(encoded_packet=encoded)  # the server's serializer: a refused frame is an event too
    if pkt.packet_type != socketio_packet.EVENT:  # pragma: no cover - "2" decodes as an event or a refusal
        return
    namespace = pkt.namespace or "/"
    sid = sio.manager.sid_from_eio_sid(sock.sid, namespace)
    if not sio.manager.is_connected(sid, namespace):  # as python-socketio: dropped
        return
    state = sock.__dict__
    state[TAKEN] = state.get(TAKEN, 0) + 1
    counts.taken += 1
    after = _AfterAnswer(None)
    task = loop.create_task(_handle_then_tell(sio, sid, sock.sid, pkt.data, namespace, pkt.id, after))
    after.task = task
    _handling.add(task)
    task.add_done_callback(lambda done: _handled(done, state))


class _AfterAnswer:
    """What a handler started by :func:`take_event` asked to run in its own task once its answer is written."""

    __slots__ = ("task", "then", "open")

    def __init__(self, task: asyncio.Task[Any] | None) -> None:
        self.task = task
        self.then: list[Callable[[], Coroutine[Any, Any, None]]] = []
        self.open = True


_AFTER_ANSWER: ContextVar[_AfterAnswer | None] = ContextVar("twinspace_after_answer", default=None)


def after_this_answer(then: Callable[[], Coroutine[Any, Any, None]]) -> bool:
    """Have ``then`` run in the running handler's task right after its answer is written, with no task
    of its own (the fan-out's pushes: ``server/realtime/fanout.py``); False when the running code is not
    such a handler (then the caller starts a task). A task the handler started inherits the context,
    not the slot: only the handler's own task is answered for."""
    after = _AFTER_ANSWER.get()
    if after is None or not after.open or after.task is None or after.task is not asyncio.current_task(after.task.get_loop()):
        return False
    after.then.append(then)
    return True


async def _handle_then_tell(sio: Any, sid: str, eio_sid: str, data: Any, namespace: str, ack_id: Any,
                            after: _AfterAnswer) -> None:
    """python-socketio's ``_handle_event_internal`` (the handler, then its ack), then what the handler
    asked to run after its answer (:func:`after_this_answer`); ``after`` names this coroutine's task."""
    _AFTER_ANSWER.set(after)
    try:
        await _handle_and_answer(sio, sid, eio_sid, data, namespace, ack_id)
    except BaseException:
        after.open = False
        for then in after.then:  # what was stored is still told, in tasks of their own
            _spawn(then)
        raise
    after.open = False
    for then in after.then:
        await then()


_COROUTINE_HANDLERS: dict[Any, bool] = {}  # handler -> whether python-socketio awaits it (asked once each)


async def _handle_and_answer(sio: Any, sid: str, eio_sid: str, data: Any, namespace: str, ack_id: Any) -> None:
    """python-socketio's ``_handle_event_internal``: the event's handler, then its ack. An event of the
    default namespace with a coroutine handler of its own (every action's) is handled as its
    ``_trigger_event`` does, and the ack's frame written directly when the connection is ready for it,
    as :func:`direct_send_packet` writes it: the same text, with no Socket.IO nor Engine.IO packet
    made and no coroutine between. Anything else (a catch-all handler, another namespace) goes
    python-socketio's way."""
    handlers = getattr(sio, "handlers", {}).get(namespace) if namespace == "/" else None
    handler = (handlers.get(data[0]) if handlers and isinstance(data, list) and data
               and data[0] not in sio.reserved_events else None)
    if handler is None or not _is_coroutine_handler(handler):
        await sio._handle_event_internal(sio, sid, eio_sid, data, namespace, ack_id)
        return
    try:
        answered = await handler(sid, *data[1:])
    except asyncio.CancelledError:  # as python-socketio's _trigger_event: answered with nothing
        answered = None
    if ack_id is None:
        return
    answer = [] if answered is None else list(answered) if isinstance(answered, tuple) else [answered]
    eio = sio.eio
    sock = eio.sockets.get(eio_sid)
    if sock is not None:
        # "4" (an Engine.IO message) "3" (a Socket.IO ack), its id, its JSON: what both packets' encode make
        text = f"43{ack_id}{sio.packet_class.json.dumps(answer, separators=(',', ':'))}"
        if write(sock, text_frame(text), time.time(), eio.ping_timeout):
            counts.answered += 1
            return
    await sio._send_packet(eio_sid, sio.packet_class(socketio_packet.ACK, namespace=namespace, id=ack_id, data=answer))


def _is_coroutine_handler(handler: Any) -> bool:
    known = _COROUTINE_HANDLERS.get(handler)
    if known is None:
        known = _COROUTINE_HANDLERS[handler] = inspect.iscoroutinefunction(handler)
    return known


def _spawn(then: Callable[[], Coroutine[Any, Any, None]]) -> None:
    task = asyncio.get_running_loop().create_task(then())
    _handling.add(task)
    task.add_done_callback(_handling.discard)


def _handled(task: asyncio.Task[Any], state: dict[str, Any]) -> None:
    _handling.discard(task)
    state[TAKEN] -= 1
    if not task.cancelled() and task.exception() is not None:
        log.error("event handler failed", exc_info=task.exception())


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


def write_each(sockets: dict[str, Any], eio_sids: list[str], frame: bytes, now: float,
               ping_timeout: float) -> list[str]:
    """:func:`write` of one push's ``frame`` to each of ``eio_sids`` (a room's recipients), in one loop;
    the ones it was not written to (gone, or not ready: they take the queue), in order."""
    left: list[str] = []
    for eio_sid in eio_sids:
        sock = sockets.get(eio_sid)
        if sock is None:
            left.append(eio_sid)
            continue
        transport = ready_transport(sock, now, ping_timeout)
        if transport is None:
            counts.queued += 1
            left.append(eio_sid)
            continue
        counts.written += 1  # before the write: a client in another thread may see the bytes at once
        transport.write(frame)
    return left


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
    if protocol is None or not state.get(WRITER_IDLE) or sock.closing or sock.closed or not sock.queue.empty():
        return None
    if state.get(OPENED) is not protocol:
        # Upgraded, the handshake done, no extension: once true, each stays true for the connection.
        if (not sock.upgraded or sock.upgrading or not protocol.handshake_complete
                or protocol.initial_response is not None or protocol.conn.extensions):
            return None
        state[OPENED] = protocol
    last_ping = sock.last_ping
    if last_ping and now - last_ping > ping_timeout:
        return None
    if protocol.close_sent or protocol.disconnected or not protocol.writable.is_set():
        return None
    if protocol.conn.state is not State.OPEN:
        return None
    transport = protocol.transport
    if transport.is_closing():
        return None
    return transport


def now() -> float:
    """The clock python-engineio's ping check reads."""
    return time.time()
