"""The demo portal page at ``/demo`` and the two endpoints behind it (only with ``--demo true``).

The page (``server/demo/``) plays the part of a school portal: it lets a
visitor pick one of the demo project's people and hands the browser a
token for them. Behind it:

- ``GET /demo/api/users``: the people one may be, with their role and country;
- ``POST /demo/api/session`` with ``{"user": KEY}``: creates the demo project on
  first use (the same one ``twinspace seed-demo`` makes, in the running
  server's own store) and answers ``{url, project_id, rooms, forum_id, token,
  user}``, the token signed with the server's HS256 secret.

Anyone who can reach the server gets those tokens, which is why the setting
is off by default. A server that only verifies a portal's public keys has
no secret to sign with: the session endpoint answers 501 ``demo.no_secret``.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route, Router
from starlette.staticfiles import StaticFiles

from rooms.errors import InvalidRequest, TwinspaceError, Unavailable
from rooms.models import User
from server import observe, seed, wire
from server.http.headers import slash_redirect
from server.http.routing import error_response, read_body
from server.services import Opened
from server.settings import Settings

log = logging.getLogger("twinspace.demo")

PAGE_DIR = Path(__file__).resolve().parent.parent / "demo"
PREFIX = "/demo"
SESSION_BODY_MAX_BYTES = 4 * 1024  # {"user": "teacher_fr"} and nothing more
# The people the page offers: the project's members (the support officer belongs to no project).
DEMO_KEYS = tuple(key for key, person in seed.PEOPLE.items() if person.role != "support")
NO_STORE = {"Cache-Control": "no-store"}  # answers carry tokens


class SessionIn(BaseModel):
    """Who the visitor of the demo page wants to be."""

    model_config = ConfigDict(extra="forbid")
    user: str


def _person(key: str, person: User) -> dict[str, Any]:
    return {"key": key, "id": person.id, "name": person.name, "role": person.role, "country": person.country,
            "school": person.school, "lang": person.lang}


def routes(opened: Opened, settings: Settings, secret: str | None) -> list[BaseRoute]:
    """The routes to mount when ``settings.demo`` is on."""
    lock = asyncio.Lock()  # two tabs picking people at once create the project once

    async def users(_: Request) -> JSONResponse:
        return JSONResponse({"users": [_person(key, seed.PEOPLE[key]) for key in DEMO_KEYS]})

    async def session(request: Request) -> Response:
        observe.begin()  # its log lines and its error answer carry the same id
        try:
            data = wire.parse_json(SessionIn, await read_body(request, SESSION_BODY_MAX_BYTES))
            if data.user not in DEMO_KEYS:
                raise InvalidRequest("request.invalid",
                                     detail=f"user: no demo user {data.user[:40]!r}; one of {', '.join(DEMO_KEYS)}")
            if secret is None:
                raise Unavailable("demo.no_secret", detail="no HS256 secret to sign with")
            documents = opened.get().documents
            async with lock:
                project = await seed.ensure_project(documents)
        except TwinspaceError as exc:
            log.warning("demo: refused POST %s code=%s %s", request.url.path, exc.code, exc.data.get("detail", ""))
            return error_response(request, exc)
        except Exception as exc:  # noqa: BLE001 - the client gets internal.error, the log the traceback
            return error_response(request, wire.unexpected(exc, f"POST {request.url.path}"))
        person = seed.PEOPLE[data.user]
        log.info("demo: session for %s in %s", person.id, project["project_id"])
        return JSONResponse({"url": settings.public_url, **project,
                             "token": seed.token_for(secret, settings, person),
                             "user": _person(data.user, person)}, headers=NO_STORE)

    async def to_page(_: Request) -> RedirectResponse:
        return RedirectResponse(PREFIX + "/", status_code=307)

    api = Router([Route("/users", users, methods=["GET"]), Route("/session", session, methods=["POST"])],
                 redirect_slashes=False)  # Starlette's redirect is absolute, built from the Host header
    api.default = slash_redirect(api)
    return [
        Mount(PREFIX + "/api", app=api),  # before the page's files, so that a wrong method gets 405
        Route(PREFIX, to_page),
        Mount(PREFIX, app=StaticFiles(directory=PAGE_DIR, html=True), name="demo"),
    ]
