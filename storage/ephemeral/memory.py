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
