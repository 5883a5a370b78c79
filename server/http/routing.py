"""REST endpoints: one declaration per route, shared by the router and the OpenAPI document.

Each endpoint runs an action (``server/actions/base.py``), the same shape
Socket.IO events run. :func:`handle` authenticates (``Authorization:
Bearer``), reads a bounded JSON body, builds the action's payload from the
path, the declared query parameters and the body, validates it, runs the
action, answers, and sends the action's pushes once the response has gone
(a Starlette background task). Any :class:`TwinspaceError` becomes
``{"error": {"code", "message"}}`` with its HTTP status.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from rooms.errors import InvalidRequest, TwinspaceError, Unauthenticated
from rooms.models import User
from server import i18n, observe, wire
from server.actions.base import Action, Context
from server.auth import TokenVerifier
from server.realtime.fanout import Fanout
from server.services import Opened

API_PREFIX = "/api/v1"

# (request, validated JSON body or None) -> the action's payload, for payloads that are not JSON
Bind = Callable[[Request, BaseModel | None], Awaitable[Any]]
# (context, path parameters) -> None: the resources a path names belong together (``*.not_found`` otherwise)
Check = Callable[[Context, dict[str, str]], Awaitable[None]]


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # below API_PREFIX
    action: Action
    summary: str
    body: type[BaseModel] | None = None  # the JSON body's schema; path and query parameters are added to it
    status: int = 200
    query: tuple[tuple[str, str], ...] = ()  # (name, description) of optional query parameters
    tag: str = "projects"
    raw_body: str | None = None  # the media type of a streamed, non-JSON request body
    bind: Bind | None = None
    check: Check | None = None
    response: Any = ...  # what the answer holds, when it is not the action's result (a file's bytes)

    @property
    def answers(self) -> Any:
        return self.action.result if self.response is ... else self.response


def request_lang(request: Request, user: User | None = None) -> str:
    """The language of the request's messages: the token's ``lang``, else its ``Accept-Language``."""
    return i18n.negotiate(user.lang if user else None, accept_language=request.headers.get("accept-language"))


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


async def authenticate(request: Request, verifier: TokenVerifier) -> User:
    header = request.headers.get("authorization")
    if not header:
        raise Unauthenticated("auth.missing")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("auth.malformed")
    return await verifier.verify(token.strip())


def _payload(endpoint: Endpoint, request: Request, body: BaseModel | None) -> Any:
    """The action's payload: the declared query parameters given, the body, the path parameters it names."""
    schema = endpoint.action.payload
    if schema is None:
        return None
    fields = schema.model_fields
    data: dict[str, Any] = {name: request.query_params[name] for name, _ in endpoint.query
                            if name in request.query_params}
    if body is not None:
        data.update(body.model_dump(exclude_unset=True))  # what was left out stays left out (partial updates)
    data.update({k: v for k, v in request.path_params.items() if k in fields})  # the path names the resource
    return wire.parse(schema, data)


def handle(endpoint: Endpoint, opened: Opened, verifier: TokenVerifier, fanout: Fanout,
           observer: observe.Observer, prefix: str = "") -> Callable[[Request], Awaitable[Response]]:
    name = f"{endpoint.method} {prefix}{endpoint.path}"  # the template: no id of a concrete path

    async def route(request: Request) -> Response:
        started = time.perf_counter()
        request_id = observe.begin()
        user: User | None = None
        outcome_code, detail = "ok", ""
        try:
            user = await authenticate(request, verifier)
            ctx = Context(user, opened.get())
            body = None
            if endpoint.body is not None:
                body = wire.parse_json(endpoint.body, await read_body(request))
            if endpoint.check is not None:
                await endpoint.check(ctx, {k: str(v) for k, v in request.path_params.items()})
            payload = (await endpoint.bind(request, body) if endpoint.bind is not None
                       else _payload(endpoint, request, body))
            outcome = await endpoint.action.run(ctx, payload)
            result = outcome.result
            if isinstance(result, Response):  # streamed files, redirects
                response = result
            elif endpoint.answers is None:
                response = Response(status_code=204)
            else:
                response = JSONResponse(wire.jsonable(result), status_code=endpoint.status)
        except TwinspaceError as exc:
            outcome_code, detail = exc.code, str(exc.data.get("detail", ""))  # logged by server/logs.py
            return error_response(request, exc, user)
        except Exception as exc:  # noqa: BLE001 - the client gets internal.error, the log the traceback
            error = wire.unexpected(exc, f"{request.method} {request.url.path}")
            outcome_code = error.code
            return error_response(request, error, user)
        finally:
            observer.finished(observe.Finished("route", name, outcome_code, time.perf_counter() - started,
                                               request_id, user.id if user else None, detail))
        if outcome.pushes:  # answered, then told
            response.background = BackgroundTask(fanout.deliver, outcome.pushes)
        return response

    return route
