"""Chat helpers for tests that stop servers mid-conversation."""

from __future__ import annotations

import uuid
from typing import Any

import socketio

from tests.support.clients import ok, realtime
from tests.support.server import ServerProcess

SEND_TIMEOUT_SECS = 3  # a send not acknowledged by then counts as lost with its server


async def history(server: ServerProcess, token: str, room: str) -> dict[int, dict[str, Any]]:
    """Every stored message of a room, by seq, read page by page."""
    stored: dict[int, dict[str, Any]] = {}
    after = 0
    async with realtime(server, token) as rt:
        while True:
            page = await ok(rt, "chat:history", {"room_id": room, "after_seq": after, "limit": 200})
            stored.update({m["seq"]: m for m in page["messages"]})
            if not page["has_more"]:
                return stored
            after = page["messages"][-1]["seq"]


async def send_until_gone(server: ServerProcess, token: str, room: str, acked: list[dict[str, Any]],
                          label: str = "message", limit: int = 100_000) -> None:
    """Send until the server goes away (or ``limit`` sends); record every acknowledged message."""
    async with realtime(server, token) as rt:
        for k in range(limit):
            try:
                ack = await rt.sio.call("chat:send", {"room_id": room, "client_id": uuid.uuid4().hex,
                                                      "text": f"{label} {k}"}, timeout=SEND_TIMEOUT_SECS)
            except (socketio.exceptions.TimeoutError, socketio.exceptions.BadNamespaceError,
                    socketio.exceptions.DisconnectedError):
                return
            assert ack["ok"], ack
            acked.append(ack["data"])


async def send_burst(server: ServerProcess, token: str, room: str, acked: list[dict[str, Any]], n: int) -> None:
    async with realtime(server, token) as rt:
        for k in range(n):
            acked.append(await ok(rt, "chat:send", {"room_id": room, "client_id": uuid.uuid4().hex,
                                                    "text": f"burst {k}"}))
