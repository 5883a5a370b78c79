"""No acknowledged message is lost: not to SIGKILL, not to retention's clock."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import time
import uuid
from collections.abc import Callable

from tests.support.chat import history, send_until_gone
from tests.support.clients import Api, make_project, realtime, until
from tests.support.server import ServerProcess


async def test_sigkill_mid_conversation_loses_no_acknowledged_message(
        make_server: Callable[..., ServerProcess]) -> None:
    first = make_server("--chat-rate-messages", "10000").start()
    project = await make_project(first)
    room = project.spaces["general"]
    acked: list[dict] = []  # type: ignore[type-arg]

    talkers = [asyncio.create_task(send_until_gone(first, project.pupil.token, room, acked, "pupil")),
               asyncio.create_task(send_until_gone(first, project.teacher.token, room, acked, "teacher"))]
    await until(lambda: len(acked) >= 150, timeout=30)
    first.stop(signal.SIGKILL)  # mid-conversation, with sends in flight
    await asyncio.wait_for(asyncio.gather(*talkers, return_exceptions=True), 30)
    assert len(acked) >= 150

    second = make_server(data_dir=first.data_dir)
    second.start()
    stored = await history(second, project.admin.token, room)
    assert sorted(stored) == list(range(1, len(stored) + 1))  # gap-free
    for message in acked:
        assert stored[message["seq"]] == message


async def test_retention_turns_old_chat_into_tombstones(make_server: Callable[..., ServerProcess]) -> None:
    first = make_server().start()
    project = await make_project(first)
    room = project.spaces["general"]
    async with Api(first, project.pupil.token) as api:
        r = await api.patch(f"/projects/{project.id}/settings", {"chat_retention_days": 30})
        assert r.status_code == 403
    async with Api(first, project.admin.token) as api:
        r = await api.patch(f"/projects/{project.id}/settings", {"chat_retention_days": 0})
        assert r.status_code == 400
        r = await api.patch(f"/projects/{project.id}/settings", {"chat_retention_days": 30})
        assert r.status_code == 200 and r.json()["chat_retention_days"] == 30
    async with realtime(first, project.pupil.token) as rt:
        for text in ("last year", "also last year", "this week"):
            ack = await rt.call("chat:send", {"room_id": room, "client_id": uuid.uuid4().hex, "text": text})
            assert ack["ok"]
    first.stop()
    with sqlite3.connect(first.data_dir / "twinspace.db") as db:  # two messages become 40 days old
        db.execute("UPDATE messages SET created_at = '2020-01-01T00:00:00.000Z' WHERE seq <= 2")
    second = make_server(data_dir=first.data_dir).start()  # the sweep runs at start
    async with realtime(second, project.pupil.token) as rt:
        deadline = time.monotonic() + 10
        while True:
            history = (await rt.call("chat:history", {"room_id": room}))["data"]["messages"]
            if [m["deleted"] for m in history] == [True, True, False] or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.1)  # the sweep runs in the background and tells no client: poll, with a deadline
    assert [(m["seq"], m["text"]) for m in history] == [(1, None), (2, None), (3, "this week")]
    assert history[0]["deleted_by"] == "retention"
    assert "retention: 2 chat messages expired" in second.log()
