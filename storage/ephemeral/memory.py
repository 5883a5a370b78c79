"""Presence and rate-limit counters for one process (fan-out ``memory://``)."""

from __future__ import annotations

import time
from collections import defaultdict, deque

from rooms.chat_models import PresenceEntry


class MemoryPresence:
    """:class:`rooms.ports.Presence` in process memory."""

    def __init__(self) -> None:
        self._entries: dict[str, dict[str, PresenceEntry]] = defaultdict(dict)  # room -> sid -> entry
        self._rooms: dict[str, set[str]] = defaultdict(set)  # sid -> rooms
        self._users: dict[str, str] = {}  # sid -> user id, for every open connection

    async def enter(self, room_id: str, sid: str, who: PresenceEntry) -> bool:
        entries = self._entries[room_id]
        was_online = any(e.user_id == who.user_id for e in entries.values())
        entries[sid] = who
        self._rooms[sid].add(room_id)
        return not was_online

    async def leave(self, room_id: str, sid: str) -> PresenceEntry | None:
        entries = self._entries.get(room_id, {})
        entry = entries.pop(sid, None)
        rooms = self._rooms.get(sid)
        if rooms is not None:
            rooms.discard(room_id)
            if not rooms:
                del self._rooms[sid]
        if not entries:
            self._entries.pop(room_id, None)
        if entry is None or any(e.user_id == entry.user_id for e in entries.values()):
            return None
        return entry

    async def rooms_of(self, sid: str) -> list[str]:
        return sorted(self._rooms.get(sid, ()))

    async def evict(self, room_id: str, user_id: str) -> list[str]:
        sids = [sid for sid, e in self._entries.get(room_id, {}).items() if e.user_id == user_id]
        for sid in sids:
            await self.leave(room_id, sid)
        return sids

    async def online(self, room_id: str) -> list[PresenceEntry]:
        unique = {e.user_id: e for e in self._entries.get(room_id, {}).values()}
        return sorted(unique.values(), key=lambda e: (e.name, e.user_id))

    async def user_connected(self, sid: str, user_id: str) -> None:
        self._users[sid] = user_id

    async def user_disconnected(self, sid: str) -> None:
        self._users.pop(sid, None)

    async def connected(self, user_ids: list[str]) -> set[str]:
        wanted = set(user_ids)
        return {u for u in self._users.values() if u in wanted}


class MemoryRateLimiter:
    """:class:`rooms.ports.RateLimiter`: a sliding log of event times per key."""

    def __init__(self) -> None:
        self._log: dict[str, deque[float]] = {}

    async def hit(self, key: str, limit: int, window_secs: float) -> float:
        now = time.monotonic()
        log = self._log.setdefault(key, deque())
        while log and log[0] <= now - window_secs:
            log.popleft()
        if len(log) >= limit:
            return log[0] + window_secs - now
        log.append(now)
        if len(self._log) > 100_000:  # drop idle keys so the map cannot grow without bound
            self._log = {k: v for k, v in self._log.items() if v and v[-1] > now - window_secs}
        return 0.0

    async def refund(self, key: str) -> None:
        log = self._log.get(key)
        if log:
            log.pop()

    async def forget(self, key: str) -> None:
        self._log.pop(key, None)


class MemorySessions:
    """:class:`rooms.ports.Sessions` in process memory: open connections and revocations."""

    def __init__(self) -> None:
        self._sids: dict[str, set[str]] = {}  # user -> sids
        self._users: dict[str, float] = {}  # user -> revoked at (epoch s), with its expiry (monotonic)
        self._jtis: dict[str, float] = {}  # jti -> expiry (monotonic)
        self._until: dict[str, float] = {}  # user -> expiry of its revocation (monotonic)

    async def open(self, user_id: str, sid: str, limit: int) -> bool:
        sids = self._sids.setdefault(user_id, set())
        if len(sids) >= limit:
            if not sids:
                del self._sids[user_id]
            return False
        sids.add(sid)
        return True

    async def close(self, user_id: str, sid: str) -> None:
        sids = self._sids.get(user_id)
        if sids is not None:
            sids.discard(sid)
            if not sids:
                del self._sids[user_id]

    async def sids_of(self, user_id: str) -> list[str]:
        return sorted(self._sids.get(user_id, ()))

    async def revoke(self, user_id: str, jti: str | None, at: float, ttl_secs: int) -> None:
        until = time.monotonic() + ttl_secs
        self._expire()
        if jti is not None:
            self._jtis[jti] = until
        else:
            self._users[user_id] = max(at, self._users.get(user_id, at))
            self._until[user_id] = until

    async def revoked(self, user_id: str, jti: str | None, iat: float | None) -> bool:
        now = time.monotonic()
        if jti is not None and self._jtis.get(jti, 0) > now:
            return True
        if self._until.get(user_id, 0) <= now:
            return False
        return iat is None or iat <= self._users[user_id]

    def _expire(self) -> None:
        now = time.monotonic()
        for user_id in [u for u, t in self._until.items() if t <= now]:
            del self._until[user_id], self._users[user_id]
        for jti in [j for j, t in self._jtis.items() if t <= now]:
            del self._jtis[jti]
