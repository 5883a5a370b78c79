"""Short-lived shared state: who is online, rate-limit counters, open connections and revoked sessions, picked by the fan-out URL.

``memory://`` keeps them in the process (one instance); ``redis://`` shares
them between every instance through the same Redis that carries the
fan-out, and ``redis+cluster://`` through the same Redis Cluster
(``storage/ephemeral/redis.py``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

from rooms.ports import Presence, RateLimiter, Sessions

log = logging.getLogger(__name__)


async def _nothing() -> None:
    return None


@dataclass(frozen=True)
class Ephemeral:
    presence: Presence
    limiter: RateLimiter
    sessions: Sessions
    ping: Callable[[], Awaitable[None]]  # raises Unavailable when the shared store does not answer
    heartbeat: Callable[[], Awaitable[None]] | None = None  # to run every HEARTBEAT_SECS
    heartbeat_secs: float = 0


@asynccontextmanager
async def open_ephemeral(url: str) -> AsyncIterator[Ephemeral]:
    scheme = urlsplit(url).scheme
    if scheme == "memory":
        from storage.ephemeral.memory import MemoryPresence, MemoryRateLimiter, MemorySessions

        yield Ephemeral(MemoryPresence(), MemoryRateLimiter(), MemorySessions(), _nothing)
        return
    if scheme not in ("redis", "rediss", "redis+cluster", "rediss+cluster"):
        raise ValueError(f"unsupported fan-out scheme {scheme!r}")
    from storage.ephemeral import redis as shared

    client = shared.connect(url)
    presence = shared.RedisPresence(client)
    await presence.heartbeat()
    try:
        yield Ephemeral(presence, shared.RedisRateLimiter(client), shared.RedisSessions(client, presence.instance), lambda: shared.ping(client),
                        presence.heartbeat, shared.HEARTBEAT_SECS)
    finally:
        await asyncio.shield(presence.forget_instance())
        await client.aclose()
