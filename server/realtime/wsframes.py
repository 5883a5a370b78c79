"""Clients' text frames read from the bytes as they arrive, while websockets' parser is between frames.

Shipped, every chunk a client's WebSocket sends goes through websockets' sans-I/O parser: the bytes
are appended to its reader, and generator-based coroutines read the frame's header, length, mask and
payload a few bytes at a time; uvicorn then walks the events it made. For a chat send that is a third
of what taking the frame costs, for a frame of a few dozen bytes (docs/performance.md). Here, a chunk
that starts while the parser holds nothing and waits for the next frame is read directly: each whole,
masked, unfragmented text frame with no reserved bit, within the connection's size limit, is unmasked
with websockets' own ``apply_mask`` and handed to uvicorn's ``handle_text``, as the parser would have
handed it. The first frame that is anything else (a ping, a close, binary, a fragment, a frame cut by
the chunk's end, one too large) and everything after it go to the parser as they came, which is at a
frame's start then: nothing is reordered or read twice.

It is installed on a connection whose events :mod:`server.realtime.direct` takes as they arrive
(:func:`install`, once the handshake is done), on an open connection with no extension
(permessage-deflate sets the reserved bit: the parser decompresses), not in websockets' debug mode.
It leans on websockets' parser state (``parser``, ``reader.buffer``, ``current_size``), which it
reads only: it is turned on over the code it was written for, recognised by source (websockets 17.4,
uvicorn 0.54.0; ``pyproject.toml`` bounds them), and otherwise every chunk takes the parser.
``tests/integration/test_delivery.py`` sends hand-made frames in every such mix.
"""

from __future__ import annotations

import logging
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.frames import Frame, Opcode
from websockets.protocol import Protocol, State
from websockets.server import ServerProtocol
from websockets.streams import StreamReader

try:  # as websockets.frames takes it: its C speed-up, else the same in Python
    from websockets.speedups import apply_mask
except ImportError:  # pragma: no cover - websockets built without its extension
    from websockets.utils import apply_mask

from server.realtime.sources import all_match

log = logging.getLogger(__name__)

INSTALLED = "_twinspace_frames"  # on a uvicorn protocol: its data_received while this module reads its frames
TEXT_FIN = 0x81  # FIN, no reserved bit, the text opcode
MASKED = 0x80
_AT_FRAME_START = StreamReader.at_eof.__code__  # where websockets' parser waits between frames,
_FRAMES_LOOP = Protocol.parse.__code__  # in its loop over frames,
_HANDSHAKE = ServerProtocol.parse.__code__  # under the server's, past the handshake

# SHA-256 of what this module stands in for and reads (websockets 17.4, uvicorn 0.54.0).
RECOGNISED = {
    "websockets Protocol.receive_data": (
        Protocol.receive_data, "df57bef09335e1766e924dccb8d6d52fcfa89b557fb0dc149ee8f0e85589a016"),
    "websockets Protocol.parse": (Protocol.parse, "45aaf900644b63c46eee7cd7e28c53182cf53acac614aa93ed5a6a090fe95cc0"),
    "websockets ServerProtocol.parse": (
        ServerProtocol.parse, "8c4d10340de4d32f573bd1c7c0e0b40374579dda3173abd82aedf3f6ffa07ea4"),
    "websockets Protocol.recv_frame": (
        Protocol.recv_frame, "4f83d3b90ea62428e18d55362bd208220982b46b83a823c76d6c19f1c5c2637b"),
    "websockets StreamReader.at_eof": (
        StreamReader.at_eof, "106a9f1e43abf91f47c959ba8f26958de29abd9d02a1a0d9e2c99b9e68f3d23d"),
    "websockets Frame.parse": (Frame.parse, "2964f6b18f3ae45da1b7fd64fa7dbb779517c0139c4cefcba1f4e880aee92dea"),
    "uvicorn WebSocketsSansIOProtocol.data_received": (
        WebSocketsSansIOProtocol.data_received, "c89d394077d8841d253e469eb47bfd9db0172cd7eebe38edf5211c8e312885d0"),
    "uvicorn WebSocketsSansIOProtocol.handle_events": (
        WebSocketsSansIOProtocol.handle_events, "b2c9351a5d13493ffc405990188f9004e3695036aada077ad026f7754b2293b3"),
    "uvicorn WebSocketsSansIOProtocol.handle_text": (
        WebSocketsSansIOProtocol.handle_text, "6ae523180cf04a012bde88d4eb7fc1429d4e60ee8dc7cbf0f004288a3e657a8f"),
}

_recognised: bool | None = None


class Counts:
    """Frames read here, and chunks (or their rest) that went to websockets' parser: for the tests."""

    __slots__ = ("read", "parsed")

    def __init__(self) -> None:
        self.read = 0
        self.parsed = 0


counts = Counts()


def recognised() -> bool:
    """Whether websockets' and uvicorn's code is the code this module was written for (checked once)."""
    global _recognised
    if _recognised is None:
        _recognised = all_match(RECOGNISED, "server/realtime/wsframes.py", "every frame takes websockets' parser", log)
    return _recognised


def install(protocol: WebSocketsSansIOProtocol) -> bool:
    """Read ``protocol``'s text frames here from now on, when the code is recognised; whether it is."""
    if not recognised() or protocol.transport is None or protocol.transport.is_closing():
        return False

    def data_received(data: bytes) -> None:
        receive(protocol, data)

    setattr(protocol, INSTALLED, data_received)
    protocol.data_received = data_received  # type: ignore[method-assign]  # this connection's only
    protocol.transport.set_protocol(protocol)  # public: the transport reads data_received again
    return True


def remove(protocol: Any) -> None:
    """Back to the parser for every chunk (the transport may still hold the function :func:`install` made)."""
    protocol.__dict__.pop(INSTALLED, None)
    protocol.__dict__.pop("data_received", None)


def _between_frames(conn: Any) -> bool:
    """Whether websockets' parser holds no byte and waits for a frame's first one, outside a message:
    past the handshake (the server's ``parse``), in the frames' loop (``Protocol.parse``), at its
    ``reader.at_eof()``."""
    handshake = conn.parser
    frames = getattr(handshake, "gi_yieldfrom", None)
    waiting = getattr(frames, "gi_yieldfrom", None)
    return (getattr(waiting, "gi_code", None) is _AT_FRAME_START and getattr(frames, "gi_code", None) is _FRAMES_LOOP
            and handshake.gi_code is _HANDSHAKE and not conn.reader.buffer and conn.current_size is None
            and conn.state is State.OPEN and conn.parser_exc is None and not conn.extensions and not conn.debug)


def receive(protocol: WebSocketsSansIOProtocol, data: bytes) -> None:
    """uvicorn's ``data_received``, reading whole plain text frames directly (module docstring)."""
    conn = protocol.conn
    if INSTALLED not in protocol.__dict__ or not _between_frames(conn):
        counts.parsed += 1
        WebSocketsSansIOProtocol.data_received(protocol, data)
        return
    limit = conn.max_message_size
    if conn.max_fragment_size is not None:
        limit = conn.max_fragment_size if limit is None else min(limit, conn.max_fragment_size)
    size, at = len(data), 0
    while at < size and size - at >= 6:
        head = data[at + 1]
        if data[at] != TEXT_FIN or not head & MASKED:
            break
        length, start = head & 0x7F, at + 2
        if length == 126:
            length, start = int.from_bytes(data[start:start + 2], "big"), start + 2
        elif length == 127:
            length, start = int.from_bytes(data[start:start + 8], "big"), start + 8
        end = start + 4 + length
        if end > size or (limit is not None and length > limit):
            break
        payload = apply_mask(data[start + 4:end], data[start:start + 4])
        at = end
        counts.read += 1
        protocol.handle_text(Frame(Opcode.TEXT, payload))
        if INSTALLED not in protocol.__dict__ or conn.state is not State.OPEN:  # the handler closed it
            break
    if at < size:
        counts.parsed += 1
        WebSocketsSansIOProtocol.data_received(protocol, data[at:] if at else data)
