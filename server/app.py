"""The ASGI application: Starlette for REST, python-socketio for real time, one lifespan."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import socketio
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from rooms.errors import InvalidRequest, NotFound
from server import asyncapi, logs, observe
from server import metrics as metering
from server.auth import TokenVerifier
from server.http import demo, health, openapi, sdk, sessions
from server.http.api import ENDPOINTS
from server.http.headers import SecurityHeaders, TrustedHosts, slash_redirect
from server.http.routing import API_PREFIX, error_response, handle
from server.lifespan import lifespan
from server.origins import OriginPolicy
from server.realtime import direct, events, frames, managers, pubsub
from server.realtime.fanout import Fanout
from server.realtime.sessions import SocketSessions
from server.services import Opened
from server.settings import Settings
from server.tasks import InFlight
from server.wire import EVENT_PAYLOAD_MAX_BYTES

# The largest frame (one WebSocket message, one long-polling POST) a client may send, before or
# after authentication: the largest legitimate event's payload twice over (EVENT_PAYLOAD_MAX_BYTES
# counts the payload's UTF-8 with escapes aside; escaping every quote and backslash at most doubles
# it) plus the packet's framing (type, ack id, event name, namespace). Uploads go over REST. A larger
# frame is refused by the WebSocket layer from its header, before its body is read (uvicorn's
# ws_max_size, server/cli.py; the connection closes with 1009), and by python-engineio from the
# POST's Content-Length; an event between EVENT_PAYLOAD_MAX_BYTES and this still arrives and is
# answered with request.too_large. One connection's frames are read one at a time, so this is
# also what a connection costs in frames at once.
FRAME_OVERHEAD_BYTES = 4 * 1024
TRANSPORT_MAX_BYTES = 2 * EVENT_PAYLOAD_MAX_BYTES + FRAME_OVERHEAD_BYTES
FANOUT_CHANNEL = "twinspace"  # the Redis pub/sub channel every instance shares; rooms' are twinspace#/#ROOM
PING_INTERVAL_SECS = 20  # under common proxy idle time-outs (30-60 s)
PING_TIMEOUT_SECS = 20  # school Wi-Fi stalls; don't drop clients on a short hiccup

log = logging.getLogger("twinspace")


def package_version() -> str:
    try:
        return version("twinspace")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0.0.0"


class TwinspaceApp(socketio.ASGIApp):  # type: ignore[misc]  # python-socketio ships no types
    """The ASGI app, and the first step of a graceful stop (``server/cli.py`` runs it before uvicorn's own)."""

    def __init__(self, sio: socketio.AsyncServer, app: Starlette, in_flight: InFlight, drain_secs: float) -> None:
        super().__init__(sio, other_asgi_app=app)
        self._sio, self._in_flight, self._drain_secs = sio, in_flight, drain_secs

    async def drain(self) -> None:
        """Answer the events being handled (for at most ``drain_secs``), then close every Socket.IO connection.

        The connections are closed at the Engine.IO level, as a server going away does: a Socket.IO
        client takes that for a lost connection and reconnects at once (to another instance behind
        the load balancer), where a Socket.IO disconnect would end its session. Each connection's
        queued packets (the answers) go out before its close.
        """
        pending = self._in_flight.count
        if not await self._in_flight.settled(self._drain_secs):
            log.warning("stopping: %d event(s) still being handled after %s s; closing anyway",
                        self._in_flight.count, self._drain_secs)
        elif pending:
            log.info("stopping: the %d event(s) being handled were answered", pending)
        if self._sio.eio.sockets:
            await self._sio.eio.disconnect()


def create_app(settings: Settings, secret: str | None) -> Any:
    """The whole server as one ASGI app."""
    origins = OriginPolicy(settings)
    managers.install_writer_wait()
    managers.install_timer_pings()
    sio = socketio.AsyncServer(
        async_mode="asgi",
        client_manager=pubsub.client_manager(settings.fanout_url, FANOUT_CHANNEL, settings.fanout_pubsub),
        cors_allowed_origins=lambda origin, environ=None: origins.allows(origin),
        max_http_buffer_size=TRANSPORT_MAX_BYTES,
        serializer=frames.ProtocolPacket,  # no binary packets, no client-sent connect/disconnect
        ping_interval=PING_INTERVAL_SECS,
        ping_timeout=PING_TIMEOUT_SECS,
        logger=False,
        engineio_logger=False,
    )
    # Off unless an operator gives --metrics-token: then this app's own series (server/metrics.py)
    metrics = metering.Metrics() if settings.metrics_token else None
    opened, verifier, in_flight = Opened(), TokenVerifier(settings, secret), InFlight()
    fanout = Fanout(sio, metrics.publish if metrics else None)
    sockets = SocketSessions(sio, opened, verifier.leeway_secs)
    budgets = events.Budgets(settings.connection_requests_in_flight, settings.connection_requests_per_sec,
                             settings.connection_requests_burst, metrics.refused if metrics else None)
    observer = observe.Observer()  # the metrics and the log listen here (server/observe.py)
    observer.listen(logs.answered)
    if metrics is not None:
        observer.listen(metrics.finished)
        metrics.watch_sockets(sio.manager)
        if isinstance(sio.manager, pubsub.PromptListenerRedisManager):
            listener = sio.manager
            metrics.watch_listener(lambda: listener.heard_at)
            metrics.watch_seq_order(lambda: listener.order.held, lambda: listener.order.expired)
            listener.resubscribed = metrics.listener_reconnects.inc
        if isinstance(sio.manager, pubsub.RoomFanoutRedisManager):
            by_room = sio.manager
            metrics.watch_room_fanout(lambda: by_room.received, lambda: len(by_room.hosted))
    events.register(sio, opened, verifier, fanout, sockets, in_flight, budgets, observer)

    document = openapi.build(ENDPOINTS, package_version())
    events_document = asyncapi.build(package_version(), settings.public_url)
    sdk_file = sdk.load()  # the SDK's browser file, for portals (every server serves it)

    async def openapi_json(_: Request) -> JSONResponse:
        return JSONResponse(document)

    async def asyncapi_json(_: Request) -> JSONResponse:
        return JSONResponse(events_document)

    async def index(_: Request) -> JSONResponse:
        return JSONResponse({"name": "twinspace", "version": package_version(),
                             "api": API_PREFIX, "openapi": f"{API_PREFIX}/openapi.json",
                             "asyncapi": asyncapi.PATH, "socketio": "/socket.io/", "sdk": sdk_file.path})

    routes: list[BaseRoute] = [
        Route("/", index),
        Route("/healthz", health.healthz),
        Route("/readyz", health.readyz(opened)),
        Route(f"{API_PREFIX}/openapi.json", openapi_json),
        Route(asyncapi.PATH, asyncapi_json),
        Route(API_PREFIX + sessions.PATH, sessions.revoke(opened, sockets, settings.jwt_leeway_secs), methods=["POST"]),
    ]
    routes += sdk.routes(sdk_file)
    routes += [Route(API_PREFIX + ep.path, handle(ep, opened, verifier, fanout, observer, API_PREFIX),
                     methods=[ep.method]) for ep in ENDPOINTS]
    if metrics is not None and settings.metrics_token:
        routes.append(Route(metering.PATH, metering.endpoint(metrics, settings.metrics_token)))
    if settings.demo:  # the demo portal page hands out tokens: never on unless asked for
        routes += demo.routes(opened, settings, secret)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        path = request.url.path[:200]
        if exc.status_code == 404:
            return error_response(request, NotFound("request.not_found", path=path))
        if exc.status_code == 405:
            return error_response(request, InvalidRequest("request.method_not_allowed", path=path))
        return JSONResponse({"error": {"code": "request.invalid", "message": str(exc.detail)}},
                            status_code=exc.status_code)

    app = Starlette(
        routes=routes,
        lifespan=lifespan(settings, opened, sio, fanout, metrics),
        exception_handlers={HTTPException: http_error},
        middleware=[Middleware(CORSMiddleware, allow_origins=list(origins.exact) or [],
                               allow_origin_regex=origins.pattern if not origins.any else ".*",
                               allow_methods=["GET", "POST", "PATCH", "DELETE"],
                               allow_headers=["Authorization", "Content-Type", "Accept-Language"])],
    )
    app.router.redirect_slashes = False  # Starlette's redirect is absolute, built from the Host header
    app.router.default = slash_redirect(app.router)
    app.state.services = opened
    app.state.sio = sio
    app.state.observer = observer
    app.state.metrics = metrics  # None when off
    served = TwinspaceApp(sio, app, in_flight, settings.shutdown_drain_secs)
    # Outermost, so that they cover Socket.IO and the answers of Starlette's own error handler too.
    return Stoppable(SecurityHeaders(TrustedHosts(logging_oversized_frames(served), settings.allowed_hosts),
                                     settings.public_url), served.drain)


class Stoppable:
    """The outermost ASGI app, which keeps the way to stop gracefully (``server/cli.py`` calls ``drain``)."""

    def __init__(self, app: Any, drain: Callable[[], Awaitable[None]]) -> None:
        self._app = app
        self.drain = drain

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "websocket":
            direct.note_protocol(scope, send)  # for pushes written directly (server/realtime/direct.py)
        await self._app(scope, receive, send)


FRAME_TOO_BIG = 1009  # the WebSocket close code for a message over ws_max_size (RFC 6455)


def logging_oversized_frames(app: Any) -> Any:
    """``app``, with the refusals made below it logged like every refused frame (frames.refusals).

    The WebSocket layer refuses a frame over TRANSPORT_MAX_BYTES and tells the app only through
    the disconnect's close code; python-engineio refuses a long-polling POST over it from its
    Content-Length and logs nothing.
    """

    async def asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope.get("method") == "POST":
            length = dict(scope.get("headers") or []).get(b"content-length", b"0")
            if length.isdigit() and int(length) > TRANSPORT_MAX_BYTES:
                frames.refusals.refused("too_large", f"a POST of {int(length)} bytes")
        if scope["type"] != "websocket":
            await app(scope, receive, send)
            return

        async def receiving() -> Any:
            message = await receive()
            if message.get("type") == "websocket.disconnect" and message.get("code") == FRAME_TOO_BIG:
                frames.refusals.refused("too_large", f"a frame over {TRANSPORT_MAX_BYTES} bytes")
            return message

        await app(scope, receiving, send)

    return asgi
