"""The ASGI application: Starlette for REST, python-socketio for real time, one lifespan."""

from __future__ import annotations

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
from server.auth import TokenVerifier
from server.http import demo, health, openapi, sessions
from server.http.api import ENDPOINTS
from server.http.headers import SecurityHeaders, TrustedHosts, slash_redirect
from server.http.routing import API_PREFIX, error_response, handle
from server.lifespan import lifespan
from server.origins import OriginPolicy
from server.realtime import events, managers
from server.realtime.fanout import Fanout
from server.realtime.sessions import SocketSessions
from server.services import Opened
from server.settings import Settings
from server.wire import EVENT_PAYLOAD_MAX_BYTES

# Transport cap on one Engine.IO packet. Above EVENT_PAYLOAD_MAX_BYTES on purpose: an
# oversized event still arrives and is answered with request.too_large instead of
# a dropped connection; this cap only stops abuse.
TRANSPORT_MAX_BYTES = 16 * 1024 * 1024
assert TRANSPORT_MAX_BYTES > EVENT_PAYLOAD_MAX_BYTES
FANOUT_CHANNEL = "twinspace"  # the Redis pub/sub channel every instance shares
PING_INTERVAL_SECS = 20  # under common proxy idle time-outs (30-60 s)
PING_TIMEOUT_SECS = 20  # school Wi-Fi stalls; don't drop clients on a short hiccup


def package_version() -> str:
    try:
        return version("twinspace")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0.0.0"


def create_app(settings: Settings, secret: str | None) -> Any:
    """The whole server as one ASGI app."""
    origins = OriginPolicy(settings)
    managers.install_writer_wait()
    sio = socketio.AsyncServer(
        async_mode="asgi",
        client_manager=managers.client_manager(settings.fanout_url, FANOUT_CHANNEL),
        cors_allowed_origins=lambda origin, environ=None: origins.allows(origin),
        max_http_buffer_size=TRANSPORT_MAX_BYTES,
        ping_interval=PING_INTERVAL_SECS,
        ping_timeout=PING_TIMEOUT_SECS,
        logger=False,
        engineio_logger=False,
    )
    opened, verifier, fanout = Opened(), TokenVerifier(settings, secret), Fanout(sio)
    sockets = SocketSessions(sio, opened, verifier.leeway_secs)
    events.register(sio, opened, verifier, fanout, sockets)

    document = openapi.build(ENDPOINTS, package_version())

    async def openapi_json(_: Request) -> JSONResponse:
        return JSONResponse(document)

    async def index(_: Request) -> JSONResponse:
        return JSONResponse({"name": "twinspace", "version": package_version(),
                             "api": API_PREFIX, "openapi": f"{API_PREFIX}/openapi.json",
                             "socketio": "/socket.io/"})

    routes: list[BaseRoute] = [
        Route("/", index),
        Route("/healthz", health.healthz),
        Route("/readyz", health.readyz(opened)),
        Route(f"{API_PREFIX}/openapi.json", openapi_json),
        Route(API_PREFIX + sessions.PATH, sessions.revoke(opened, sockets, settings.jwt_leeway_secs), methods=["POST"]),
    ]
    routes += [Route(API_PREFIX + ep.path, handle(ep, opened, verifier, fanout), methods=[ep.method])
               for ep in ENDPOINTS]
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
        lifespan=lifespan(settings, opened, sio, fanout),
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
    # Outermost, so that they cover Socket.IO and the answers of Starlette's own error handler too.
    return SecurityHeaders(TrustedHosts(socketio.ASGIApp(sio, other_asgi_app=app), settings.allowed_hosts),
                           settings.public_url)
