"""``POST /api/v1/sessions/revoke``: a portal ends a person's sessions, on every instance at once.

Who may call it: the portal itself, with the server's administration token
(``--admin-token``, sent as ``Authorization: Bearer``), not a person's JWT:
cutting anyone off is the portal's decision (a stolen password, a pupil
leaving the school), made by its own accounts, and a person's token (even a
support officer's) would let whoever holds one end everybody's sessions.
Without ``--admin-token`` the endpoint refuses every call.

Body ``{"user_id": "...", "jti": "..."?}``. Without ``jti``, every token of
the person issued up to now (``iat`` at or before this moment, or without
``iat``) is refused from now on: tokens the portal issues afterwards work.
With ``jti``, only that token. The deny-list entry lasts as long as the
longest token may (``--jwt-max-lifetime-secs`` plus the leeway). Every open
socket of the person is told ``session:ended`` and disconnected at once
(with ``jti``, all of them: those on other tokens reconnect at once).
Answer: ``{"user_id", "jti", "disconnected": N}``.
"""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Awaitable, Callable

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from rooms.errors import TwinspaceError, Unauthenticated
from server import observe, wire
from server.http.routing import error_response, read_body
from server.realtime.sessions import SocketSessions
from server.services import Opened

log = logging.getLogger("twinspace.sessions")

PATH = "/sessions/revoke"


class Revoke(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: str = Field(min_length=1, max_length=200)
    jti: str | None = Field(default=None, min_length=1, max_length=200)


def _admin(request: Request, admin_token: str | None) -> None:
    header = request.headers.get("authorization")
    if not header:
        raise Unauthenticated("auth.missing")
    scheme, _, token = header.partition(" ")
    if (admin_token is None or scheme.lower() != "bearer"
            or not hmac.compare_digest(token.strip().encode(), admin_token.encode())):
        raise Unauthenticated("auth.admin_required")


def revoke(opened: Opened, sessions: SocketSessions, leeway_secs: int) -> Callable[[Request], Awaitable[Response]]:
    async def route(request: Request) -> Response:
        observe.begin()  # its log lines and its error answer carry the same id
        try:
            services = opened.get()
            settings = services.settings
            _admin(request, settings.admin_token)
            body = wire.parse_json(Revoke, await read_body(request))
            await services.sessions.revoke(body.user_id, body.jti, time.time(),
                                           settings.jwt_max_lifetime_secs + leeway_secs)
            ended = await sessions.end_user(body.user_id, "auth.revoked")
        except TwinspaceError as exc:
            log.warning("refused session revocation code=%s %s", exc.code, exc.data.get("detail", ""))
            return error_response(request, exc)
        log.info("revoked sessions of user=%s jti=%s: %d socket(s) ended", body.user_id, body.jti, ended)
        return JSONResponse({"user_id": body.user_id, "jti": body.jti, "disconnected": ended})
    return route


__all__ = ["PATH", "Revoke", "revoke"]
