"""What a client's Socket.IO frame may be, decided before python-socketio acts on it.

The protocol (docs/protocol.md) has text events with one JSON payload and
nothing else. python-socketio would also take, from any client:

- binary packets (``5`` BINARY_EVENT, ``6`` BINARY_ACK): the header announces
  a number of attachments, and every later frame of the connection is kept as
  one until that many arrived (100,000 announced, then 1 MiB frames, held
  ~52 MiB for one connection);
- Engine.IO binary messages, which it decodes as text and fails on with a
  traceback in the log, for each one;
- events named ``connect`` or ``disconnect`` (or ``*``), which it runs with the
  server's own handlers: a second ``connect`` re-authenticates the socket with
  a client-supplied token, a ``disconnect`` removes its presence while it stays
  open.

:class:`ProtocolPacket` is python-socketio's packet with a stricter
``decode``, given to ``AsyncServer`` as its ``serializer`` (a public
parameter: "a subclass of the Packet class with custom implementations of the
encode() and decode() methods"). It never raises and never holds a refused
frame's data: a refused frame becomes a plain event named
:data:`REFUSED_EVENT` carrying only the reason, with the client's ack id if it
gave one, so the client gets an error ack (``request.invalid``) as for any
unknown event, and the connection goes on. Refusals are logged briefly, at
most a few per second per reason (:class:`RefusalLog`), connection or not.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

import orjson
from socketio import packet

log = logging.getLogger("twinspace.frames")

REFUSED_EVENT = "\x00refused"  # no client event has this name: the events table has none like it
RESERVED_EVENTS = frozenset({"connect", "disconnect", "*"})  # the server's own handlers, never a client's
INT_DIGITS_MAX = 100  # digits of an integer in a client's packet, as python-engineio's json allows
LOG_BURST = 5  # refusals of one reason logged at once ...
LOG_PER_SEC = 1.0  # ... then one a second; the rest are counted in the next line logged


class TokenBucket:
    """``burst`` tokens, refilled at ``per_sec``; ``take`` says whether one was there."""

    __slots__ = ("burst", "per_sec", "tokens", "stamp")

    def __init__(self, per_sec: float, burst: float) -> None:
        self.per_sec, self.burst, self.tokens, self.stamp = per_sec, burst, burst, time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.per_sec)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False

    def wait_secs(self) -> float:
        """Seconds until the next token."""
        return max(0.0, (1 - self.tokens) / self.per_sec)


class RefusalLog:
    """One brief warning per refused frame, with a token bucket per reason on the log itself."""

    def __init__(self, logger: logging.Logger, per_sec: float = LOG_PER_SEC, burst: float = LOG_BURST) -> None:
        self.logger, self.per_sec, self.burst = logger, per_sec, burst
        self.buckets: dict[str, TokenBucket] = {}
        self.dropped: dict[str, int] = {}
        self.lock = threading.Lock()

    def refused(self, reason: str, detail: str = "") -> None:
        with self.lock:
            bucket = self.buckets.setdefault(reason, TokenBucket(self.per_sec, self.burst))
            if not bucket.take():
                self.dropped[reason] = self.dropped.get(reason, 0) + 1
                return
            dropped = self.dropped.pop(reason, 0)
        more = f" ({dropped} more not logged)" if dropped else ""
        self.logger.warning("refused frame reason=%s%s%s", reason, f" {detail}" if detail else "", more)


refusals = RefusalLog(log)
_SOCKETIO_JSON: Any = packet.Packet.json  # python-socketio's own (python-engineio's json module)


def _int_of_at_most_100_digits(digits: str) -> int:
    """python-engineio's ``json.loads`` rule, which python-socketio decodes with."""
    if len(digits) > INT_DIGITS_MAX:
        raise ValueError("Integer is too large")
    return int(digits)


# One decoder for every packet: python-engineio's loads builds one (its scanner too) for each call.
_DECODER = json.JSONDecoder(parse_int=_int_of_at_most_100_digits)


class PacketJson:
    """The JSON of packets: what the server sends is encoded by orjson (a tenth of the standard
    library's time: every push and every ack is encoded once); what a client sends is decoded as
    python-socketio decodes it (python-engineio's ``json``: the standard library's, integers of at
    most 100 digits), so what a payload may hold, and every refusal, stays as it was. A value orjson
    does not encode (an integer past 64 bits, a string with a lone surrogate) is encoded as before.
    The decoder is made once, for every packet. python-socketio's client managers take the same
    module for what they publish between instances.
    Non-ASCII text is sent as UTF-8, not as ``\\u`` escapes: the same JSON value, in fewer bytes."""

    @staticmethod
    def dumps(value: Any, **_: Any) -> str:  # python-socketio passes ``separators``: orjson's are compact
        try:
            return orjson.dumps(value).decode()
        except TypeError:  # orjson.JSONEncodeError
            return str(_SOCKETIO_JSON.dumps(value, separators=(",", ":")))

    @staticmethod
    def loads(text: str | bytes) -> Any:
        """As ``json.loads``: bytes too (python-socketio's pub/sub managers read Redis messages with it)."""
        if not isinstance(text, str):
            text = text.decode(json.detect_encoding(text), "surrogatepass")
        return _DECODER.decode(text)


class ProtocolPacket(packet.Packet):  # type: ignore[misc]  # python-socketio ships no types
    """python-socketio's packet, refusing what the protocol does not have (module docstring).

    The server's own packets are JSON text too: ``uses_binary_events`` off (as python-socketio's
    MessagePack serializer has it), so a packet is not walked through, field by field, looking for
    bytes to send as attachments (3 % of the server's Python time in scenario A went there: every
    push and every ack). Bytes in a packet fail its encoding (``TypeError``) instead of leaving.
    """

    uses_binary_events = False
    json = PacketJson
    packet_type: Any
    id: Any
    data: Any

    def __init__(self, *args: Any, encoded_packet: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, encoded_packet=encoded_packet, **kwargs)
        if encoded_packet is not None and not encoded_packet:  # python-socketio decodes no empty frame
            self._refuse("malformed", "an empty frame", keep_id=False)

    def decode(self, encoded_packet: Any) -> int:
        if isinstance(encoded_packet, (bytes, bytearray, memoryview)):
            return self._refuse("binary", f"{len(encoded_packet)} bytes")
        self.id = None
        try:
            attachments = int(super().decode(encoded_packet) or 0)
        except (ValueError, TypeError, IndexError, RecursionError):  # not JSON, a bad header, too deep
            # The header (type, ack id) is read before the JSON: an event whose payload does not decode
            # (an integer past python-engineio's 100 digits, say) is still answered.
            answer = "malformed frame: the payload is not JSON the server reads (integers have at most 100 digits)"
            return self._refuse("malformed", f"{len(encoded_packet)} characters", keep_id=self.id is not None,
                                answer=answer)
        if self.packet_type in (packet.BINARY_EVENT, packet.BINARY_ACK) or attachments:
            return self._refuse("binary", f"packet type {self.packet_type} with {attachments} attachments")
        if self.packet_type not in (packet.CONNECT, packet.DISCONNECT, packet.EVENT, packet.ACK):
            return self._refuse("malformed", f"packet type {str(self.packet_type)[:10]}", keep_id=False)
        if self.packet_type == packet.ACK and not isinstance(self.data, list):
            return self._refuse("malformed", "an ack without a list", keep_id=False)
        if self.packet_type == packet.EVENT:
            name = self.data[0] if isinstance(self.data, list) and self.data else None
            if not isinstance(name, str):
                return self._refuse("malformed", "an event without a name")
            if name in RESERVED_EVENTS or name == REFUSED_EVENT:
                return self._refuse("reserved", f"event {name!r}", answer=f"unknown event {name!r}")
        return 0

    def _refuse(self, reason: str, detail: str, *, keep_id: bool = True, answer: str | None = None) -> int:
        refusals.refused(reason, detail)
        ack_id = self.id if keep_id and self.packet_type in (packet.EVENT, packet.BINARY_EVENT) else None
        self.packet_type, self.id, self.attachment_count = packet.EVENT, ack_id, 0
        self.attachments: list[Any] = []
        self.data = [REFUSED_EVENT, answer or f"{reason} frames are not part of the protocol"]
        return 0
