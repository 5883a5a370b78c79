"""Presence and rate-limit counters shared by every instance through Redis.

Presence: one hash per room, ``presence:<room>``, field ``<instance>:<sid>``
-> the person's entry, and one set per connection of the rooms it is in.
Each instance refreshes ``alive:<instance>`` every few seconds; entries of
an instance that stopped refreshing (killed, cut off) are ignored and
cleaned up by whoever reads them, so a crash never leaves ghosts online.

Open connections of each person (whatever rooms they joined), for "is this teacher
away?": a set per person, ``conns:<user>``, of ``<instance>:<sid>``, and the reverse
``conn:<instance>:<sid>`` -> user; members of dead instances are ignored and removed.

Rate limits: a sliding log per key in a sorted set, checked and updated by
one Lua script on Redis's clock, so all instances count together.

Each instance keeps a copy of what it wrote there (the rooms each of its
connections is in, with their entries, and whose each connection is). A
Redis restarted without persistence has lost them: the heartbeat finds its
own ``alive:<instance>`` key gone (or a write of this instance failed
meanwhile) and writes the copy back, so presence is whole again within one
heartbeat (``HEARTBEAT_SECS``) of Redis returning, without any client
rejoining.

On a Redis Cluster (``redis+cluster://``, :func:`connect` makes a
``RedisCluster``) every key above is a key of its own, in whatever slot it
hashes to: no command here reads or writes two keys in one slot-bound
operation. The sliding log's Lua script has one key; reads of several keys
(the ``alive:`` keys of several instances, a person's two revocation keys)
are ``MGET`` on one Redis and ``mget_nonatomic`` (one ``MGET`` per slot) on a
cluster; the writes a single Redis makes in one ``MULTI`` (a connection's
entry in a room's hash and the room in the connection's set) are one
pipeline without ``MULTI`` there, since a transaction cannot span slots. Such
a pipeline can fail half-way: the write that failed marks the copy stale,
and the next heartbeat writes it back whole, as after a restart.

Redis going away never takes an instance down: presence then answers from
what it could not read as empty, the limiter lets requests through, and
both log it; the instance carries on and is back in step when Redis is.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import unquote

from redis.asyncio import Redis
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.exceptions import RedisClusterException, RedisError

from rooms.chat_models import PresenceEntry
from rooms.errors import Unavailable

log = logging.getLogger(__name__)

ALIVE_TTL_SECS = 15  # an instance silent this long (killed, cut off) and its connections count as gone
# Also how soon presence is whole again after Redis restarted empty: the heartbeat finds its key gone and
# restores. Two commands a second per instance.
HEARTBEAT_SECS = 1
SOCKET_TIMEOUT_SECS = 2.0  # a Redis slower than this is treated as down: chat must not wait on it

_SLIDING_LOG = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local window_ms = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_ms - window_ms)
if redis.call('ZCARD', KEYS[1]) >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return tonumber(oldest[2]) + window_ms - now_ms
end
redis.call('ZADD', KEYS[1], now_ms, ARGV[3])
redis.call('PEXPIRE', KEYS[1], window_ms)
return 0
"""


CLUSTER_SCHEMES = ("redis+cluster", "rediss+cluster")  # a Redis Cluster; rediss+cluster:// over TLS

Client = Redis | RedisCluster
# What a Redis that is down or unreachable raises (redis-py's cluster client raises the second when it
# reaches no node, or a slot has no node).
REDIS_ERRORS: tuple[type[Exception], ...] = (RedisError, RedisClusterException)


@dataclass(frozen=True)
class ClusterAddress:
    """``redis+cluster://[USER:PASSWORD@]HOST:PORT[,HOST:PORT...][/0]``: seed nodes, and how to log in to any node."""

    seeds: tuple[tuple[str, int], ...]
    options: dict[str, Any] = field(default_factory=dict)  # username, password, ssl: for every node


def is_cluster(url: str) -> bool:
    return url.split("://", 1)[0].lower() in CLUSTER_SCHEMES


def parse_cluster_url(url: str) -> ClusterAddress:
    """The seeds and login of a cluster URL; ``ValueError`` says what is wrong with it."""
    scheme, _, rest = url.partition("://")
    if scheme.lower() not in CLUSTER_SCHEMES:
        raise ValueError(f"scheme must be one of {', '.join(s + '://' for s in CLUSTER_SCHEMES)}")
    netloc, _, path = rest.partition("/")
    path, _, query = path.partition("?")
    if path not in ("", "0") or query:
        raise ValueError("a Redis Cluster has database 0 only and takes no options: "
                         "redis+cluster://HOST:PORT[,HOST:PORT...]")
    options: dict[str, Any] = {"ssl": scheme.lower() == "rediss+cluster"}
    userinfo, _, hosts = netloc.rpartition("@")
    if userinfo:
        username, has_password, password = userinfo.partition(":")
        if username:
            options["username"] = unquote(username)
        if has_password:
            options["password"] = unquote(password)
    seeds = []
    for item in hosts.split(","):
        host, _, port = item.strip().rpartition(":")
        host = host.strip("[]")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"{item.strip()!r} is not a seed node like HOST:PORT")
        seeds.append((host, int(port)))
    return ClusterAddress(tuple(seeds), options)


def cluster_client(url: str, **options: Any) -> RedisCluster:
    """A ``RedisCluster`` client on a cluster URL's seeds (it learns the other nodes from them)."""
    address = parse_cluster_url(url)
    return RedisCluster(startup_nodes=[ClusterNode(host, port) for host, port in address.seeds],
                        **address.options, **options)


def connect(url: str) -> Client:
    """A client on one Redis (``redis://``, ``rediss://``) or on a Redis Cluster (``redis+cluster://``)."""
    options: dict[str, Any] = {"socket_timeout": SOCKET_TIMEOUT_SECS,
                               "socket_connect_timeout": SOCKET_TIMEOUT_SECS, "decode_responses": True}
    if is_cluster(url):
        return cluster_client(url, **options)
    return Redis.from_url(url, **options)


async def _mget(redis: Client, keys: list[str]) -> list[Any]:
    """``MGET``, one per slot on a cluster (the keys of several instances or people are in several)."""
    if isinstance(redis, RedisCluster):
        return await redis.mget_nonatomic(keys)
    return cast(list[Any], await redis.mget(keys))


def _together(redis: Client) -> Any:
    """A pipeline for writes that go together: in ``MULTI`` on one Redis, without it on a cluster (many slots)."""
    return redis.pipeline(transaction=not isinstance(redis, RedisCluster))


class RedisPresence:
    """:class:`rooms.ports.Presence` shared through Redis."""

    def __init__(self, redis: Client, instance: str | None = None) -> None:
        self._redis = redis
        self.instance = instance or secrets.token_hex(6)
        # What this instance wrote, to write again when Redis lost it: sid -> room -> entry, sid -> user.
        self._rooms: dict[str, dict[str, PresenceEntry]] = {}
        self._users: dict[str, str] = {}
        self._stale = False  # a write failed: Redis may miss some of the copy, or hold what it removed
        # The connections of this instance that still hear a room (set by the lifespan from Socket.IO's
        # rooms): a member removed through another instance left the room there, not in this copy.
        self.hearing: Callable[[str], set[str]] | None = None

    async def heartbeat(self) -> None:
        """Keep this instance's connections counted, restoring them when Redis lost them.

        Run every ``HEARTBEAT_SECS`` by the lifespan.
        """
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.exists(f"alive:{self.instance}")
                pipe.set(f"alive:{self.instance}", "1", ex=ALIVE_TTL_SECS)
                known, _ = await pipe.execute()
            if not known or self._stale:
                await self._restore()
        except REDIS_ERRORS as exc:
            log.warning("presence heartbeat failed: %s", exc)
            self._stale = True

    async def _restore(self) -> None:
        """Write this instance's copy of its presence back, and remove what it no longer holds."""
        self._stale = False  # a write failing from here on marks it again
        if self.hearing is not None:
            hearing = {r: self.hearing(r) for r in {r for rs in self._rooms.values() for r in rs}}
            for sid, room_id in [(s, r) for s, rs in self._rooms.items() for r in rs if s not in hearing[r]]:
                self._drop(sid, room_id)
        rooms, users = {s: dict(r) for s, r in self._rooms.items()}, dict(self._users)
        async with self._redis.pipeline(transaction=False) as pipe:
            for sid, entries in rooms.items():
                field = self._field(sid)
                for room_id, entry in entries.items():
                    pipe.hset(f"presence:{room_id}", field, entry.model_dump_json())
                if entries:
                    pipe.sadd(f"rooms:{field}", *entries)
            for sid, user_id in users.items():
                pipe.sadd(f"conns:{user_id}", self._field(sid))
                pipe.set(f"conn:{self._field(sid)}", user_id)
            await pipe.execute()
        # Rooms Redis still lists for this instance's connections but this instance has left.
        async with self._redis.pipeline(transaction=False) as pipe:
            for sid in rooms:
                pipe.smembers(f"rooms:{self._field(sid)}")
            listed = cast(list[set[str]], await pipe.execute()) if rooms else []
        extra = [(sid, room) for sid, held in zip(rooms, listed, strict=True) for room in held - set(rooms[sid])]
        if extra:
            async with self._redis.pipeline(transaction=False) as pipe:
                for sid, room_id in extra:
                    pipe.hdel(f"presence:{room_id}", self._field(sid))
                    pipe.srem(f"rooms:{self._field(sid)}", room_id)
                await pipe.execute()
        log.info("presence: restored %d connection(s) of this instance in Redis", len(rooms) + len(users))

    async def forget_instance(self) -> None:
        """At a clean shutdown: this instance's connections are gone at once."""
        try:
            await self._redis.delete(f"alive:{self.instance}")
        except REDIS_ERRORS as exc:
            log.warning("presence: could not sign off: %s", exc)

    def _field(self, sid: str) -> str:
        return f"{self.instance}:{sid}"

    async def enter(self, room_id: str, sid: str, who: PresenceEntry) -> bool:
        self._rooms.setdefault(sid, {})[room_id] = who
        try:
            before = await self._online(room_id)
            async with _together(self._redis) as pipe:
                pipe.hset(f"presence:{room_id}", self._field(sid), who.model_dump_json())
                pipe.sadd(f"rooms:{self._field(sid)}", room_id)
                await pipe.execute()
        except REDIS_ERRORS as exc:
            log.warning("presence: could not record %s in %s: %s", who.user_id, room_id, exc)
            self._stale = True
            return False
        return all(e.user_id != who.user_id for e in before)

    async def leave(self, room_id: str, sid: str) -> PresenceEntry | None:
        self._drop(sid, room_id)
        try:
            raw = await self._redis.hget(f"presence:{room_id}", self._field(sid))
            async with _together(self._redis) as pipe:
                pipe.hdel(f"presence:{room_id}", self._field(sid))
                pipe.srem(f"rooms:{self._field(sid)}", room_id)
                await pipe.execute()
            if raw is None:
                return None
            entry = PresenceEntry.model_validate_json(raw)
            still = await self._online(room_id)
        except REDIS_ERRORS as exc:
            log.warning("presence: could not remove a connection from %s: %s", room_id, exc)
            self._stale = True
            return None
        return None if any(e.user_id == entry.user_id for e in still) else entry

    def _drop(self, sid: str, room_id: str) -> None:
        rooms = self._rooms.get(sid)
        if rooms is not None:
            rooms.pop(room_id, None)
            if not rooms:
                del self._rooms[sid]

    async def rooms_of(self, sid: str) -> list[str]:
        try:
            return sorted(cast(set[str], await self._redis.smembers(f"rooms:{self._field(sid)}")))
        except REDIS_ERRORS as exc:
            log.warning("presence: could not read a connection's rooms: %s", exc)
            return sorted(self._rooms.get(sid, {}))  # this instance's own copy

    async def evict(self, room_id: str, user_id: str) -> list[str]:
        for sid in [s for s, rooms in self._rooms.items() if room_id in rooms and rooms[room_id].user_id == user_id]:
            self._drop(sid, room_id)
        try:
            fields = cast(dict[str, str], await self._redis.hgetall(f"presence:{room_id}"))  # decode_responses=True
            gone = [f for f, v in fields.items() if PresenceEntry.model_validate_json(v).user_id == user_id]
            if gone:
                async with _together(self._redis) as pipe:
                    pipe.hdel(f"presence:{room_id}", *gone)
                    for field in gone:
                        pipe.srem(f"rooms:{field}", room_id)
                    await pipe.execute()
        except REDIS_ERRORS as exc:
            log.warning("presence: could not evict %s from %s: %s", user_id, room_id, exc)
            self._stale = True
            return []
        return [f.split(":", 1)[1] for f in gone]

    async def user_connected(self, sid: str, user_id: str) -> None:
        self._users[sid] = user_id
        try:
            async with _together(self._redis) as pipe:
                pipe.sadd(f"conns:{user_id}", self._field(sid))
                pipe.set(f"conn:{self._field(sid)}", user_id)
                await pipe.execute()
        except REDIS_ERRORS as exc:
            log.warning("presence: could not record a connection of %s: %s", user_id, exc)
            self._stale = True

    async def user_disconnected(self, sid: str) -> None:
        self._users.pop(sid, None)
        try:
            user_id = cast(str | None, await self._redis.get(f"conn:{self._field(sid)}"))
            async with _together(self._redis) as pipe:
                if user_id is not None:
                    pipe.srem(f"conns:{user_id}", self._field(sid))
                pipe.delete(f"conn:{self._field(sid)}")
                await pipe.execute()
        except REDIS_ERRORS as exc:
            log.warning("presence: could not forget a connection: %s", exc)
            self._stale = True

    async def connected(self, user_ids: list[str]) -> set[str]:
        if not user_ids:
            return set()
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for user_id in user_ids:
                    pipe.smembers(f"conns:{user_id}")
                members = cast(list[set[str]], await pipe.execute())
            instances = sorted({m.split(":", 1)[0] for ms in members for m in ms})
            alive = dict(zip(instances, await _mget(self._redis, [f"alive:{i}" for i in instances]) if instances else []))
            found = set()
            for user_id, ms in zip(user_ids, members, strict=True):
                dead = [m for m in ms if not alive.get(m.split(":", 1)[0])]
                if dead:
                    await self._redis.srem(f"conns:{user_id}", *dead)  # an instance that died left these
                if len(dead) < len(ms):
                    found.add(user_id)
        except REDIS_ERRORS as exc:
            log.warning("presence: could not read who is connected: %s", exc)
            return set()  # nobody counts as connected: a teacher is told by e-mail rather than not at all
        return found

    async def online(self, room_id: str) -> list[PresenceEntry]:
        try:
            entries = await self._online(room_id)
        except REDIS_ERRORS as exc:
            log.warning("presence: could not read %s: %s", room_id, exc)
            return []
        unique = {e.user_id: e for e in entries}
        return sorted(unique.values(), key=lambda e: (e.name, e.user_id))

    async def _online(self, room_id: str) -> list[PresenceEntry]:
        fields = cast(dict[str, str], await self._redis.hgetall(f"presence:{room_id}"))  # decode_responses=True
        instances = sorted({f.split(":", 1)[0] for f in fields})
        alive = dict(zip(instances, await _mget(self._redis, [f"alive:{i}" for i in instances]) if instances else []))
        dead = [f for f in fields if not alive.get(f.split(":", 1)[0])]
        if dead:
            await self._redis.hdel(f"presence:{room_id}", *dead)  # an instance that died left these behind
        return [PresenceEntry.model_validate_json(v) for f, v in fields.items() if f not in dead]


class RedisRateLimiter:
    """:class:`rooms.ports.RateLimiter` shared through Redis."""

    def __init__(self, redis: Client) -> None:
        self._redis = redis
        self._script: Any = redis.register_script(_SLIDING_LOG)

    async def hit(self, key: str, limit: int, window_secs: float) -> float:
        try:
            wait_ms = await self._script(keys=[f"rate:{key}"],
                                         args=[int(window_secs * 1000), limit, secrets.token_hex(8)])
        except REDIS_ERRORS as exc:
            log.warning("rate limit not checked (Redis unavailable): %s", exc)
            return 0.0  # let the request through: a school must not lose its chat to a counter
        return max(0.0, float(wait_ms) / 1000)

    async def refund(self, key: str) -> None:
        try:
            await self._redis.zpopmax(f"rate:{key}")  # the newest entry of the sliding log
        except REDIS_ERRORS as exc:
            log.warning("rate limit not refunded (Redis unavailable): %s", exc)

    async def forget(self, key: str) -> None:
        try:
            await self._redis.delete(f"rate:{key}")
        except REDIS_ERRORS as exc:
            log.warning("rate limit not forgotten (Redis unavailable): %s", exc)


class RedisSessions:
    """:class:`rooms.ports.Sessions` shared through Redis.

    ``sessions:<user>``: a set of ``<instance>:<sid>``, the person's open connections; members of an
    instance whose ``alive:<instance>`` lapsed (see :class:`RedisPresence`) are not counted and are
    removed. ``revoked:user:<user>`` -> the time of the revocation (epoch seconds) and
    ``revoked:jti:<jti>``, each expiring with the longest token lifetime.

    Redis away: connections are let in and counted as none, tokens as not revoked (logged), like
    the rate limits: a school does not lose its chat to the shared store.
    """

    def __init__(self, redis: Client, instance: str) -> None:
        self._redis = redis
        self.instance = instance

    async def open(self, user_id: str, sid: str, limit: int) -> bool:
        key, member = f"sessions:{user_id}", f"{self.instance}:{sid}"
        try:
            # Add first, then count: two connections racing for the last place may both be
            # refused, never both let in.
            await self._redis.sadd(key, member)
            members = cast(set[str], await self._redis.smembers(key))
            live = await self._live(key, members)
            if len(live) > limit:
                await self._redis.srem(key, member)
                return False
        except REDIS_ERRORS as exc:
            log.warning("sessions: could not count the connections of %s: %s", user_id, exc)
        return True

    async def close(self, user_id: str, sid: str) -> None:
        try:
            await self._redis.srem(f"sessions:{user_id}", f"{self.instance}:{sid}")
        except REDIS_ERRORS as exc:
            log.warning("sessions: could not forget a connection of %s: %s", user_id, exc)

    async def sids_of(self, user_id: str) -> list[str]:
        key = f"sessions:{user_id}"
        try:
            live = await self._live(key, cast(set[str], await self._redis.smembers(key)))
        except REDIS_ERRORS as exc:
            log.warning("sessions: could not read the connections of %s: %s", user_id, exc)
            return []
        return sorted(m.split(":", 1)[1] for m in live)

    async def _live(self, key: str, members: set[str]) -> list[str]:
        instances = sorted({m.split(":", 1)[0] for m in members})
        alive = dict(zip(instances, await _mget(self._redis, [f"alive:{i}" for i in instances]) if instances else []))
        dead = [m for m in members if not alive.get(m.split(":", 1)[0])]
        if dead:
            await self._redis.srem(key, *dead)  # an instance that died left these
        return [m for m in members if m not in dead]

    async def revoke(self, user_id: str, jti: str | None, at: float, ttl_secs: int) -> None:
        try:
            if jti is not None:
                await self._redis.set(f"revoked:jti:{jti}", "1", ex=ttl_secs)
            else:
                await self._redis.set(f"revoked:user:{user_id}", repr(at), ex=ttl_secs)
        except REDIS_ERRORS as exc:
            raise Unavailable("backend.unavailable", backend="redis", detail=str(exc)) from exc

    async def revoked(self, user_id: str, jti: str | None, iat: float | None) -> bool:
        try:
            at, by_jti = await _mget(self._redis, [f"revoked:user:{user_id}", f"revoked:jti:{jti or ''}"])
        except REDIS_ERRORS as exc:
            log.warning("sessions: revocation of %s not checked (Redis unavailable): %s", user_id, exc)
            return False
        if jti is not None and by_jti is not None:
            return True
        return at is not None and (iat is None or iat <= float(at))


async def ping(redis: Client) -> None:
    try:
        await asyncio.wait_for(redis.ping(), SOCKET_TIMEOUT_SECS)
    except (RedisError, RedisClusterException, TimeoutError, OSError) as exc:
        raise Unavailable("backend.unavailable", backend="redis", detail=str(exc)) from exc


__all__ = ["CLUSTER_SCHEMES", "Client", "ClusterAddress", "RedisPresence", "RedisRateLimiter", "RedisSessions",
           "cluster_client", "connect", "is_cluster", "parse_cluster_url", "ping"]
