"""Several instances behind one Redis and one document store: they act as one server."""

from __future__ import annotations

import asyncio
import signal
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.chat import SEND_TIMEOUT_SECS, history, send_burst, send_until_gone
from tests.support.clients import CALL_TIMEOUT_SECS, make_project, ok, realtime, until
from tests.support.redis import LocalRedisCluster, RedisServer
from tests.support.server import ServerProcess


def shared_redis_url(request: pytest.FixtureRequest, where: str) -> str:
    """One Redis of the test's own, or the session's Redis Cluster (three masters), emptied first."""
    if where == "cluster":
        cluster: LocalRedisCluster = request.getfixturevalue("redis_cluster")
        cluster.flush()
        return cluster.url
    server: RedisServer = request.getfixturevalue("redis_server")
    return server.url


def pair(make_server: Callable[..., ServerProcess], redis: RedisServer, tmp_path: Path,
         *args: str) -> tuple[ServerProcess, ServerProcess]:
    """Two instances sharing one data folder (SQLite and files) and one Redis."""
    data = tmp_path / "shared"
    flags = ("--fanout-url", redis.url, "--chat-rate-messages", "10000", *args)
    first = make_server(*flags, data_dir=data).start()  # makes the signing secret, migrates
    second = make_server(*flags, data_dir=data).start()
    return first, second


async def test_a_message_sent_through_one_instance_reaches_the_other(
        make_server: Callable[..., ServerProcess], redis_server: RedisServer, tmp_path: Path) -> None:
    a, b = pair(make_server, redis_server, tmp_path)
    project = await make_project(a)
    room = project.spaces["general"]
    async with realtime(a, project.pupil.token) as on_a, realtime(b, project.teacher.token) as on_b:
        await ok(on_b, "room:join", {"room_id": room})
        joined = await ok(on_a, "room:join", {"room_id": room})
        # Presence is the same on both instances.
        assert {p["user_id"] for p in joined["online"]} == {project.pupil.id, project.teacher.id}
        await on_b.wait_for("presence:update", lambda p: project.pupil.id in [e["user_id"] for e in p["joined"]])
        sent = await ok(on_a, "chat:send", {"room_id": room, "client_id": uuid.uuid4().hex, "text": "Hallo!"})
        assert (await on_b.wait_for("chat:message"))[0] == sent
        reply = await ok(on_b, "chat:send", {"room_id": room, "client_id": uuid.uuid4().hex, "text": "Salut !"})
        assert reply["seq"] == sent["seq"] + 1
        assert (await on_a.wait_for("chat:message", lambda m: m["seq"] == reply["seq"]))[0] == reply
        # Forum and mail pushes cross instances too.
        await ok(on_b, "forum:thread_create", {"forum_id": project.spaces["forum"], "title": "Hi", "body": "all"})
        await on_a.wait_for("forum:thread_created")
        await ok(on_a, "mail:send", {"project_id": project.id, "to": [project.teacher.id], "subject": "Q",
                                     "body": "?"})
        await on_b.wait_for("mail:received")
    for server in (a, b):
        ready = httpx.get(server.url + "/readyz", timeout=10).json()
        assert ready["checks"]["fanout"] == "ok"


@pytest.mark.parametrize("where", ["redis", "cluster"])
async def test_presence_and_rate_limits_are_shared(make_server: Callable[..., ServerProcess],
                                                   request: pytest.FixtureRequest, tmp_path: Path, where: str) -> None:
    data = tmp_path / "shared"
    flags = ("--fanout-url", shared_redis_url(request, where), "--chat-rate-messages", "3", "--chat-rate-window-secs", "30")
    a = make_server(*flags, data_dir=data).start()
    b = make_server(*flags, data_dir=data).start()
    project = await make_project(a)
    room = project.spaces["general"]
    async with realtime(a, project.pupil.token) as tab_a, realtime(b, project.pupil.token) as tab_b, \
            realtime(b, project.teacher.token) as watcher:
        await ok(watcher, "room:join", {"room_id": room})
        await ok(tab_a, "room:join", {"room_id": room})
        await ok(tab_b, "room:join", {"room_id": room})  # a second tab, on the other instance
        online = (await ok(watcher, "room:join", {"room_id": room}))["online"]
        assert sorted(p["user_id"] for p in online) == sorted([project.pupil.id, project.teacher.id])
        sends = [{"room_id": room, "client_id": uuid.uuid4().hex, "text": "quick"} for _ in range(3)]
        first = await ok(tab_a, "chat:send", sends[0])
        assert await ok(tab_b, "chat:send", sends[0]) == first  # a retry through b: not counted
        for rt, payload in ((tab_b, sends[1]), (tab_a, sends[2])):
            await ok(rt, "chat:send", payload)
        ack = await tab_b.call("chat:send", {"room_id": room, "client_id": uuid.uuid4().hex, "text": "more"})
        assert ack["error"]["code"] == "rate.limited"
        await tab_a.sio.disconnect()
        # The marker: the admin joins through a once tab_a has gone; a tells that in the same batched
        # push as any change of its own since (or after an earlier one).
        async with realtime(a, project.admin.token) as admin:
            await ok(admin, "room:join", {"room_id": room})
            came = (await watcher.wait_for(
                "presence:update", lambda p: project.admin.id in {e["user_id"] for e in p["joined"]}))[0]
            await ok(admin, "room:leave", {"room_id": room})
        told = [*watcher.before(came, "presence:update"), came]
        assert not any(project.pupil.id in p["left"] for p in told)  # the tab on b keeps the pupil online
    # A killed instance leaves no ghosts: its connections stop counting once its heartbeat lapses.
    async with realtime(a, project.pupil.token) as doomed:
        await ok(doomed, "room:join", {"room_id": room})
        a.stop(signal.SIGKILL)
    async with realtime(b, project.teacher.token) as rt:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            online = (await ok(rt, "room:join", {"room_id": room}))["online"]
            if [p["user_id"] for p in online] == [project.teacher.id]:
                break
            await asyncio.sleep(1)  # a poll with a deadline: the lapse of a's heartbeat is told to nobody
        assert [p["user_id"] for p in online] == [project.teacher.id]


async def test_sigkill_of_one_instance_loses_nothing_for_clients_that_move(
        make_server: Callable[..., ServerProcess], redis_server: RedisServer, tmp_path: Path) -> None:
    a, b = pair(make_server, redis_server, tmp_path)
    project = await make_project(a)
    room = project.spaces["general"]
    acked: list[dict[str, Any]] = []
    async with realtime(b, project.teacher.token) as reader:
        await ok(reader, "room:join", {"room_id": room})
        sending = asyncio.create_task(send_until_gone(a, project.pupil.token, room, acked))
        await until(lambda: len(acked) >= 60, timeout=30)
        a.stop(signal.SIGKILL)
        await asyncio.wait_for(sending, CALL_TIMEOUT_SECS + SEND_TIMEOUT_SECS)
        # The pupil's client reconnects to b and carries on.
        await send_burst(b, project.pupil.token, room, acked, 20)
        # The reader fills any gap from history: it then holds every acknowledged message once.
        seen = {m["seq"]: m for m in reader.pushes["chat:message"]}
        stored = await history(b, project.teacher.token, room)
        missing = sorted(set(stored) - set(seen))
        seen.update({s: stored[s] for s in missing})
    assert sorted(stored) == list(range(1, len(stored) + 1))
    for message in acked:
        assert seen[message["seq"]] == message


async def test_a_redis_restart_loses_nothing_once_clients_resync(
        make_server: Callable[..., ServerProcess], redis_server: RedisServer, tmp_path: Path) -> None:
    a, b = pair(make_server, redis_server, tmp_path)
    project = await make_project(a)
    room = project.spaces["general"]
    acked: list[dict[str, Any]] = []
    async with realtime(b, project.teacher.token) as reader:
        await ok(reader, "room:join", {"room_id": room})
        await send_burst(a, project.pupil.token, room, acked, 10)
        await until(lambda: len(reader.pushes["chat:message"]) == 10)

        redis_server.stop()
        # Without Redis, sends are still stored and acknowledged; nobody crashes.
        await send_burst(a, project.pupil.token, room, acked, 10)
        assert httpx.get(a.url + "/readyz", timeout=10).json()["checks"]["fanout"] == "unavailable"
        redis_server.start()

        # Once the instances are back on Redis, pushes cross again.
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            await send_burst(a, project.pupil.token, room, acked, 1)
            try:  # a push sent while an instance is still reconnecting to Redis is lost: send another
                await reader.wait_for("chat:message", lambda m: m["seq"] == acked[-1]["seq"], timeout=0.5)
                break
            except TimeoutError:
                pass
        assert reader.pushes["chat:message"][-1]["seq"] == acked[-1]["seq"]
        seen = {m["seq"]: m for m in reader.pushes["chat:message"]}
        stored = await history(b, project.teacher.token, room)
        seen.update({s: stored[s] for s in set(stored) - set(seen)})  # the gap, from history
    assert len(seen) == len(acked) == len(stored)
    for message in acked:
        assert seen[message["seq"]] == message
    assert a.proc is not None and a.proc.poll() is None and b.proc is not None and b.proc.poll() is None


async def test_a_member_removed_on_one_instance_stops_hearing_on_the_other(
        make_server: Callable[..., ServerProcess], redis_server: RedisServer, tmp_path: Path) -> None:
    a, b = pair(make_server, redis_server, tmp_path)
    project = await make_project(a)
    room = project.spaces["general"]
    async with realtime(a, project.pupil.token) as pupil, realtime(b, project.teacher.token) as teacher:
        await ok(pupil, "room:join", {"room_id": room})
        await ok(teacher, "room:join", {"room_id": room})
        homework = await ok(teacher, "mail:send", {"project_id": project.id, "to": [project.pupil.id],
                                                   "subject": "Homework", "body": "Rivers"})
        async with httpx.AsyncClient(base_url=b.url, timeout=10) as http:
            r = await http.delete(f"/api/v1/projects/{project.id}/members/{project.pupil.id}",
                                  headers={"Authorization": f"Bearer {project.admin.token}"})
            assert r.status_code == 204
        await teacher.wait_for("presence:update", lambda p: project.pupil.id in p["left"])
        await ok(teacher, "chat:send", {"room_id": room, "client_id": uuid.uuid4().hex, "text": "after"})
        # The marker: the pupil reads the mail in a tab on b. b tells every tab of the pupil's their
        # unread count through Redis after "after", so "after" would have reached the tab on a first.
        async with realtime(b, project.pupil.token) as other_tab:
            await ok(other_tab, "mail:read", {"mail_id": homework["mail"]["id"]})
        marker = (await pupil.wait_for("mail:unread", lambda u: u["unread"] == 0))[0]
        assert pupil.before(marker, "chat:message") == []
