"""Sharded fan-out on one Redis against a local Redis Cluster of three masters, in one run.

Two measures, each on both:

- the listener alone: ``PUSHES`` ``SPUBLISH`` to ``ROOMS`` channels, read by redis-py's ``PubSub`` on one
  Redis and by ``server/realtime/cluster.py``'s ``ShardedSubscriber`` on the cluster; CPU of this process
  per message (the publisher runs in it too, so compare the two, not the figure alone);
- two by-room managers (``server/realtime/pubsub.py``) on uvicorn, as in
  tests/integration/test_room_fanout.py: one pushes ``PUSHES`` to ``ROOMS`` rooms a client of the other
  joined, one push after the other; the time until the client has them all, and the ``SPUBLISH`` calls
  each master served (``INFO commandstats``).

    .venv/bin/python bench/cluster_fanout.py

Everything runs on this machine's loopback, in one process and event loop with its Redis servers beside
it: a shared host's figures are noisy, so compare the two within one run.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import redis  # noqa: E402
from redis.asyncio import Redis  # noqa: E402

from server.realtime.cluster import ShardedSubscriber  # noqa: E402
from storage.ephemeral.redis import cluster_client  # noqa: E402
from tests.integration.test_room_fanout import Client, Instance  # noqa: E402
from tests.support.redis import LocalRedisCluster, RedisServer  # noqa: E402

ROOMS = 30
PUSHES = 6000
WAIT_SECS = 60


async def listener_cost(subscriber: Any, publisher: Any) -> float:
    channels = [f"twinspace#/#room{k}" for k in range(ROOMS)]
    for channel in channels:
        await subscriber.ssubscribe(channel)
    confirmed = 0
    async with asyncio.timeout(WAIT_SECS):
        while confirmed < ROOMS:
            message = await subscriber.get_message(timeout=1)
            confirmed += bool(message and message["type"] == "ssubscribe")

    async def publish() -> None:
        for k in range(PUSHES):
            await publisher.spublish(channels[k % ROOMS], "x" * 200)

    publishing = asyncio.create_task(publish())
    cpu = time.process_time()
    got = 0
    async with asyncio.timeout(WAIT_SECS):
        while got < PUSHES:
            message = await subscriber.get_message(timeout=1)
            got += bool(message and message["type"] == "smessage")
    await publishing
    return (time.process_time() - cpu) / PUSHES * 1e6


def spublish_calls(ports: list[int]) -> list[int]:
    calls = []
    for port in ports:
        with redis.Redis(port=port) as client:
            calls.append(int(client.info("commandstats").get("cmdstat_spublish", {}).get("calls", 0)))
    return calls


async def managers(url: str, ports: list[int]) -> tuple[float, list[int]]:
    a, b = [await Instance(url, sharded=True).start() for _ in range(2)]
    client = Client()
    try:
        await client.sio.connect(b.url, transports=["websocket"], wait_timeout=10)
        for k in range(ROOMS):
            await client.join(f"room{k}")
        await a.push("room0", "warm")  # the publishing client made, the slots learnt
        await client.until(1)
        before = spublish_calls(ports)
        started = time.perf_counter()
        for n in range(PUSHES):
            await a.push(f"room{n % ROOMS}", n)
        async with asyncio.timeout(WAIT_SECS):
            while len(client.got) < PUSHES + 1:
                client.arrived.clear()
                await client.arrived.wait()
        took = time.perf_counter() - started
        return took, [x - y for x, y in zip(spublish_calls(ports), before, strict=True)]
    finally:
        await client.sio.disconnect()
        for instance in (a, b):
            await instance.stop()


async def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="cluster-bench-"))
    single = RedisServer(work / "single").start()
    cluster = LocalRedisCluster(work / "cluster").start()
    try:
        one = Redis.from_url(single.url)
        pubsub = one.pubsub()
        single_cpu = await listener_cost(pubsub, one)
        await pubsub.aclose()  # type: ignore[no-untyped-call]
        await one.aclose()
        publisher = cluster_client(cluster.url)
        subscriber = ShardedSubscriber(cluster.url, {}, 2.0, 2.0)
        cluster_cpu = await listener_cost(subscriber, publisher)
        await subscriber.aclose()
        await publisher.aclose()
        print(f"listener, {PUSHES} messages on {ROOMS} channels: one Redis {single_cpu:.0f} µs CPU per message, "
              f"cluster {cluster_cpu:.0f} µs (publisher included)")
        for name, url, ports in (("one Redis", single.url, [single.port]),
                                 ("cluster", cluster.url, [n.port for n in cluster.nodes])):
            took, calls = await managers(url, ports)
            print(f"managers, {name}: {PUSHES} pushes delivered in {took:.2f} s ({PUSHES / took:.0f}/s); "
                  f"SPUBLISH per master {calls}")
    finally:
        single.stop()
        cluster.stop()


if __name__ == "__main__":
    asyncio.run(main())
