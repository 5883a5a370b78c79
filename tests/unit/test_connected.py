"""Who has an open connection, on one instance (memory) and across instances (Redis, a Redis Cluster): "is this teacher away?"."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from rooms.ports import Presence
from storage.ephemeral import redis as shared
from storage.ephemeral.memory import MemoryPresence
from tests.support.redis import LocalRedisCluster, RedisServer


@pytest.fixture(params=["memory", "redis", "cluster"])
async def presences(request: pytest.FixtureRequest) -> AsyncIterator[tuple[Presence, Presence]]:
    """Two instances' presence: the same object in memory (one process), two instances sharing one Redis
    or one Redis Cluster (the session's, emptied first)."""
    if request.param == "memory":
        one = MemoryPresence()
        yield one, one
        return
    if request.param == "cluster":
        redis_cluster: LocalRedisCluster = request.getfixturevalue("redis_cluster")
        redis_cluster.flush()
        url = redis_cluster.url
    else:
        url = request.getfixturevalue("redis_server").url
    client = shared.connect(url)
    a, b = shared.RedisPresence(client, "inst-a"), shared.RedisPresence(client, "inst-b")
    await a.heartbeat()
    await b.heartbeat()
    try:
        yield a, b
    finally:
        await client.aclose()


async def test_a_person_is_connected_while_one_of_their_connections_is_open(
        presences: tuple[Presence, Presence]) -> None:
    a, b = presences
    assert await a.connected(["t1", "t2"]) == set()
    await a.user_connected("sid-1", "t1")
    await b.user_connected("sid-2", "t1")
    await b.user_connected("sid-3", "t2")
    assert await a.connected(["t1", "t2", "t3"]) == {"t1", "t2"}
    await a.user_disconnected("sid-1")
    assert await b.connected(["t1"]) == {"t1"}  # still open on the other instance
    await b.user_disconnected("sid-2")
    await b.user_disconnected("sid-3")
    await b.user_disconnected("sid-unknown")
    assert await a.connected(["t1", "t2"]) == set()
    assert await a.connected([]) == set()


@pytest.mark.parametrize("where", ["redis", "cluster"])
async def test_a_dead_instances_connections_do_not_count(request: pytest.FixtureRequest, where: str) -> None:
    server: RedisServer | LocalRedisCluster = request.getfixturevalue(
        "redis_server" if where == "redis" else "redis_cluster")
    client = shared.connect(server.url)
    try:
        alive, dead = shared.RedisPresence(client, "inst-a"), shared.RedisPresence(client, "inst-dead")
        await alive.heartbeat()
        await dead.heartbeat()
        await dead.user_connected("sid-9", "t1")
        assert await alive.connected(["t1"]) == {"t1"}
        await dead.forget_instance()  # as a killed instance's heartbeat expiring
        assert await alive.connected(["t1"]) == set()
    finally:
        await client.aclose()
