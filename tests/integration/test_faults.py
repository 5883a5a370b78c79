"""Faults an instance must come back from by itself: Redis restarted or away, a stop mid-burst."""

from __future__ import annotations

import asyncio
import signal
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import httpx

from server.realtime.pubsub import LISTENER_DOWN_SECS, LISTENER_RESUME_SECS
from storage.ephemeral.redis import HEARTBEAT_SECS
from tests.integration.test_scale_out import pair
from tests.support.chat import history
from tests.support.clients import Api, Person, Project, Realtime, make_project, ok, person, realtime
from tests.support.redis import RedisServer
from tests.support.server import ServerProcess

PUPILS = 20
# Presence is whole again within one heartbeat of Redis returning, plus the heartbeat's own round trip.
PRESENCE_RESTORED_SECS = HEARTBEAT_SECS + 2


async def pupils(server: ServerProcess, project: Project, count: int) -> list[Person]:
    made = [person(server, f"pupil{k}", "pupil") for k in range(count)]
    async with Api(server, project.admin.token) as api:
        for who in made:
            r = await api.post(f"/projects/{project.id}/members",
                               {"user_id": who.id, "role": "pupil", "display_name": who.name})
            assert r.status_code == 201, r.text
    return made


@asynccontextmanager
async def connected(servers: list[ServerProcess], people: list[Person]) -> AsyncIterator[list[Realtime]]:
    """Each person connected to one of ``servers`` in turn."""
    async with AsyncExitStack() as stack:
        yield [await stack.enter_async_context(realtime(servers[k % len(servers)], who.token))
               for k, who in enumerate(people)]


def readyz(server: ServerProcess) -> httpx.Response:
    return httpx.get(server.url + "/readyz", timeout=10)


async def test_presence_comes_back_after_a_redis_restart_without_anyone_rejoining(
        make_server: Callable[..., ServerProcess], redis_server: RedisServer, tmp_path: Path) -> None:
    a, b = pair(make_server, redis_server, tmp_path)
    project = await make_project(a)
    room = project.spaces["general"]
    class_ = await pupils(a, project, PUPILS)
    async with connected([a, b], class_) as clients:
        for rt in clients:
            await ok(rt, "room:join", {"room_id": room})
        redis_server.stop()
        redis_server.start()  # empty: no persistence
        back = time.monotonic()
        async with realtime(b, project.teacher.token) as newcomer:
            expected = {p.id for p in class_} | {project.teacher.id}
            online: set[str] = set()
            while time.monotonic() - back < PRESENCE_RESTORED_SECS + 5:
                online = {p["user_id"] for p in (await ok(newcomer, "room:join", {"room_id": room}))["online"]}
                if online == expected:
                    break
                await asyncio.sleep(0.2)  # a poll with a deadline
            took = time.monotonic() - back
        assert online == expected, f"{len(online)} online"
        assert took < PRESENCE_RESTORED_SECS, took


async def test_pushes_cross_instances_soon_after_a_redis_outage_and_readyz_says_when_they_cannot(
        make_server: Callable[..., ServerProcess], redis_server: RedisServer, tmp_path: Path) -> None:
    a, b = pair(make_server, redis_server, tmp_path)
    project = await make_project(a)
    room = project.spaces["general"]
    async with realtime(a, project.pupil.token) as sender, realtime(b, project.teacher.token) as reader:
        await ok(reader, "room:join", {"room_id": room})
        await ok(sender, "room:join", {"room_id": room})
        redis_server.stop()
        deadline = time.monotonic() + 5
        while (down := readyz(b)).json()["checks"]["fanout_listener"] != "unavailable":
            assert time.monotonic() < deadline, down.text
            await asyncio.sleep(0.1)  # the listener notices the closed connection on its own
        assert down.status_code == 503
        await asyncio.sleep(10)  # an outage of 10 s: python-socketio's own listener would wait 8 s more
        redis_server.start()
        back = time.monotonic()
        while True:  # a push sent before b's listener is back is lost (clients fill gaps): send another
            sent = await ok(sender, "chat:send", {"room_id": room, "client_id": uuid.uuid4().hex, "text": "back?"})
            try:
                await reader.wait_for("chat:message", lambda m, s=sent["seq"]: m["seq"] == s, timeout=0.25)
                break
            except TimeoutError:
                assert time.monotonic() - back < LISTENER_RESUME_SECS + 2, "pushes did not resume"
        assert time.monotonic() - back < LISTENER_RESUME_SECS + 1
        ready = readyz(b)
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"]["fanout_listener"] == "ok"


async def test_a_paused_redis_is_seen_by_readyz_and_sends_are_still_answered(
        make_server: Callable[..., ServerProcess], redis_server: RedisServer, tmp_path: Path) -> None:
    """Redis stopped without closing its connections (SIGSTOP): the listener's pings go unanswered, so
    /readyz says so within seconds; sends are stored and answered meanwhile; all comes back after."""
    a, b = pair(make_server, redis_server, tmp_path)
    project = await make_project(a)
    room = project.spaces["general"]
    async with realtime(a, project.pupil.token) as sender, realtime(b, project.teacher.token) as reader:
        await ok(reader, "room:join", {"room_id": room})
        await ok(sender, "room:join", {"room_id": room})
        redis_server.pause()
        try:
            deadline = time.monotonic() + LISTENER_DOWN_SECS + 3
            while (down := readyz(b)).json()["checks"]["fanout_listener"] != "unavailable":
                assert time.monotonic() < deadline, down.text
                await asyncio.sleep(0.2)
            assert down.status_code == 503
            started = time.monotonic()
            sent = await ok(sender, "chat:send", {"room_id": room, "client_id": uuid.uuid4().hex, "text": "paused"})
            assert time.monotonic() - started < 5 and sent["seq"] >= 1  # stored and answered; its push may be lost
        finally:
            redis_server.resume()
        back = time.monotonic()
        while True:
            again = await ok(sender, "chat:send", {"room_id": room, "client_id": uuid.uuid4().hex, "text": "back?"})
            try:
                await reader.wait_for("chat:message", lambda m, s=again["seq"]: m["seq"] == s, timeout=0.5)
                break
            except TimeoutError:
                assert time.monotonic() - back < 20, "pushes did not resume after Redis answered again"
        deadline = time.monotonic() + 10
        while readyz(b).json()["checks"]["fanout_listener"] != "ok":
            assert time.monotonic() < deadline
            await asyncio.sleep(0.2)


BURST = 32


async def test_a_stop_answers_the_sends_in_flight_before_closing_the_socket(
        make_server: Callable[..., ServerProcess]) -> None:
    server = make_server("--chat-rate-messages", "10000").start()
    project = await make_project(server)
    room = project.spaces["general"]
    acks: dict[str, dict[str, object]] = {}
    async with realtime(server, project.pupil.token) as rt:
        await ok(rt, "room:join", {"room_id": room})
        closed = asyncio.Event()
        rt.sio.on("disconnect", handler=lambda *_: closed.set())

        def answered(client_id: str) -> Callable[[dict[str, object]], None]:
            return lambda ack: acks.__setitem__(client_id, ack)

        ids = [uuid.uuid4().hex for _ in range(BURST)]
        for client_id in ids:
            await rt.sio.emit("chat:send", {"room_id": room, "client_id": client_id, "text": f"burst {client_id}"},
                              callback=answered(client_id))
        assert server.proc is not None
        server.proc.send_signal(signal.SIGTERM)  # the burst still in flight
        await asyncio.wait_for(closed.wait(), 30)  # the server closes the socket itself
    assert server.stop() == 0
    again = make_server("--chat-rate-messages", "10000", data_dir=server.data_dir)
    again.port = server.port
    again.start()
    stored = {m["client_id"] for m in (await history(again, project.pupil.token, room)).values()}
    assert stored <= set(ids)
    unanswered = stored - set(acks)
    assert not unanswered, f"{len(unanswered)} of {len(stored)} stored sends were not acknowledged"
    assert all(acks[c]["ok"] for c in stored)
    assert "Traceback" not in server.log()
