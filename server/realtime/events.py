"""The one table of Socket.IO events, and the dispatcher every event goes through.

Events are registered from ``EVENTS`` (colons in ``area:verb`` names are
not identifiers, so no ``on_`` methods). Each is an action
(``server/actions/base.py``), the same shape REST endpoints run. The
dispatcher checks the size, validates the payload against the action's
schema, runs the action, returns the ack envelope and, once the ack is
queued, hands the action's pushes to the fan-out; it logs every refusal.
Each connection's requests run within a budget (:class:`Budgets`: so many at
once, so many a second); what the protocol does not have never reaches a
handler (``server/realtime/frames.py``).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any

import socketio

from rooms.errors import InvalidRequest, RateLimited, TwinspaceError, Unauthenticated
from rooms.models import User
from server import i18n, observe, wire
from server.actions import (
    audit,
    chat,
    forum,
    mail,
    moderation,
    polls,
    privacy,
    projects,
    reactions,
    reports,
    search,
    seen,
)
from server.actions.base import Action, Connection, Context
from server.auth import TokenVerifier
from server.channels import user_channel
from server.realtime import frames
from server.realtime.fanout import Fanout
from server.realtime.sessions import SocketSessions
from server.services import Opened
from server.tasks import InFlight

log = logging.getLogger("twinspace.events")

EVENTS: dict[str, Action] = {
    **projects.ACTIONS,
    **chat.ACTIONS,
    **forum.ACTIONS,
    **mail.ACTIONS,
    **moderation.ACTIONS,
    **reports.ACTIONS,
    **audit.ACTIONS,
    **privacy.ACTIONS,
    **reactions.ACTIONS,
    **polls.ACTIONS,
    **seen.ACTIONS,
    **search.ACTIONS,
}


def _lang_of(environ: dict[str, Any], auth: Any, user: User | None = None) -> str:
    """A connection's language: the token's ``lang``, then the handshake's ``auth.lang``, then its
    ``Accept-Language``; kept in the session, so each answer reads it from there (:func:`_lang`)."""
    asked = auth.get("lang") if isinstance(auth, dict) else None
    header = environ.get("HTTP_ACCEPT_LANGUAGE")
    return i18n.negotiate(user.lang if user else None, asked, accept_language=header if isinstance(header, str) else None)


def register(sio: socketio.AsyncServer, opened: Opened, verifier: TokenVerifier, fanout: Fanout,
             sessions: SocketSessions, in_flight: InFlight, budgets: Budgets, observer: observe.Observer) -> None:
    """Attach connect/disconnect, every event of ``EVENTS`` and the catch-all to ``sio``."""

    async def connect(sid: str, environ: dict[str, Any], auth: Any) -> None:
        observe.begin()  # a refusal's log line and its answer carry the same id
        token = auth.get("token") if isinstance(auth, dict) else None
        verified: User | None = None  # a refused token's claims are not trusted, its lang neither
        try:
            grant = await verifier.verify_grant(token)
            user = verified = grant.user
            lang = _lang_of(environ, auth, user)
            await sessions.admit(sid, grant, lang)  # revoked? too many connections? (expiry kept for later)
        except Unauthenticated as exc:
            log.warning("refused connection sid=%s code=%s %s", sid, exc.code, exc.data.get("detail", ""))
            body = wire.error_body(exc, _lang_of(environ, auth, verified))
            raise socketio.exceptions.ConnectionRefusedError(body["message"], body) from None
        await sio.save_session(sid, {"user": user, "exp": grant.exp, "lang": lang})
        await fanout.subscribe(sid, user_channel(user.id))
        if opened.is_open:
            await reports.connected(Context(user, opened.get(), Connection(sid, fanout)), lang)
        log.info("connected sid=%s user=%s role=%s", sid, user.id, user.role)

    async def disconnect(sid: str, reason: Any = None) -> None:
        user = await _user(sio, sid)
        await sessions.forget(sid)
        if user is not None and opened.is_open:
            try:
                ctx = Context(user, opened.get(), Connection(sid, fanout))
                await reports.disconnected(ctx)
                await fanout.deliver(await chat.disconnected(ctx))
            except Exception as exc:  # noqa: BLE001 - a disconnect has nobody to answer
                wire.unexpected(exc, "disconnect")
        budgets.forget(sid)
        log.info("disconnected sid=%s reason=%s", sid, reason)

    sio.on("connect", handler=connect)
    sio.on("disconnect", handler=disconnect)

    for name, act in EVENTS.items():
        sio.on(name, handler=budgets.limited(sio, _dispatcher(sio, opened, fanout, name, act, sessions, in_flight, observer)))

    async def refused(sid: str, reason: Any = None, *_: Any) -> dict[str, Any]:
        # Logged (briefly, rate-limited) where the frame was decoded: server/realtime/frames.py.
        observe.begin()
        return wire.failed(InvalidRequest("request.invalid", detail=str(reason)[:200]), await _lang(sio, sid))

    sio.on(frames.REFUSED_EVENT, handler=refused)

    async def unknown(event: str, sid: str, *args: Any) -> dict[str, Any]:
        observe.begin()
        user, lang = await _seat(sio, sid)
        error = InvalidRequest("request.invalid", detail=f"unknown event {str(event)[:100]!r}")
        log.warning("rejected event=%r user=%s code=%s", str(event)[:100], user.id if user else None, error.code,
                    extra={"event": str(event)[:100], "outcome": error.code, "user": user.id if user else None})
        return wire.failed(error, lang)

    sio.on("*", handler=unknown)


class Budget:
    """One connection's requests: how many run now, and a token bucket for their rate."""

    __slots__ = ("in_flight", "bucket")

    def __init__(self, per_sec: float, burst: float) -> None:
        self.in_flight = 0
        self.bucket = frames.TokenBucket(per_sec, burst)


class Budgets:
    """Every connection's :class:`Budget`: a request above one is refused with ``rate.limited`` at once.

    Not queued: a queue would hold the flood's frames and delay the connection's own later
    requests just the same. Per instance and per connection (a connection lives on one instance).
    The bounds are the operator's (``--connection-requests-*``).
    """

    def __init__(self, in_flight: int, per_sec: float, burst: float,
                 refused: Callable[[str], None] | None = None) -> None:
        self.in_flight, self.per_sec, self.burst = in_flight, per_sec, burst
        self.by_sid: dict[str, Budget] = {}
        self.refused = refused  # told the limit of each refusal (the metrics): connection_in_flight, connection_rate

    def forget(self, sid: str) -> None:
        self.by_sid.pop(sid, None)

    def refusal(self, sid: str, budget: Budget) -> RateLimited | None:
        """The refusal of one more request now, if any (with a request id of its own, for its log line and answer)."""
        if budget.in_flight >= self.in_flight:
            observe.begin()
            frames.refusals.refused("in_flight", f"sid={sid}")
            if self.refused is not None:
                self.refused("connection_in_flight")
            return RateLimited("rate.limited", retry_after_secs=1)
        if not budget.bucket.take():
            observe.begin()
            frames.refusals.refused("rate", f"sid={sid}")
            if self.refused is not None:
                self.refused("connection_rate")
            return RateLimited("rate.limited", retry_after_secs=max(1, math.ceil(budget.bucket.wait_secs())))
        return None

    def limited(self, sio: socketio.AsyncServer,
                handler: Callable[..., Awaitable[dict[str, Any]]]) -> Callable[..., Awaitable[dict[str, Any]]]:
        """``handler`` run only within the connection's budget."""

        async def within_budget(sid: str, *args: Any) -> dict[str, Any]:
            budget = self.by_sid.get(sid)
            if budget is None:
                if not sio.manager.is_connected(sid, "/"):  # a late frame after the disconnect
                    return await handler(sid, *args)
                budget = self.by_sid.setdefault(sid, Budget(self.per_sec, self.burst))
            error = self.refusal(sid, budget)
            if error is not None:
                return wire.failed(error, await _lang(sio, sid))
            budget.in_flight += 1
            try:
                return await handler(sid, *args)
            finally:
                budget.in_flight -= 1

        return within_budget


async def _seat(sio: socketio.AsyncServer, sid: str) -> tuple[User | None, str | None]:
    """The connection's user and the language its answers are in, chosen at its handshake (:func:`_lang_of`)."""
    try:
        session = await sio.get_session(sid)
    except KeyError:
        return None, None
    user, lang = session.get("user"), session.get("lang")
    return user if isinstance(user, User) else None, lang if isinstance(lang, str) else None


async def _user(sio: socketio.AsyncServer, sid: str) -> User | None:
    return (await _seat(sio, sid))[0]


async def _lang(sio: socketio.AsyncServer, sid: str) -> str | None:
    return (await _seat(sio, sid))[1]


def _dispatcher(sio: socketio.AsyncServer, opened: Opened, fanout: Fanout, name: str, act: Action,
                sessions: SocketSessions, in_flight: InFlight,
                observer: observe.Observer) -> Callable[..., Awaitable[dict[str, Any]]]:
    schema = act.payload
    assert schema is not None, f"{name}: a Socket.IO event needs a payload schema"

    async def dispatch(sid: str, *args: Any) -> dict[str, Any]:
        with in_flight.track():  # a graceful stop answers it before closing the socket
            return await handle(sid, *args)

    async def handle(sid: str, *args: Any) -> dict[str, Any]:
        started = time.perf_counter()
        request_id = observe.begin()
        user, lang = await _seat(sio, sid)
        outcome_code, detail = "ok", ""
        try:
            if user is None:
                raise Unauthenticated("auth.missing")
            await sessions.check(sid)  # the token expired or was revoked since the handshake
            if len(args) > 1:
                raise InvalidRequest("request.invalid", detail="send one payload object")
            payload = args[0] if args else {}
            size = wire.payload_size(payload)
            if size > wire.EVENT_PAYLOAD_MAX_BYTES:
                raise InvalidRequest("request.too_large", limit_bytes=wire.EVENT_PAYLOAD_MAX_BYTES)
            data = wire.parse(schema, payload)
            outcome = await act.run(Context(user, opened.get(), Connection(sid, fanout)), data)
        except TwinspaceError as exc:
            outcome_code, detail = exc.code, str(exc.data.get("detail", ""))  # logged by server/logs.py
            return wire.failed(exc, lang)
        except Exception as exc:  # noqa: BLE001 - the client gets internal.error, the log the traceback
            error = wire.unexpected(exc, name)
            outcome_code = error.code
            return wire.failed(error, lang)
        finally:
            observer.finished(observe.Finished("event", name, outcome_code, time.perf_counter() - started,
                                               request_id, user.id if user else None, detail))
        ack = wire.ok(outcome.result)
        # Answered (when this returns, python-socketio queues the ack before any task runs), then told.
        fanout.after_answer(outcome.pushes)
        return ack

    return dispatch


__all__ = ["EVENTS", "register"]
