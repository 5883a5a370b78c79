"""server/realtime/frames.py: what a client's frame may be, and the log of refusals."""

from __future__ import annotations

import gc
import json
import logging
import tracemalloc
from typing import Any

import pytest
from socketio import packet

from server.realtime import frames
from server.realtime.frames import REFUSED_EVENT, ProtocolPacket, RefusalLog, TokenBucket


@pytest.mark.parametrize(("encoded", "ack_id", "reason"), [
    ('51-7["me:get",{"_placeholder":true,"num":0}]', 7, "binary"),
    ('5100000-["me:get",{"_placeholder":true,"num":0}]', None, "binary"),
    ('61-7[{"_placeholder":true,"num":0}]', None, "binary"),
    (b"\x00\x01", None, "binary"),
    (b"2", None, "binary"),
    ("", None, "malformed"),
    ("2not json", None, "malformed"),
    ("21" + "[" * 100_000, 1, "malformed"),  # the header was read: answered
    ('25["me:get",{"x":' + "1" * 150 + "}]", 5, "integers have at most 100 digits"),
    ("9", None, "malformed"),
    ('4{"x":1}', None, "malformed"),
    ("2", None, "malformed"),
    ("23[1]", 3, "malformed"),
    ("3", None, "malformed"),
    ('24["connect",{},{"token":"t"}]', 4, "unknown event 'connect'"),
    ('2["disconnect","client"]', None, "unknown event 'disconnect'"),
    ('2["*","x"]', None, "unknown event '*'"),
    ("2" + json.dumps([REFUSED_EVENT, "x"]), None, "unknown event"),
])
def test_what_the_protocol_does_not_have_becomes_a_refusal(encoded: str | bytes, ack_id: int | None,
                                                           reason: str) -> None:
    pkt = ProtocolPacket(encoded_packet=encoded)
    assert pkt.packet_type == packet.EVENT and pkt.attachment_count == 0 and pkt.attachments == []
    assert pkt.data[0] == REFUSED_EVENT and reason in pkt.data[1]
    assert pkt.id == ack_id


@pytest.mark.parametrize("encoded", ['21["me:get",{}]', '2/x,1["me:get",{}]', "0", '0{"token":"t"}', "1",
                                     '31[{"ok":true}]'])
def test_the_protocols_packets_pass(encoded: str) -> None:
    plain = packet.Packet(encoded_packet=encoded)
    pkt = ProtocolPacket(encoded_packet=encoded)
    assert (pkt.packet_type, pkt.namespace, pkt.id, pkt.data) == \
        (plain.packet_type, plain.namespace, plain.id, plain.data)


@pytest.mark.parametrize(("kind", "data", "id"), [
    (packet.EVENT, ["chat:message", {"id": "msg_1", "seq": 3, "attachments": [{"name": "a.png"}], "x": None}], None),
    (packet.ACK, [{"ok": True, "data": {"text": "Grüß dich", "n": 1.5}}], 7),
    (packet.CONNECT, {"sid": "abc"}, None),
])
def test_the_servers_packets_are_encoded_as_python_socketio_encodes_them(kind: int, data: Any, id: int | None) -> None:
    ours, theirs = ProtocolPacket(kind, data=data, id=id).encode(), packet.Packet(kind, data=data, id=id).encode()
    for encoded in (ours, theirs):  # the same packet; its JSON by orjson, non-ASCII text as UTF-8
        decoded = packet.Packet(encoded_packet=encoded)
        assert (decoded.packet_type, decoded.id, decoded.data) == (kind, id, data)
    assert ours[:2] == theirs[:2] and "\\u" not in ours


def test_packet_json_reads_what_the_pubsub_managers_read_bytes_too() -> None:
    message = {"method": "emit", "data": ["x", {"t": "Grüß"}], "host_id": "h1"}
    for encoded in (frames.PacketJson.dumps(message), frames.PacketJson.dumps(message).encode()):
        assert frames.PacketJson.loads(encoded) == message
    with pytest.raises(ValueError):
        frames.PacketJson.loads("[" + "1" * 101 + "]")  # python-engineio's rule: at most 100 digits


@pytest.mark.parametrize("value", [2**70, "lone \ud800 surrogate"])
def test_what_orjson_does_not_encode_is_encoded_as_before(value: Any) -> None:
    data = ["chat:message", {"x": value}]
    assert ProtocolPacket(packet.EVENT, data=data).encode() == packet.Packet(packet.EVENT, data=data).encode()


def test_bytes_in_a_servers_packet_fail_its_encoding_rather_than_leave_as_attachments() -> None:
    pkt = ProtocolPacket(packet.EVENT, data=["chat:message", {"file": b"\x00\x01"}])
    assert pkt.packet_type == packet.EVENT  # no walk through the data: it stays a text event
    with pytest.raises(TypeError):
        pkt.encode()


def test_a_refused_frame_is_freed_without_the_collector() -> None:
    big = b"\x00" * (8 * 1024 * 1024)
    gc.disable()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        pkt = ProtocolPacket(encoded_packet=bytes(big))
        assert pkt.data[0] == REFUSED_EVENT
        del pkt
        assert tracemalloc.get_traced_memory()[0] - before < 64 * 1024
    finally:
        tracemalloc.stop()
        gc.enable()


def test_the_refusal_log_is_rate_limited_per_reason(caplog: pytest.LogCaptureFixture) -> None:
    refusals = RefusalLog(logging.getLogger("test.frames"), per_sec=0.001, burst=3)
    with caplog.at_level(logging.WARNING, "test.frames"):
        for _ in range(100):
            refusals.refused("binary", "2 bytes")
            refusals.refused("malformed")
    assert len(caplog.records) == 6
    assert all(r.exc_info is None for r in caplog.records)
    refusals.buckets["binary"].tokens = 1
    refusals.refused("binary")
    assert "97 more not logged" in caplog.records[-1].getMessage()


def test_token_bucket() -> None:
    bucket = TokenBucket(per_sec=0.001, burst=2)
    assert bucket.take() and bucket.take() and not bucket.take()
    assert 900 < bucket.wait_secs() <= 1000
    assert frames.LOG_BURST >= 1
