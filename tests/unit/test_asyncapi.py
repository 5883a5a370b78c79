"""The AsyncAPI document's choices that a running server on loopback does not show (tests/integration/test_asyncapi.py)."""

from __future__ import annotations

from server import asyncapi


def test_an_https_server_is_described_as_wss_with_its_host() -> None:
    doc = asyncapi.build("1.2.3", "https://twinspace.example.org")
    server = doc["servers"]["twinspace"]
    assert (server["protocol"], server["host"], server["pathname"]) == ("wss", "twinspace.example.org", "/socket.io/")
    assert doc["info"]["version"] == "1.2.3"


def test_an_event_that_is_also_a_push_is_one_channel_with_both_directions() -> None:
    doc = asyncapi.build("1", "http://localhost:8000")
    channel = doc["channels"]["chat.typing"]
    assert channel["address"] == "chat:typing"
    assert set(channel["messages"]) == {"request", "ok", "error", "push"}
    assert doc["operations"]["chat.typing"]["action"] == "receive"
    assert doc["operations"]["chat.typing.push"]["action"] == "send"
