"""REST endpoints: one declaration per route, shared by the router and the OpenAPI document.

Every endpoint goes through :func:`handle`: authenticate (``Authorization:
Bearer``), read a bounded JSON body, validate it against the endpoint's
schema, call the handler, and turn any :class:`TwinspaceError` into
``{"error": {"code", "message"}}`` with its HTTP status.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from rooms.errors import InvalidRequest, TwinspaceError, Unauthenticated
from rooms.models import User
from server import wire
from server.runtime import Runtime

log = logging.getLogger("twinspace.http")

API_PREFIX = "/api/v1"


@dataclass(frozen=True)
class Call:
    """What a REST handler receives."""

    request: Request
    user: User
    runtime: Runtime

    def param(self, name: str) -> str:
        return str(self.request.path_params[name])


Handler = Callable[[Call, Any], Awaitable[Any]]


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # below API_PREFIX
    handler: Handler
    summary: str
    body: type[BaseModel] | None = None
    response: Any = None  # a model, list[model], or None for no content
    status: int = 200
    query: tuple[tuple[str, str], ...] = ()  # (name, description) of optional query parameters
    tag: str = "projects"
    raw_body: str | None = None  # the media type of a streamed, non-JSON request body


def request_lang(request: Request, user: User | None = None) -> str:
    if user is not None:
        return user.lang
    header = request.headers.get("accept-language", "")
    return header[:2].lower() if header else "en"


def error_response(request: Request, error: TwinspaceError, user: User | None = None) -> JSONResponse:
    headers = {}
    if error.status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if "retry_after_secs" in error.data:
        headers["Retry-After"] = str(error.data["retry_after_secs"])
    return JSONResponse({"error": wire.error_body(error, request_lang(request, user))},
                        status_code=error.status, headers=headers)


async def read_body(request: Request, limit: int = wire.REST_BODY_MAX_BYTES) -> bytes:
    """The request body, refused with ``request.too_large`` past ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise InvalidRequest("request.too_large", limit_bytes=limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise InvalidRequest("request.too_large", limit_bytes=limit)
        chunks.append(chunk)
    return b"".join(chunks)


async def authenticate(request: Request, runtime: Runtime) -> User:
    header = request.headers.get("authorization")
    if not header:
        raise Unauthenticated("auth.missing")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("auth.malformed")
    return await runtime.verifier.verify(token.strip())


def handle(endpoint: Endpoint, runtime: Runtime) -> Callable[[Request], Awaitable[Response]]:
    async def route(request: Request) -> Response:
        user: User | None = None
        try:
            user = await authenticate(request, runtime)
            data = None
            if endpoint.body is not None:
                data = wire.parse_json(endpoint.body, await read_body(request))
            result = await endpoint.handler(Call(request, user, runtime), data)
            if isinstance(result, Response):  # streamed files, redirects
                return result
            if endpoint.response is None:
                return Response(status_code=204)
            return JSONResponse(wire.jsonable(result), status_code=endpoint.status)
        except TwinspaceError as exc:
            log.warning("rejected %s %s user=%s code=%s %s", request.method, request.url.path,
                        user.id if user else None, exc.code, exc.data.get("detail", ""))
            return error_response(request, exc, user)
        except Exception as exc:  # noqa: BLE001 - the client gets internal.error, the log the traceback
            return error_response(request, wire.unexpected(exc, f"{request.method} {request.url.path}"), user)

    return route
