"""What a connection's token still allows while the socket is open.

A socket outlives the handshake that checked its token, so the token's
limits are kept here, per open connection, and applied to every request:

- **expiry**: a request after ``exp`` (plus the clock leeway) is refused
  with ``auth.expired``, which the SDK cures by reconnecting with a new
  token and sending the request again; a socket still open
  ``EXPIRY_GRACE_SECS`` later is told ``session:ended`` and disconnected
  (the SDK reconnects with the token it fetched ahead of expiry);
- **revocation**: a portal ends a person's sessions (``POST
  /api/v1/sessions/revoke``): the deny-list entry goes into the shared
  store, every open socket of the person on every instance is told
  ``session:ended`` and disconnected at once (through the fan-out), and a
  connection with a revoked token is refused ``auth.revoked``. Each socket
  also looks the deny-list up again on a request at most every
  ``REVOCATION_RECHECK_SECS``, which catches a disconnect lost on its way;
- **connections per person**: at most ``max_connections_per_user``, counted
  on every instance together (``auth.too_many_connections``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

import socketio

from rooms.errors import Unauthenticated, render
from server.auth import Grant
from server.services import Opened

log = logging.getLogger("twinspace.sessions")

EXPIRY_GRACE_SECS = 5.0  # after exp: time for the SDK's own reconnection before the server ends the socket
REVOCATION_RECHECK_SECS = 5.0  # a socket's request looks the deny-list up again at most this often
ENDED_EVENT = "session:ended"  # {code, message}, then the server disconnects the socket


@dataclass
class _Open:
    grant: Grant
    checked_at: float  # monotonic: the last look at the deny-list
    lang: str | None = None  # the language of its messages (server/i18n.py, at the handshake)
    timer: asyncio.TimerHandle | None = None


class SocketSessions:
    """The grants of this instance's open sockets (``sid`` -> its token's limits)."""

    def __init__(self, sio: socketio.AsyncServer, opened: Opened, leeway_secs: float) -> None:
        self._sio = sio
        self._opened = opened
        self._leeway = leeway_secs
        self._open: dict[str, _Open] = {}

    async def admit(self, sid: str, grant: Grant, lang: str | None = None) -> None:
        """Let ``sid`` in on ``grant``, or ``Unauthenticated``: revoked, or too many connections.

        Counted first, then checked: a revocation at the same moment either finds this connection
        among the person's or is found by it.
        """
        services = self._opened.get()
        user_id, limit = grant.user.id, services.settings.max_connections_per_user
        if not await services.sessions.open(user_id, sid, limit):
            raise Unauthenticated("auth.too_many_connections", limit=limit)
        if await services.sessions.revoked(user_id, grant.jti, grant.iat):
            await services.sessions.close(user_id, sid)
            raise Unauthenticated("auth.revoked")
        state = _Open(grant, time.monotonic(), lang)
        delay = grant.exp + self._leeway + EXPIRY_GRACE_SECS - time.time()
        state.timer = asyncio.get_running_loop().call_later(max(0.0, delay), self._expired, sid)
        self._open[sid] = state

    async def check(self, sid: str) -> None:
        """Before each request: ``auth.expired`` past the token's ``exp``, ``auth.revoked`` once revoked."""
        state = self._open.get(sid)
        if state is None:
            return  # connected before this instance kept grants (never in one process's life)
        if time.time() > state.grant.exp + self._leeway:
            raise Unauthenticated("auth.expired")
        now = time.monotonic()
        if now - state.checked_at >= REVOCATION_RECHECK_SECS:
            state.checked_at = now
            grant = state.grant
            if await self._opened.get().sessions.revoked(grant.user.id, grant.jti, grant.iat):
                asyncio.get_running_loop().call_soon(self._end_soon, sid, "auth.revoked")
                raise Unauthenticated("auth.revoked")

    async def forget(self, sid: str) -> None:
        """The socket closed: no more timer, no longer counted."""
        state = self._open.pop(sid, None)
        if state is None:
            return
        if state.timer is not None:
            state.timer.cancel()
        if self._opened.is_open:
            await self._opened.get().sessions.close(state.grant.user.id, sid)

    async def end_user(self, user_id: str, code: str) -> int:
        """End every open socket of ``user_id`` on every instance; how many there were."""
        sids = await self._opened.get().sessions.sids_of(user_id)
        for sid in sids:
            await self.end(sid, code, lang=None)
        return len(sids)

    async def end(self, sid: str, code: str, lang: str | None = None) -> None:
        """Tell ``sid`` why, then disconnect it (on whichever instance holds it)."""
        state = self._open.get(sid)
        lang = lang or (state.lang if state else None)
        try:
            await self._sio.emit(ENDED_EVENT, {"code": code, "message": render(code, {}, lang)}, to=sid)
            await self._sio.disconnect(sid)
        except Exception as exc:  # noqa: BLE001 - the socket may be gone already
            log.warning("session of sid=%s not ended: %s", sid, exc)
        log.info("ended sid=%s code=%s", sid, code)

    def _expired(self, sid: str) -> None:
        state = self._open.get(sid)
        if state is not None:
            state.timer = None
            self._end_soon(sid, "auth.expired")

    def _end_soon(self, sid: str, code: str) -> None:
        task = asyncio.get_running_loop().create_task(self.end(sid, code))
        _TASKS.add(task)
        task.add_done_callback(_TASKS.discard)


_TASKS: set[asyncio.Task[Any]] = set()  # ends in flight, kept from the collector

__all__ = ["ENDED_EVENT", "EXPIRY_GRACE_SECS", "REVOCATION_RECHECK_SECS", "SocketSessions"]
