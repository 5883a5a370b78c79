"""server/realtime/pubsub.py's fan-out by room on three live instances and a real Redis: each hears only the rooms it hosts.

Each instance is python-socketio's ``AsyncServer`` with a
:class:`RoomFanoutRedisManager` on a real uvicorn, all on the test's event
loop, so that the managers' counters (``received``) and subscriptions
(``hosted``, and Redis's own ``PUBSUB CHANNELS``) can be read directly. The
clients are python-socketio's ``AsyncClient``; a client joins a room with the
``join`` event (answered once the join is done) and records every ``n`` push.
Twinspace's own pushes across two instances are tested in
tests/integration/test_scale_out.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest
import socketio
import uvicorn
from redis.asyncio import Redis

from server.realtime import pubsub
from tests.support.clients import make_project, ok, realtime
from tests.support.redis import RedisServer
from tests.support.server import ServerProcess, free_port

WAIT_SECS = 10  # the longest any step here may wait
CHANNEL = "test"


class Instance:
    """One server: python-socketio with the by-room manager, on uvicorn."""

    def __init__(self, redis_url: str, sharded: bool, broadcast: bool = False) -> None:
        self.manager: pubsub.PromptListenerRedisManager = (
            pubsub.PromptListenerRedisManager(redis_url, channel=CHANNEL) if broadcast
            else pubsub.RoomFanoutRedisManager(redis_url, CHANNEL, sharded=sharded))
        self.sio = socketio.AsyncServer(async_mode="asgi", client_manager=self.manager, logger=False,
                                        engineio_logger=False)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.disconnected: list[str] = []

        @self.sio.on("join")
        async def join(sid: str, room: str) -> str:
            await self.sio.enter_room(sid, room)
            return "joined"

        @self.sio.on("leave")
        async def leave(sid: str, room: str) -> str:
            await self.sio.leave_room(sid, room)
            return "left"

        @self.sio.on("disconnect")
        async def disconnect(sid: str, reason: Any = None) -> None:
            self.disconnected.append(sid)

    async def start(self) -> Instance:
        config = uvicorn.Config(socketio.ASGIApp(self.sio), host="127.0.0.1", port=self.port, lifespan="off",
                                log_level="warning", log_config=None)
        self.uvicorn = uvicorn.Server(config)
        self.serving = asyncio.create_task(self.uvicorn.serve())
        self.sio.manager_initialized = True  # as server/lifespan.py does: listening from the start
        self.manager.initialize()
        async with asyncio.timeout(WAIT_SECS):
            while not (self.uvicorn.started and self.manager.listening):
                if self.serving.done():
                    self.serving.result()
                await asyncio.sleep(0.02)
        return self

    async def stop(self) -> None:
        self.uvicorn.should_exit = True
        await asyncio.wait_for(self.serving, WAIT_SECS)
        thread = getattr(self.manager, "thread", None)
        if thread is not None:
            thread.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(thread, WAIT_SECS)
        if self.manager.redis is not None:  # the publishing client
            await self.manager.redis.aclose()

    async def push(self, room: Any, n: Any, skip_sid: str | None = None) -> None:
        await self.sio.emit("n", n, room=room, skip_sid=skip_sid)


class Client:
    """A python-socketio client recording, in arrival order, every ``n`` push it gets."""

    def __init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.got: list[Any] = []
        self.messages: list[Any] = []  # chat:message pushes, in arrival order
        self.arrived = asyncio.Event()
        self.sio.on("n", handler=self._record)
        self.sio.on("chat:message", handler=self._message)

    async def _record(self, n: Any) -> None:
        self.got.append(n)
        self.arrived.set()

    async def _message(self, message: Any) -> None:
        self.messages.append(message)
        self.arrived.set()

    async def until_messages(self, count: int) -> list[Any]:
        async with asyncio.timeout(WAIT_SECS):
            while len(self.messages) < count:
                self.arrived.clear()
                await self.arrived.wait()
        return self.messages

    @property
    def sid(self) -> str:
        return str(self.sio.get_sid())

    async def join(self, room: str) -> None:
        assert await self.sio.call("join", room, timeout=WAIT_SECS) == "joined"

    async def leave(self, room: str) -> None:
        assert await self.sio.call("leave", room, timeout=WAIT_SECS) == "left"

    async def until(self, count: int) -> list[Any]:
        async with asyncio.timeout(WAIT_SECS):
            while len(self.got) < count:
                self.arrived.clear()
                await self.arrived.wait()
        return self.got


@pytest.fixture
async def cluster(redis_server: RedisServer) -> AsyncIterator[Callable[..., Coroutine[Any, Any, list[Instance]]]]:
    """``await cluster(3)``: that many instances on one Redis; every client made with ``connect`` closes after."""
    started: list[Instance] = []

    async def start(count: int, sharded: bool = False, broadcast: bool = False) -> list[Instance]:
        made = [await Instance(redis_server.url, sharded, broadcast).start() for _ in range(count)]
        started.extend(made)
        return made

    yield start
    for instance in started:
        await instance.stop()


@pytest.fixture
async def connect() -> AsyncIterator[Callable[[Instance], Coroutine[Any, Any, Client]]]:
    clients: list[Client] = []

    async def make(instance: Instance) -> Client:
        client = Client()
        await client.sio.connect(instance.url, transports=["websocket"], wait_timeout=WAIT_SECS)
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.sio.disconnect()


async def subscribers(redis: RedisServer, channel: str, sharded: bool = False) -> int:
    client = Redis.from_url(redis.url)
    try:
        answer = await client.execute_command("PUBSUB", "SHARDNUMSUB" if sharded else "NUMSUB", channel)
        return int(answer[1])
    finally:
        await client.aclose()


async def redis_channels(redis: RedisServer, sharded: bool = False) -> set[str]:
    client = Redis.from_url(redis.url)
    try:
        names = await (client.execute_command("PUBSUB", "SHARDCHANNELS") if sharded else client.pubsub_channels())
        return {n.decode() for n in names}
    finally:
        await client.aclose()


async def until(condition: Callable[[], Any], what: str) -> None:
    async with asyncio.timeout(WAIT_SECS):
        while not condition():
            await asyncio.sleep(0.02)


@pytest.mark.parametrize("sharded", [False, True], ids=["pubsub", "sharded"])
async def test_a_push_reaches_only_the_instances_hosting_its_room(
        cluster: Any, connect: Any, redis_server: RedisServer, sharded: bool) -> None:
    a, b, c = await cluster(3, sharded=sharded)
    on_a, on_b, on_c = await connect(a), await connect(b), await connect(c)
    await on_a.join("busy")
    await on_b.join("busy")
    await on_c.join("quiet")
    received_c = c.manager.received
    for n in range(20):
        await (a if n % 2 else b).push("busy", n)
    for client in (on_a, on_b):  # every push once, each instance's in the order it sent them
        got = await client.until(20)
        assert sorted(got) == list(range(20))
        assert [n for n in got if n % 2] == list(range(1, 20, 2))
        assert [n for n in got if not n % 2] == list(range(0, 20, 2))
    # A push to the quiet room, from a: the marker that c's listener has read up to here.
    await a.push("quiet", "marker")
    assert await on_c.until(1) == ["marker"]
    assert c.manager.received == received_c + 1  # the marker alone: no push of the busy room reached c
    assert on_c.got == ["marker"]
    channels = await redis_channels(redis_server, sharded)
    assert {f"{CHANNEL}#/#busy", f"{CHANNEL}#/#quiet", CHANNEL} <= channels


async def test_subscriptions_follow_the_first_join_and_the_last_leave(
        cluster: Any, connect: Any, redis_server: RedisServer) -> None:
    a, b = await cluster(2)
    busy = f"{CHANNEL}#/#busy"
    first, second = await connect(a), await connect(a)
    assert busy not in a.manager.hosted
    await first.join("busy")
    assert busy in a.manager.hosted and busy in await redis_channels(redis_server)  # answered once subscribed
    await second.join("busy")
    await first.leave("busy")
    assert busy in a.manager.hosted  # one member left on a
    await b.push("busy", 1)
    assert await second.until(1) == [1]
    await second.sio.disconnect()  # the last member goes: a disconnect leaves every room
    await until(lambda: busy not in a.manager.hosted, "a leaves the room")
    await until(lambda: second.sid not in a.manager.rooms.get("/", {}).get(None, {}), "the sid is gone")
    async with asyncio.timeout(WAIT_SECS):
        while busy in await redis_channels(redis_server):
            await asyncio.sleep(0.05)
    # Joining again subscribes again.
    await first.join("busy")
    await b.push("busy", 2)
    assert await first.until(1) == [2]


async def test_a_push_to_several_rooms_reaches_each_connection_once_and_skip_sid_holds(
        cluster: Any, connect: Any) -> None:
    a, b = await cluster(2)
    both, red, blue, sender = await connect(b), await connect(b), await connect(b), await connect(a)
    for client, rooms in ((both, ["red", "blue"]), (red, ["red"]), (blue, ["blue"]), (sender, ["red"])):
        for room in rooms:
            await client.join(room)
    published = a.manager.published
    await a.push(["red", "blue", "red"], 1)
    assert a.manager.published == published + 2  # one publication per distinct room
    await a.push(["red", "blue"], 2, skip_sid=red.sid)
    await a.push(sender.sid, "yours")  # a connection of a's own: delivered here, published nowhere
    assert a.manager.published == published + 4
    await a.push("blue", 3)  # the marker: everything before it has arrived
    assert await blue.until(3) == [1, 2, 3]
    assert await both.until(3) == [1, 2, 3]
    assert await red.until(1) == [1]
    assert await sender.until(3) == [1, 2, "yours"]


async def test_a_sid_held_elsewhere_is_reached_moved_and_disconnected(cluster: Any, connect: Any) -> None:
    # What Twinspace does across instances (server/realtime/sessions.py, server/realtime/fanout.py): a push to
    # one connection's sid, a connection taken out of a room (an eviction), a disconnect.
    a, b = await cluster(2)
    remote, watcher = await connect(b), await connect(b)
    await remote.join("room")
    await watcher.join("room")
    await a.push(remote.sid, "to you")
    assert await remote.until(1) == ["to you"]
    await a.sio.leave_room(remote.sid, "room")  # on b: python-socketio's control message
    await a.sio.enter_room(remote.sid, "other")
    await a.push("room", "after")
    assert await watcher.until(1) == ["after"]
    await a.push("other", "moved")
    assert await remote.until(2) == ["to you", "moved"]
    await a.sio.close_room("other")  # everyone out of it, on every instance
    await until(lambda: f"{CHANNEL}#/#other" not in b.manager.hosted, "b closes the room")
    answers: list[Any] = []
    got_answer = asyncio.Event()

    def answered(*args: Any) -> None:
        answers.append(args)
        got_answer.set()

    remote.sio.on("ask", handler=lambda *args: "yes")
    await a.sio.emit("ask", "?", to=remote.sid, callback=answered)  # an emit with an ack callback, across
    await asyncio.wait_for(got_answer.wait(), WAIT_SECS)
    assert answers == [("yes",)]
    sid = remote.sid
    await a.sio.disconnect(sid)
    await until(lambda: sid in b.disconnected, "b disconnects it")
    await until(lambda: f"{CHANNEL}#/#{sid}" not in b.manager.hosted, "b no longer hears its sid")


@pytest.mark.parametrize("sharded", [False, True], ids=["pubsub", "sharded"])
async def test_after_a_redis_restart_every_hosted_room_is_subscribed_again(
        cluster: Any, connect: Any, redis_server: RedisServer, sharded: bool) -> None:
    a, b = await cluster(2, sharded=sharded)
    on_a = await connect(a)
    for room in ("one", "two"):
        await on_a.join(room)
    backs: list[float | None] = []
    a.manager.resubscribed = lambda: backs.append(a.manager.heard_at)  # what the metrics count
    redis_server.stop()
    await until(lambda: not a.manager.listening, "a sees Redis gone")
    redis_server.start()
    await until(lambda: a.manager.listening and b.manager.listening, "both are back")
    assert len(backs) == 1 and backs[0] is not None
    async with asyncio.timeout(WAIT_SECS):  # both rooms subscribed again, in one command
        while not {f"{CHANNEL}#/#one", f"{CHANNEL}#/#two"} <= await redis_channels(redis_server, sharded):
            await asyncio.sleep(0.05)
    async with asyncio.timeout(WAIT_SECS):
        while not on_a.got:  # b's publishing client reconnects on its first push after the restart
            await b.push("two", "back")
            await asyncio.sleep(0.1)
    assert on_a.got[0] == "back"


@pytest.mark.parametrize("mode", ["rooms", "sharded", "broadcast"])
async def test_a_chat_rooms_messages_reach_every_member_in_seq_order(cluster: Any, connect: Any, mode: str) -> None:
    # A room's messages are stored with the next seq by whichever instance took the send, and published by
    # that one: here b publishes seq 2 before a publishes seq 1, then all three publish at once, racing.
    instances = await cluster(3, sharded=mode == "sharded", broadcast=mode == "broadcast")
    a, b, c = instances
    for instance in instances:  # a wait long enough for a slow host: nothing may go out of order here
        instance.manager.order.hold_secs = WAIT_SECS / 4
    members = [await connect(i) for i in (a, b, c, c)]
    for member in members:
        await member.join("room:x")
    visitor, both = await connect(b), await connect(c)
    await visitor.join("guests:x")
    for room in ("room:x", "guests:x"):  # in both channels: each push once all the same
        await both.join(room)
    everyone = [*members, visitor, both]

    async def send(instance: Instance, seq: int) -> None:  # as server/realtime/fanout.py sends a message
        await instance.sio.emit("chat:message", {"room_id": "x", "seq": seq}, room=["room:x", "guests:x"])

    for instance in instances:  # what Twinspace's room:join tells after reading the room (empty: seq 0)
        for room in ("room:x", "guests:x"):
            instance.manager.caught_up("/", room, 0)
    assert len(a.manager.order) == 1 and len(c.manager.order) == 2  # the channels each one hosts
    await send(b, 2)
    await send(a, 1)
    last = 62

    async def sends(k: int) -> None:
        for seq in range(3 + k, last + 1, 3):
            await send(instances[k], seq)

    await asyncio.gather(*(sends(k) for k in range(3)))
    for client in everyone:
        got = [m["seq"] for m in await client.until_messages(last)]
        assert got == list(range(1, last + 1)), got  # in order, none lost, none twice
    assert sum(i.manager.order.held for i in instances) >= 1  # seq 2 waited for seq 1, at least on c
    assert all(i.manager.order.expired == 0 for i in instances)
    for client in (members[2], members[3], both):  # c's members leave: c forgets the room
        await client.sio.disconnect()
    await until(lambda: len(c.manager.order) == 0, "c forgets the room")
    assert len(a.manager.order) == 1 and len(b.manager.order) == 2  # b hosts the visitors' channel too


def test_the_manager_is_the_default_for_redis() -> None:
    made = pubsub.client_manager("redis://127.0.0.1:1/0", CHANNEL)
    assert isinstance(made, pubsub.RoomFanoutRedisManager) and not made.sharded


@pytest.mark.parametrize("mode", ["rooms", "sharded"])
async def test_twinspace_instances_subscribe_to_the_rooms_they_host(
        make_server: Callable[..., ServerProcess], redis_server: RedisServer, tmp_path: Path, mode: str) -> None:
    data = tmp_path / "shared"
    flags = ("--fanout-url", redis_server.url, "--fanout-pubsub", mode)
    a = make_server(*flags, data_dir=data).start()  # makes the signing secret, migrates
    b, c = make_server(*flags, data_dir=data).start(), make_server(*flags, data_dir=data).start()
    project = await make_project(a)
    room = project.spaces["general"]
    channel, sharded = f"twinspace#/#room:{room}", mode == "sharded"
    async with realtime(a, project.pupil.token) as pupil, realtime(b, project.teacher.token) as teacher, \
            realtime(c, project.admin.token) as elsewhere:
        await ok(pupil, "room:join", {"room_id": room})
        await ok(teacher, "room:join", {"room_id": room})
        assert await subscribers(redis_server, channel, sharded) == 2  # a and b, not c
        sent = await ok(pupil, "chat:send", {"room_id": room, "client_id": uuid.uuid4().hex, "text": "Hallo!"})
        assert (await teacher.wait_for("chat:message"))[0] == sent
        await ok(pupil, "room:leave", {"room_id": room})
        async with asyncio.timeout(WAIT_SECS):  # a unsubscribes once its last member left
            while await subscribers(redis_server, channel, sharded) != 1:
                await asyncio.sleep(0.05)
        # A push to one person crosses instances through that person's channel: c hosts the admin.
        await ok(teacher, "mail:send", {"project_id": project.id, "to": [project.admin.id], "subject": "Q",
                                        "body": "?"})
        await elsewhere.wait_for("mail:received")


@pytest.mark.parametrize("mode", ["rooms", "broadcast"])
async def test_twinspace_instances_push_a_rooms_messages_in_seq_order(
        make_server: Callable[..., ServerProcess], redis_server: RedisServer, tmp_path: Path, mode: str) -> None:
    # Three senders on three instances sharing one store: each message's seq comes from the store, its push
    # from the instance that took it, so they reach Redis in any order; every member hears them in seq order.
    data = tmp_path / "shared"
    flags = ("--fanout-url", redis_server.url, "--fanout-pubsub", mode, "--chat-rate-messages", "10000")
    a = make_server(*flags, data_dir=data).start()  # makes the signing secret, migrates
    b, c = make_server(*flags, data_dir=data).start(), make_server(*flags, data_dir=data).start()
    project = await make_project(a)
    room = project.spaces["open"]  # visitors read it too, on its visitors' channel
    people = ((a, project.pupil), (b, project.teacher), (c, project.admin), (a, project.partner), (c, project.visitor))
    async with contextlib.AsyncExitStack() as stack:
        clients = [await stack.enter_async_context(realtime(server, who.token)) for server, who in people]
        for client in clients:
            await ok(client, "room:join", {"room_id": room})

        async def send(sender: Any) -> int:
            sent = await ok(sender, "chat:send", {"room_id": room, "client_id": uuid.uuid4().hex, "text": "hi"})
            return int(sent["seq"])

        async def sends(sender: Any) -> list[int]:
            return [await send(sender) for _ in range(15)]

        # From the first one: each instance goes on from the seq its members' joins read (0 here).
        seqs = [seq for each in await asyncio.gather(*(sends(sender) for sender in clients[:3])) for seq in each]
        assert sorted(seqs) == list(range(1, len(seqs) + 1))
        for client in clients:
            got = [m["seq"] for m in await client.wait_for("chat:message", count=len(seqs), timeout=WAIT_SECS)]
            assert got == sorted(seqs), got  # in seq order, none lost, none twice
