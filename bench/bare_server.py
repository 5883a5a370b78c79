"""The ceiling of the stack: python-socketio under uvicorn, no persistence, no checks, compression off.

Speaks the same ``room:join`` / ``chat:send`` / ``chat:message`` shapes as Twinspace (acks are
``{"ok": true, "data": ...}``, pushes carry a Message with an increasing ``seq`` per room), so the
same load generator drives both. The Message has Twinspace's fields and their lengths (the author's
id is the token, the name ``auth["name"]``), so that every server's push costs the load generator
the same to read. It accepts any ``auth``.

    .venv/bin/python bench/bare_server.py PORT [STACK]

STACK is the ASGI server and WebSocket implementation under it: ``uvicorn`` (the default:
uvicorn's own choice, websockets' sans-I/O protocol, as Twinspace runs), ``uvicorn-websockets``
(websockets' older asyncio protocol), ``uvicorn-wsproto``, or ``granian`` (its embedded server,
Rust's HTTP and WebSocket under the ASGI interface; ``granian`` is not a project dependency:
install it into the virtual environment to measure it).
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import sys
import uuid
from datetime import UTC, datetime
from typing import Any

import socketio
import uvicorn

sio = socketio.AsyncServer(async_mode="asgi", cors_allowed_origins="*", logger=False, engineio_logger=False)
app = socketio.ASGIApp(sio)
counters: dict[str, itertools.count[int]] = {}
pending: set[asyncio.Task[None]] = set()  # pushes scheduled after their ack; kept referenced until done
PROJECT = "prj_" + "0" * 20  # as long as a Twinspace project's id


def channel(room_id: str) -> str:
    return f"room:{room_id}"


@sio.event
async def connect(sid: str, environ: dict[str, Any], auth: Any) -> None:
    given = auth if isinstance(auth, dict) else {}
    user = str(given["token"]) if given.get("token") else sid
    await sio.save_session(sid, {"user": user, "name": str(given.get("name", user))})


@sio.on("room:join")
async def room_join(sid: str, data: dict[str, Any]) -> dict[str, Any]:
    room_id = data["room_id"]
    await sio.enter_room(sid, channel(room_id))
    return {"ok": True, "data": {"room": {"id": room_id, "kind": "chat"}, "online": [], "unread": 0,
                                 "last_read_seq": 0, "last_seq": 0, "messages": [], "has_more": False}}


async def push(message: dict[str, Any]) -> None:
    await sio.emit("chat:message", message, room=channel(message["room_id"]))


@sio.on("chat:send")
async def chat_send(sid: str, data: dict[str, Any]) -> dict[str, Any]:
    room_id = data["room_id"]
    session = await sio.get_session(sid)
    seq = next(counters.setdefault(room_id, itertools.count(1)))
    # Twinspace's Message, field for field and of its length (a plain message: docs/performance.md).
    message = {"id": f"msg_{uuid.uuid4().hex[:20]}", "room_id": room_id, "project_id": PROJECT, "seq": seq,
               "client_id": data["client_id"], "author_id": session["user"], "author_name": session["name"],
               "author_role": "pupil", "text": data["text"], "reply_to": None, "attachments": [],
               "created_at": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
               "edited_at": None, "deleted": False, "deleted_by": None, "hidden": False, "hidden_by": None,
               "rev": seq, "reactions": [], "pinned": False, "pinned_by": None, "pinned_at": None, "poll": None,
               "mentions": [], "mentions_teachers": False}
    # Ack first (the return value), then push to the room: the task runs once this handler returned.
    task = asyncio.get_running_loop().create_task(push(message))
    pending.add(task)
    task.add_done_callback(pending.discard)
    return {"ok": True, "data": message}


if __name__ == "__main__":
    # The collector settings Twinspace's server starts with (server/gc_tuning.py), so that the two
    # servers differ in their work, not in how often the collector stops them.
    gc.set_threshold(50_000, 20, 10)
    gc.collect()
    gc.freeze()
    port, stack = int(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else "uvicorn"
    if stack == "granian":
        from granian.constants import Interfaces
        from granian.server.embed import Server

        asyncio.run(Server(app, address="127.0.0.1", port=port, interface=Interfaces.ASGI,
                           log_level="warning").serve())
    else:
        ws = {"uvicorn": "auto", "uvicorn-websockets": "websockets", "uvicorn-wsproto": "wsproto"}[stack]
        uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False,
                    ws_per_message_deflate=False, ws=ws)
