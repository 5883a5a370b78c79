"""Twinspace on a real Redis Cluster (three masters, ``tests/support/redis.py``): pushes, presence and limits.

The by-room managers (``server/realtime/pubsub.py`` over ``server/realtime/cluster.py``) run on the
test's loop, as in tests/integration/test_room_fanout.py, so that their shard connections can be read;
then two Twinspace instances share the cluster as they would share one Redis. The cluster starts once
for the session and is emptied before each test.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from rooms.chat_models import PresenceEntry
from server.realtime import pubsub
from server.realtime.cluster import ShardedSubscriber
from storage.ephemeral import redis as shared
from tests.integration.test_room_fanout import CHANNEL, WAIT_SECS, Instance
from tests.integration.test_room_fanout import connect as connect  # the same fixture: clients closed after
from tests.support.clients import Api, make_project, ok, realtime
from tests.support.redis import LocalRedisCluster
from tests.support.server import ServerProcess


@pytest.fixture
def cluster(redis_cluster: LocalRedisCluster) -> LocalRedisCluster:
    redis_cluster.flush()
    return redis_cluster


def rooms_on_different_shards(cluster: LocalRedisCluster, prefix: str, count: int) -> list[str]:
    """``count`` room names whose channels ``prefix + room`` hash to ``count`` different masters."""
    found: dict[int, str] = {}
    for k in range(1000):
        node = cluster.node_of(f"{prefix}r{k}")
        found.setdefault(node.port, f"r{k}")
        if len(found) == count:
            return list(found.values())
    raise AssertionError("no rooms on enough shards")


async def command(port: int, *args: Any) -> Any:
    """One command to one node."""
    async with Redis(port=port) as client:
        return await client.execute_command(*args)


async def shard_subscribers(cluster: LocalRedisCluster, channel: str) -> int:
    """``PUBSUB SHARDNUMSUB`` on the master serving ``channel``: the only node that knows."""
    client = Redis(port=cluster.node_of(channel).port)
    try:
        answer = await client.execute_command("PUBSUB", "SHARDNUMSUB", channel)
        return int(answer[1])
    finally:
        await client.aclose()


async def space_on_another_shard(server: ServerProcess, project: Any, cluster: LocalRedisCluster, room: str) -> str:
    """A new chat space of ``project`` whose room channel is on another master than ``room``'s."""
    taken = cluster.node_of(f"twinspace#/#room:{room}")
    async with Api(server, project.admin.token) as api:
        for k in range(20):  # each lands elsewhere with odds 2/3
            r = await api.post(f"/projects/{project.id}/spaces", {"name": f"Corner {k}", "visibility": "visitors"})
            assert r.status_code == 201, r.text
            if cluster.node_of(f"twinspace#/#room:{r.json()['id']}") is not taken:
                return str(r.json()["id"])
    raise AssertionError("no space on another shard")


@pytest.fixture
async def instances(cluster: LocalRedisCluster) -> AsyncIterator[Callable[[int], Coroutine[Any, Any, list[Instance]]]]:
    started: list[Instance] = []

    async def start(count: int) -> list[Instance]:
        made = [await Instance(cluster.url, sharded=True).start() for _ in range(count)]
        started.extend(made)
        return made

    yield start
    for instance in started:
        await instance.stop()


def test_a_cluster_url_makes_the_sharded_manager_and_takes_no_other() -> None:
    url = "redis+cluster://127.0.0.1:1,127.0.0.1:2"
    made = pubsub.client_manager(url, CHANNEL, "sharded")
    assert isinstance(made, pubsub.RoomFanoutRedisManager) and made.sharded and made.on_cluster
    with pytest.raises(ValueError):
        pubsub.RoomFanoutRedisManager(url, CHANNEL, sharded=False)


def test_on_a_redis_cluster_without_the_pubsub_manager_it_knows_every_instance_hears_through_a_seed(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    url = "redis+cluster://app:s%2Fcret@127.0.0.1:1,127.0.0.1:2"
    assert isinstance(pubsub.client_manager(url, "twinspace"), pubsub.RoomFanoutRedisManager)
    monkeypatch.setattr(pubsub, "REPLACED_PUBSUB_SHA256", "0" * 64)
    made = pubsub.client_manager(url, "twinspace", "sharded")
    assert type(made) is pubsub.PromptListenerRedisManager
    assert made.redis_url == "redis://app:s%2Fcret@127.0.0.1:1/0"  # classic pub/sub: any node carries it
    assert "first seed" in caplog.text


async def test_pushes_cross_instances_on_rooms_of_every_shard(instances: Any, connect: Any,
                                                             cluster: LocalRedisCluster) -> None:
    a, b, c = await instances(3)
    rooms = rooms_on_different_shards(cluster, f"{CHANNEL}#/#", 3)
    on_b, on_c = await connect(b), await connect(c)
    for room in rooms:
        await on_b.join(room)
    await on_c.join("elsewhere")
    subscriber = b.manager._pubsub
    assert isinstance(subscriber, ShardedSubscriber)
    assert len(subscriber.shards) == 3  # a connection to each master: rooms and control channel spread
    for room in rooms:
        assert await shard_subscribers(cluster, f"{CHANNEL}#/#{room}") == 1  # b only, on that room's master
    received_c = c.manager.received
    for n, room in enumerate(rooms * 3):
        await a.push(room, n)
    assert await on_b.until(9) == list(range(9))  # each once, in the order a sent them
    await a.push("elsewhere", "marker")
    assert await on_c.until(1) == ["marker"]
    assert c.manager.received == received_c + 1  # nothing of b's rooms reached c
    await on_b.leave(rooms[0])
    async with asyncio.timeout(WAIT_SECS):  # the last member left: b unsubscribes on that master
        while await shard_subscribers(cluster, f"{CHANNEL}#/#{rooms[0]}"):
            await asyncio.sleep(0.05)
    await a.push(rooms[1], "after")
    assert (await on_b.until(10))[-1] == "after"


async def test_the_subscriber_tells_its_own_unsubscriptions_from_a_shard_dropping_one(
        cluster: LocalRedisCluster) -> None:
    channel = f"{CHANNEL}#/#reloaded"
    subscriber = ShardedSubscriber(cluster.url, {}, ping_secs=2, pong_secs=2)
    publisher = shared.cluster_client(cluster.url)

    async def kinds_until(kind: str) -> list[str]:
        seen: list[str] = []
        async with asyncio.timeout(WAIT_SECS):
            while kind not in seen:
                message = await subscriber.get_message(timeout=0.5)
                if message is not None:
                    seen.append(message["type"])
        return seen

    try:
        # Left and joined again before the shard's answers are read (a page reloaded): no slot moved.
        await subscriber.ssubscribe(channel)
        await subscriber.sunsubscribe(channel)
        await subscriber.ssubscribe(channel)
        await publisher.spublish(channel, "marker")
        assert await kinds_until("smessage") == ["ssubscribe", "sunsubscribe", "ssubscribe", "smessage"]
        # A shard that drops the subscription by itself (as when its slot moves elsewhere).
        node = cluster.node_of(channel)
        other = next(n for n in cluster.nodes if n is not node)
        slot = int(await command(node.port, "CLUSTER", "KEYSLOT", channel))
        mine, theirs = [(await command(n.port, "CLUSTER", "MYID")).decode() for n in (node, other)]
        await command(node.port, "CLUSTER", "SETSLOT", slot, "NODE", theirs)
        try:
            with pytest.raises(ConnectionError):
                await kinds_until("never")
        finally:  # the slot back where it was, on every node
            for n in cluster.nodes:
                await command(n.port, "CLUSTER", "SETSLOT", slot, "NODE", mine)
    finally:
        await subscriber.aclose()
        await publisher.aclose()


async def test_a_shard_restart_is_seen_and_every_room_subscribed_again(instances: Any, connect: Any,
                                                                       cluster: LocalRedisCluster) -> None:
    a, b = await instances(2)
    rooms = rooms_on_different_shards(cluster, f"{CHANNEL}#/#", 3)
    on_b = await connect(b)
    for room in rooms:
        await on_b.join(room)
    node = cluster.node_of(f"{CHANNEL}#/#{rooms[0]}")
    node.stop()  # its slots are down until it is back (no replicas); it keeps its nodes.conf
    async with asyncio.timeout(WAIT_SECS):
        while b.manager.listening:
            await asyncio.sleep(0.05)
    node.start()
    async with asyncio.timeout(3 * WAIT_SECS):  # the cluster is whole again, and b resubscribed
        while not b.manager.listening:
            await asyncio.sleep(0.05)
    async with asyncio.timeout(WAIT_SECS):
        while not on_b.got:  # a's publishing client finds the node again on a push after it came back
            with_timeout = asyncio.wait_for(a.push(rooms[0], "back"), WAIT_SECS)
            await with_timeout
            await asyncio.sleep(0.1)
    assert on_b.got[0] == "back"


async def test_presence_and_limits_keep_their_keys_apart_on_the_cluster(cluster: LocalRedisCluster) -> None:
    # Every command of storage/ephemeral/redis.py, on keys that fall in different slots.
    client = shared.connect(cluster.url)
    try:
        a, b = shared.RedisPresence(client, "inst-a"), shared.RedisPresence(client, "inst-b")
        await a.heartbeat()
        await b.heartbeat()
        who = PresenceEntry(user_id="t1", name="Ana", role="teacher")
        assert await a.enter("room-1", "sid-1", who) is True
        assert await b.enter("room-1", "sid-2", who) is False  # already online through a
        assert await b.enter("room-2", "sid-2", who) is True
        assert [e.user_id for e in await b.online("room-1")] == ["t1"]
        assert await a.rooms_of("sid-1") == ["room-1"]
        await a.user_connected("sid-1", "t1")
        assert await b.connected(["t1", "t2"]) == {"t1"}
        assert await a.leave("room-1", "sid-1") is None  # still there through b
        assert await b.evict("room-2", "t1") == ["sid-2"]
        await a.user_disconnected("sid-1")
        assert await b.connected(["t1"]) == set()
        await client.delete("alive:inst-a")  # as after a restart of the cluster: a writes its copy back
        await a.heartbeat()
        limiter = shared.RedisRateLimiter(client)
        key = uuid.uuid4().hex
        assert [await limiter.hit(key, 2, 30) for _ in range(2)] == [0.0, 0.0]
        assert await limiter.hit(key, 2, 30) > 0
        await limiter.refund(key)
        await limiter.forget(key)
        assert await limiter.hit(key, 2, 30) == 0.0
        sessions = shared.RedisSessions(client, a.instance)
        assert await sessions.open("t1", "sid-1", 1) is True
        assert await sessions.sids_of("t1") == ["sid-1"]
        await sessions.revoke("t1", None, 100.0, 60)
        assert await sessions.revoked("t1", "some-jti", 50.0) is True
        await sessions.close("t1", "sid-1")
        await shared.ping(client)
    finally:
        await client.aclose()


async def test_twinspace_instances_share_pushes_presence_and_limits_on_a_cluster(
        make_server: Callable[..., ServerProcess], cluster: LocalRedisCluster, tmp_path: Path) -> None:
    data = tmp_path / "shared"
    flags = ("--fanout-url", cluster.url, "--chat-rate-messages", "3", "--chat-rate-window-secs", "30")
    a = make_server(*flags, data_dir=data).start()  # makes the signing secret, migrates
    b = make_server(*flags, data_dir=data).start()
    project = await make_project(a)
    rooms = [project.spaces["general"], await space_on_another_shard(a, project, cluster, project.spaces["general"])]
    channels = [f"twinspace#/#room:{room}" for room in rooms]
    async with realtime(a, project.pupil.token) as pupil, realtime(b, project.teacher.token) as teacher:
        for room in rooms:
            await ok(teacher, "room:join", {"room_id": room})
        joined = await ok(pupil, "room:join", {"room_id": rooms[0]})
        assert {p["user_id"] for p in joined["online"]} == {project.pupil.id, project.teacher.id}
        await teacher.wait_for("presence:update", lambda p: project.pupil.id in [e["user_id"] for e in p["joined"]])
        # Each channel's subscribers, on its own master: a and b for the first room, b for the other.
        assert [await shard_subscribers(cluster, channel) for channel in channels] == [2, 1]
        # A push in the other room, whose channel is on another master.
        await ok(pupil, "room:join", {"room_id": rooms[1]})
        sent = await ok(pupil, "chat:send", {"room_id": rooms[1], "client_id": uuid.uuid4().hex, "text": "open"})
        assert (await teacher.wait_for("chat:message", lambda m: m["room_id"] == rooms[1]))[0] == sent
        # The pupil's messages, wherever sent, count against one limit (3 in the window): one sent above.
        sends = [{"room_id": rooms[0], "client_id": uuid.uuid4().hex, "text": f"n{k}"} for k in range(3)]
        for k, payload in enumerate(sends):
            sent = await ok(pupil if k % 2 == 0 else teacher, "chat:send", payload)
            if k % 2 == 0:
                assert (await teacher.wait_for("chat:message", lambda m, s=sent: m["id"] == s["id"]))[0] == sent
        # The pupil's fourth message in the window is refused on b: both instances count on the cluster.
        async with realtime(b, project.pupil.token) as other_tab:
            await ok(other_tab, "room:join", {"room_id": rooms[0]})
            ack = await other_tab.call("chat:send", {"room_id": rooms[0], "client_id": uuid.uuid4().hex,
                                                     "text": "one too many"})
            assert ack["error"]["code"] == "rate.limited"
    for server in (a, b):
        ready = httpx.get(server.url + "/readyz", timeout=10).json()
        assert ready["checks"]["fanout"] == "ok", ready
