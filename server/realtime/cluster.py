"""Sharded pub/sub on a Redis Cluster: a subscriber connection per shard, publications routed by slot.

On one Redis, :class:`server.realtime.pubsub.RoomFanoutRedisManager` reads
every channel on one redis-py ``PubSub``. On a Redis Cluster
(``--fanout-url redis+cluster://HOST:PORT,...``, which takes
``--fanout-pubsub sharded`` only) a channel's ``SSUBSCRIBE`` must reach the
master serving the channel's slot (another node answers ``MOVED``), so the
manager's listener reads through a :class:`ShardedSubscriber` instead, which
has the same shape (``ssubscribe``, ``sunsubscribe``, ``get_message``,
``ping``, ``aclose``):

- it learns the slots from the cluster (redis-py's ``RedisCluster``, public
  interface only: ``initialize``, ``get_node_from_key``) and opens one plain
  ``PubSub`` connection per master that serves a channel it subscribes to;
- one reader task per shard hands that shard's messages (``smessage``, the
  confirmations, the pongs) to one queue, in the order the shard sent them
  (a deque and a future: no task per message),
  so a message from any shard is read as soon as it arrives (redis-py's own
  ``ClusterPubSub.get_sharded_message`` waits on the shards one after the
  other, each up to the timeout);
- each reader pings its shard after ``ping_secs`` of silence and gives up
  when the shard answers nothing ``pong_secs`` more, and a shard that drops
  a subscription by itself (a slot moved to another master, a failover:
  Redis then sends ``sunsubscribe``) or fails a command does the same:
  :meth:`get_message` raises, and the manager's listener reconnects, learns
  the slots afresh and subscribes every hosted room again, as after a
  restart of a single Redis (a push lost meanwhile is filled by ``seq``).

Publishing needs nothing of this module: the manager's publishing client is
a ``RedisCluster`` (``storage.ephemeral.redis.cluster_client``), whose
``SPUBLISH`` goes to the channel's master (following ``MOVED`` by itself), one
per room in a pipeline for a push to several.

``tests/integration/test_cluster.py`` runs two Twinspace instances and the
by-room managers on a real local cluster of three masters.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import time
from typing import Any
from urllib.parse import quote

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster

from storage.ephemeral.redis import cluster_client, parse_cluster_url

log = logging.getLogger(__name__)

POLL_SECS = 0.5  # each reader's wait for its shard's next message, between two looks at the clock


class SlotMoved(ConnectionError):
    """A shard dropped a subscription by itself: its slot is served elsewhere now."""


class _Shard:
    def __init__(self, client: Redis) -> None:
        self.client = client
        self.pubsub = client.pubsub()
        self.reader: asyncio.Task[None] | None = None


class ShardedSubscriber:
    """Shard channels of a Redis Cluster, each subscribed on the master serving its slot.

    Made by :class:`ClusterListener`; :meth:`get_message` raises once any shard failed.
    """

    def __init__(self, url: str, options: dict[str, Any], ping_secs: float, pong_secs: float) -> None:
        self._url = url
        self._options = options
        self._login = parse_cluster_url(url).options
        self._ping_secs = ping_secs
        self._pong_secs = pong_secs
        self._cluster: RedisCluster | None = None
        self._shards: dict[str, _Shard] = {}  # node name -> its connection
        self._node_of: dict[str, str] = {}  # subscribed channel -> node name
        self._leaving: dict[str, int] = {}  # channel -> unsubscriptions sent and not yet answered
        self._arrived: collections.deque[dict[str, Any] | BaseException] = collections.deque()  # every shard's
        self._waiter: asyncio.Future[None] | None = None  # get_message's, while nothing has arrived

    @property
    def shards(self) -> frozenset[str]:
        """The nodes (``host:port``) this subscriber holds a connection to."""
        return frozenset(self._shards)

    async def _shard_of(self, channel: str) -> tuple[str, _Shard]:
        if self._cluster is None:
            self._cluster = cluster_client(self._url, **self._options)
            await self._cluster.initialize()
        node = self._cluster.get_node_from_key(channel)
        assert node is not None  # a master (replica=False)
        shard = self._shards.get(node.name)
        if shard is None:
            shard = _Shard(Redis(host=node.host, port=int(node.port), **self._login, **self._options))
            self._shards[node.name] = shard
        return node.name, shard

    async def ssubscribe(self, channel: str) -> None:
        name, shard = await self._shard_of(channel)
        await shard.pubsub.ssubscribe(channel)
        self._node_of[channel] = name
        if shard.reader is None:
            shard.reader = asyncio.get_running_loop().create_task(self._read(name, shard), name=f"shard-{name}")

    async def sunsubscribe(self, channel: str) -> None:
        name = self._node_of.pop(channel, None)
        shard = self._shards.get(name) if name is not None else None
        if shard is not None:
            self._leaving[channel] = self._leaving.get(channel, 0) + 1
            await shard.pubsub.sunsubscribe(channel)

    async def get_message(self, timeout: float) -> dict[str, Any] | None:
        """The next message of any shard (in each shard's order), None after ``timeout`` without one."""
        if not self._arrived:  # wait on a future of its own: no task per message, as a queue's wait_for makes
            loop = asyncio.get_running_loop()
            waiter = self._waiter = loop.create_future()
            timer = loop.call_later(timeout, _wake, waiter)
            try:
                await waiter
            finally:
                timer.cancel()
                self._waiter = None
            if not self._arrived:
                return None
        item = self._arrived.popleft()
        if isinstance(item, BaseException):
            raise item
        return item

    async def ping(self) -> None:
        """Ping every shard; each answers with a ``pong`` message (and each reader pings by itself too)."""
        for shard in list(self._shards.values()):
            await shard.pubsub.ping()

    async def _read(self, name: str, shard: _Shard) -> None:
        heard = time.monotonic()
        pinged: float | None = None
        try:
            while True:
                message = await shard.pubsub.get_message(timeout=POLL_SECS)
                now = time.monotonic()
                if message is not None:
                    heard, pinged = now, None
                    if message["type"] == "sunsubscribe":
                        channel = message["channel"].decode()
                        left = self._leaving.pop(channel, 0)  # the answer to one of ours, in order
                        if not left:
                            raise SlotMoved(f"{name} dropped the subscription to {channel}")
                        if left > 1:
                            self._leaving[channel] = left - 1
                    self._hand(message)
                elif pinged is None and now - heard >= self._ping_secs:
                    await asyncio.wait_for(shard.pubsub.ping(), self._pong_secs)
                    pinged = now
                elif pinged is not None and now - pinged >= self._pong_secs:
                    raise TimeoutError(f"Redis Cluster node {name} answered no ping for {self._pong_secs} s")
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - handed to the listener, which reconnects
            self._hand(exc)

    def _hand(self, item: dict[str, Any] | BaseException) -> None:
        self._arrived.append(item)
        if self._waiter is not None:
            _wake(self._waiter)

    async def aclose(self) -> None:
        shards, self._shards = list(self._shards.values()), {}
        for shard in shards:
            if shard.reader is not None:
                shard.reader.cancel()
                with contextlib.suppress(BaseException):
                    await shard.reader
            with contextlib.suppress(Exception):
                await shard.pubsub.aclose()  # type: ignore[no-untyped-call]  # redis-py leaves it unannotated
                await shard.client.aclose()
        if self._cluster is not None:
            with contextlib.suppress(Exception):
                await self._cluster.aclose()
            self._cluster = None


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


class ClusterListener:
    """What the manager's listener opens each time it connects: ``pubsub()`` and ``aclose()``, as a ``Redis``."""

    def __init__(self, url: str, options: dict[str, Any], ping_secs: float, pong_secs: float) -> None:
        self._subscriber = ShardedSubscriber(url, options, ping_secs, pong_secs)

    def pubsub(self) -> ShardedSubscriber:
        return self._subscriber

    async def aclose(self) -> None:
        await self._subscriber.aclose()


def seed_url(url: str) -> str:
    """A plain ``redis://`` URL of a cluster URL's first seed: for classic pub/sub, which any node carries."""
    address = parse_cluster_url(url)
    host, port = address.seeds[0]
    login = ""
    if "username" in address.options or "password" in address.options:
        login = f"{quote(address.options.get('username', ''), safe='')}:{quote(address.options.get('password', ''), safe='')}@"
    scheme = "rediss" if address.options.get("ssl") else "redis"
    return f"{scheme}://{login}{'[' + host + ']' if ':' in host else host}:{port}/0"
