"""The one table of Socket.IO events, and the dispatcher every event goes through.

Events are registered from ``EVENTS`` (colons in ``area:verb`` names are
not identifiers, so no ``on_`` methods). Each is an action
(``server/actions/base.py``), the same shape REST endpoints run. The
dispatcher checks the size, validates the payload against the action's
schema, runs the action, returns the ack envelope and, once the ack is
queued, hands the action's pushes to the fan-out; it logs every refusal.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import socketio

from rooms.errors import InvalidRequest, TwinspaceError, Unauthenticated
from rooms.models import User
from server import wire
from server.actions import audit, chat, forum, mail, moderation, privacy, projects, reports
from server.actions.base import Action, Connection, Context
from server.auth import TokenVerifier
from server.channels import user_channel
from server.realtime.fanout import Fanout
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
}


def _lang_of(environ: dict[str, Any], auth: Any) -> str:
    if isinstance(auth, dict) and isinstance(auth.get("lang"), str):
        return str(auth["lang"][:2].lower())
    header = environ.get("HTTP_ACCEPT_LANGUAGE", "")
    return str(header[:2].lower()) if header else "en"


def register(sio: socketio.AsyncServer, opened: Opened, verifier: TokenVerifier, fanout: Fanout,
             in_flight: InFlight | None = None) -> None:
    """Attach connect/disconnect, every event of ``EVENTS`` and the catch-all to ``sio``."""

    async def connect(sid: str, environ: dict[str, Any], auth: Any) -> None:
        token = auth.get("token") if isinstance(auth, dict) else None
        try:
            user = await verifier.verify(token)
        except Unauthenticated as exc:
            log.warning("refused connection sid=%s code=%s %s", sid, exc.code, exc.data.get("detail", ""))
            body = wire.error_body(exc, _lang_of(environ, auth))
            raise socketio.exceptions.ConnectionRefusedError(body["message"], body) from None
        await sio.save_session(sid, {"user": user})
        await fanout.subscribe(sid, user_channel(user.id))
        if opened.is_open:
            await reports.connected(Context(user, opened.get(), Connection(sid, fanout)))
        log.info("connected sid=%s user=%s role=%s", sid, user.id, user.role)

    async def disconnect(sid: str, reason: Any = None) -> None:
        user = await _user(sio, sid)
        if user is not None and opened.is_open:
            try:
                ctx = Context(user, opened.get(), Connection(sid, fanout))
                await reports.disconnected(ctx)
                await fanout.deliver(await chat.disconnected(ctx))
            except Exception as exc:  # noqa: BLE001 - a disconnect has nobody to answer
                wire.unexpected(exc, "disconnect")
        log.info("disconnected sid=%s reason=%s", sid, reason)

    sio.on("connect", handler=connect)
    sio.on("disconnect", handler=disconnect)

    for name, act in EVENTS.items():
        sio.on(name, handler=_dispatcher(sio, opened, fanout, name, act, in_flight or InFlight()))

    async def unknown(event: str, sid: str, *args: Any) -> dict[str, Any]:
        user = await _user(sio, sid)
        error = InvalidRequest("request.invalid", detail=f"unknown event {str(event)[:100]!r}")
        log.warning("rejected event=%r user=%s code=%s", str(event)[:100], user.id if user else None, error.code)
        return wire.failed(error, user.lang if user else None)

    sio.on("*", handler=unknown)


async def _user(sio: socketio.AsyncServer, sid: str) -> User | None:
    try:
        session = await sio.get_session(sid)
    except KeyError:
        return None
    user = session.get("user")
    return user if isinstance(user, User) else None


def _dispatcher(sio: socketio.AsyncServer, opened: Opened, fanout: Fanout, name: str,
                act: Action, in_flight: InFlight) -> Callable[..., Awaitable[dict[str, Any]]]:
    schema = act.payload
    assert schema is not None, f"{name}: a Socket.IO event needs a payload schema"

    async def dispatch(sid: str, *args: Any) -> dict[str, Any]:
        with in_flight.track():  # a graceful stop answers it before closing the socket
            return await handle(sid, *args)

    async def handle(sid: str, *args: Any) -> dict[str, Any]:
        user = await _user(sio, sid)
        lang = user.lang if user else None
        try:
            if user is None:
                raise Unauthenticated("auth.missing")
            if len(args) > 1:
                raise InvalidRequest("request.invalid", detail="send one payload object")
            payload = args[0] if args else {}
            size = wire.payload_size(payload)
            if size > wire.EVENT_PAYLOAD_MAX_BYTES:
                raise InvalidRequest("request.too_large", limit_bytes=wire.EVENT_PAYLOAD_MAX_BYTES)
            data = wire.parse(schema, payload)
            outcome = await act.run(Context(user, opened.get(), Connection(sid, fanout)), data)
        except TwinspaceError as exc:
            log.warning("rejected event=%s user=%s code=%s %s", name, user.id if user else None,
                        exc.code, exc.data.get("detail", ""))
            return wire.failed(exc, lang)
        except Exception as exc:  # noqa: BLE001 - the client gets internal.error, the log the traceback
            return wire.failed(wire.unexpected(exc, name), lang)
        ack = wire.ok(outcome.result)
        # Answered (when this returns, python-socketio queues the ack before any task runs), then told.
        fanout.after_answer(outcome.pushes)
        return ack

    return dispatch


__all__ = ["EVENTS", "register"]
