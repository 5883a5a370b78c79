"""The one table of Socket.IO events, and the dispatcher every event goes through.

Handlers are registered from ``EVENTS`` (colons in ``area:verb`` names are
not identifiers, so no ``on_`` methods). The dispatcher checks the size,
validates the payload against the event's schema, calls the handler and
returns the ack envelope; it logs every refusal.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import socketio
from pydantic import BaseModel

from rooms.errors import InvalidRequest, TwinspaceError, Unauthenticated
from server import wire
from server.actions import forum as forum_actions
from server.actions import mail as mail_actions
from server.realtime import chat, projects
from server.realtime.fanout import user_channel
from server.realtime.session import Session
from server.runtime import Runtime

log = logging.getLogger("twinspace.events")

Handler = Callable[[Session, Any], Awaitable[Any]]

Event = tuple[type[BaseModel], Handler, Any]  # payload schema, handler, ack data (for the protocol document)


def _from_actions(actions: dict[str, tuple[type[BaseModel], Any, Any]]) -> dict[str, Event]:
    """Events for actions shared with REST, which take (runtime, user, payload)."""
    def adapt(action: Any) -> Handler:
        async def handler(session: Session, data: Any) -> Any:
            return await action(session.runtime, session.user, data)
        return handler
    return {name: (schema, adapt(action), ack) for name, (schema, action, ack) in actions.items()}


EVENTS: dict[str, Event] = {
    **projects.EVENTS,
    **chat.EVENTS,
    **_from_actions(forum_actions.ACTIONS),
    **_from_actions(mail_actions.ACTIONS),
}



def _lang_of(environ: dict[str, Any], auth: Any) -> str:
    if isinstance(auth, dict) and isinstance(auth.get("lang"), str):
        return auth["lang"][:2].lower()
    header = environ.get("HTTP_ACCEPT_LANGUAGE", "")
    return header[:2].lower() if header else "en"


def register(sio: socketio.AsyncServer, runtime: Runtime) -> None:
    """Attach connect/disconnect, every event of ``EVENTS`` and the catch-all to ``sio``."""

    async def connect(sid: str, environ: dict[str, Any], auth: Any) -> None:
        token = auth.get("token") if isinstance(auth, dict) else None
        try:
            user = await runtime.verifier.verify(token)
        except Unauthenticated as exc:
            log.warning("refused connection sid=%s code=%s %s", sid, exc.code, exc.data.get("detail", ""))
            body = wire.error_body(exc, _lang_of(environ, auth))
            raise socketio.exceptions.ConnectionRefusedError(body["message"], body) from None
        await sio.save_session(sid, {"user": user})
        await runtime.fanout.subscribe(sid, user_channel(user.id))
        log.info("connected sid=%s user=%s role=%s", sid, user.id, user.role)

    async def disconnect(sid: str, reason: Any = None) -> None:
        user = await _user(sio, sid)
        if user is not None:
            try:
                await chat.on_disconnect(Session(sid, user, runtime))
            except Exception as exc:  # noqa: BLE001 - a disconnect has nobody to answer
                wire.unexpected(exc, "disconnect")
        log.info("disconnected sid=%s reason=%s", sid, reason)

    sio.on("connect", handler=connect)
    sio.on("disconnect", handler=disconnect)

    for name, (schema, handler, _ack) in EVENTS.items():
        sio.on(name, handler=_dispatcher(sio, runtime, name, schema, handler))

    async def unknown(event: str, sid: str, *args: Any) -> dict[str, Any]:
        user = await _user(sio, sid)
        error = InvalidRequest("request.invalid", detail=f"unknown event {str(event)[:100]!r}")
        log.warning("rejected event=%r user=%s code=%s", str(event)[:100], user.id if user else None, error.code)
        return wire.failed(error, user.lang if user else None)

    sio.on("*", handler=unknown)


async def _user(sio: socketio.AsyncServer, sid: str) -> Any:
    try:
        session = await sio.get_session(sid)
    except KeyError:
        return None
    return session.get("user")


def _dispatcher(sio: socketio.AsyncServer, runtime: Runtime, name: str, schema: type[BaseModel],
                handler: Handler) -> Callable[..., Awaitable[dict[str, Any]]]:
    async def dispatch(sid: str, *args: Any) -> dict[str, Any]:
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
            result = await handler(Session(sid, user, runtime), data)
            return wire.ok(result)
        except TwinspaceError as exc:
            log.warning("rejected event=%s user=%s code=%s %s", name, user.id if user else None,
                        exc.code, exc.data.get("detail", ""))
            return wire.failed(exc, lang)
        except Exception as exc:  # noqa: BLE001 - the client gets internal.error, the log the traceback
            return wire.failed(wire.unexpected(exc, name), lang)

    return dispatch


__all__ = ["EVENTS", "register"]
