"""The ceiling of the stack: python-socketio under uvicorn, no persistence, no checks, compression off.

Speaks the same ``room:join`` / ``chat:send`` / ``chat:message`` shapes as Twinspace, so the same
load generator drives both. Usage: ``python bench/bare_server.py PORT``.
"""

from __future__ import annotations

import itertools
import sys
from typing import Any

import socketio
import uvicorn

sio = socketio.AsyncServer(async_mode="asgi", cors_allowed_origins="*")
app = socketio.ASGIApp(sio)
counters: dict[str, itertools.count[int]] = {}


@sio.event
async def connect(sid: str, environ: dict[str, Any], auth: Any) -> None:
    return None


@sio.on("room:join")
async def join(sid: str, data: dict[str, Any]) -> dict[str, Any]:
    await sio.enter_room(sid, f"room:{data['room_id']}")
    return {"ok": True, "data": {"room_id": data["room_id"]}}


@sio.on("chat:send")
async def send(sid: str, data: dict[str, Any]) -> dict[str, Any]:
    seq = next(counters.setdefault(data["room_id"], itertools.count(1)))
    message = {"room_id": data["room_id"], "seq": seq, "client_id": data["client_id"], "text": data["text"]}
    await sio.emit("chat:message", message, room=f"room:{data['room_id']}")
    return {"ok": True, "data": message}


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", ws_per_message_deflate=False)
