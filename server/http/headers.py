"""What every HTTP answer carries, whatever endpoint made it: host check, redirects, security headers.

- ``TrustedHosts``: Starlette's ``TrustedHostMiddleware`` driven by ``--allowed-hosts``.
  An answer is never built for a forged ``Host`` (absolute URLs, links in e-mails,
  cache keys); a refused host gets ``request.host_not_allowed`` like every refusal.
  The health probes (``/healthz``, ``/readyz``) and ``/metrics`` answer whatever the host.
- ``slash_redirect``: ``/a/`` to ``/a`` (and back) as a *relative* redirect. Starlette's own
  builds an absolute URL from the ``Host`` header, which made the server redirect to
  whatever host a client named.
- ``SecurityHeaders``: by what an answer is (see ``headers_for``):

  - every answer: ``X-Content-Type-Options: nosniff`` (a browser takes the declared type);
  - the API (JSON, personal data): ``Cache-Control: no-store``, a CSP that loads nothing and
    may not be framed;
  - downloads (``GET /api/v1/files/{id}``): ``Content-Security-Policy: sandbox``: a shared
    file opened in the browser runs in an opaque origin, without scripts, forms or plugins,
    so an HTML-like or scripted file (a PDF with JavaScript) cannot reach the API as its
    viewer;
  - the SDK's browser file (``/sdk/``, ``server/http/sdk.py``): ``Cross-Origin-Resource-Policy:
    cross-origin``, so that a portal isolated with ``Cross-Origin-Embedder-Policy`` may load it;
    the file sets its own long ``Cache-Control``;
  - the demo page: a CSP allowing only its own scripts, styles and the server (no inline
    scripts: ``body_html`` shown in it could never run), and no framing by other sites.

  A header the endpoint set itself is kept (a download's ``Cache-Control``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from urllib.parse import quote, urlsplit

from starlette.datastructures import MutableHeaders
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.routing import Match, Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rooms.errors import InvalidRequest
from server import wire
from server.http.routing import API_PREFIX

log = logging.getLogger("twinspace.http")

FILES_PREFIX = API_PREFIX + "/files/"
DEMO_PREFIX = "/demo"
SDK_PREFIX = "/sdk/"
NOSNIFF = ("x-content-type-options", "nosniff")
NO_FRAMES = ("x-frame-options", "DENY")  # for browsers without CSP frame-ancestors
API_CSP = "default-src 'none'; frame-ancestors 'none'"
DOWNLOAD_CSP = "sandbox"
_ADMITTED = "twinspace.host_admitted"
# Answered whatever the Host: a load balancer's or orchestrator's probe, and Prometheus scraping each
# instance (``/metrics``, behind its token), name the instance by its address, and these answers say
# only whether it runs and how busy it is; nothing in them comes from the Host.
PROBES = ("/healthz", "/readyz", "/metrics")
_PATH_SAFE = "/!$&'()*+,;=:@-._~"


def demo_csp(public_url: str) -> str:
    """The demo page's policy: its own files only; it talks to this server (``public_url``) alone."""
    parts = urlsplit(public_url)
    own = f"{parts.scheme}://{parts.netloc}"
    socket = ("wss" if parts.scheme == "https" else "ws") + f"://{parts.netloc}"
    return ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
            f"connect-src 'self' {own} {socket}; font-src 'self'; form-action 'self'; base-uri 'none'; "
            "object-src 'none'; frame-ancestors 'none'")


def headers_for(path: str, demo_policy: str) -> list[tuple[str, str]]:
    """The security headers an answer to ``path`` gets (unless it set them itself)."""
    if path.startswith(FILES_PREFIX) and "/" not in path[len(FILES_PREFIX):]:
        return [NOSNIFF, ("content-security-policy", DOWNLOAD_CSP)]
    if path.startswith(SDK_PREFIX):
        return [NOSNIFF, ("cross-origin-resource-policy", "cross-origin"), ("cache-control", "no-store")]
    if path == DEMO_PREFIX or path.startswith(DEMO_PREFIX + "/"):
        extra = [("cache-control", "no-store")] if path.startswith(DEMO_PREFIX + "/api/") else []
        return [NOSNIFF, NO_FRAMES, ("content-security-policy", demo_policy), *extra]
    return [NOSNIFF, NO_FRAMES, ("content-security-policy", API_CSP), ("cache-control", "no-store")]


class SecurityHeaders:
    """Adds ``headers_for`` an answer's path to every HTTP answer of ``app``."""

    def __init__(self, app: ASGIApp, public_url: str) -> None:
        self.app = app
        self._demo_policy = demo_csp(public_url)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = headers_for(scope["path"], self._demo_policy)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in extra:
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, with_headers)


class TrustedHosts(TrustedHostMiddleware):
    """Starlette's host check; its refusal answered as ``request.host_not_allowed``."""

    def __init__(self, app: ASGIApp, allowed_hosts: Sequence[str]) -> None:
        async def admitted(scope: Scope, receive: Receive, send: Send) -> None:
            scope[_ADMITTED] = True
            await app(scope, receive, send)

        super().__init__(admitted, allowed_hosts=list(allowed_hosts), www_redirect=False)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or scope.get("path") in PROBES:
            await self.app(scope, receive, send)
            return

        async def refuse(message: Message) -> None:
            if scope.get(_ADMITTED):
                await send(message)
                return
            if message["type"].endswith("http.response.start"):
                host = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1")[:100]
                log.warning("refused %s %s: host %r is not in --allowed-hosts", scope.get("method", "WS"),
                            str(scope.get("path", ""))[:200], host)
                body = json.dumps({"error": wire.error_body(InvalidRequest("request.host_not_allowed"), "en")})
                message = {**message, "headers": [(b"content-type", b"application/json"),
                                                  (b"content-length", str(len(body)).encode())]}
                await send(message)
                await send({"type": message["type"].replace("start", "body"), "body": body.encode()})
            # the refusal's own body was replaced by ours

        await super().__call__(scope, receive, refuse)


def slash_redirect(router: Router) -> ASGIApp:
    """The router's fallback: a path that matches with its trailing slash added or removed gets
    a relative redirect there (307: the method and body are kept); anything else is not found."""
    not_found = router.default

    async def default(scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"]
        if scope["type"] == "http" and path != "/":
            other = path.rstrip("/") if path.endswith("/") else path + "/"
            probe = {**scope, "path": other}
            if any(route.matches(probe)[0] is not Match.NONE for route in router.routes):
                location = "/" + quote(other, safe=_PATH_SAFE).lstrip("/")  # never //host: a relative path
                query = scope.get("query_string", b"").decode("latin-1")
                await send({"type": "http.response.start", "status": 307,
                            "headers": [(b"location", (location + ("?" + query if query else "")).encode("latin-1")),
                                        (b"content-length", b"0")]})
                await send({"type": "http.response.body", "body": b""})
                return
        await not_found(scope, receive, send)

    return default
