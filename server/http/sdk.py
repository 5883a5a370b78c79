"""The SDK's browser file for portals, served by every server (demo or not).

- ``GET /sdk/<version>/twinspace.min.js``: the file, ``<version>`` being the SDK package's
  (``client-sdk/package.json``, read from the banner the build writes at the file's top).
  A versioned address never changes its bytes, so the answer may be kept for a year
  without asking again (``Cache-Control: public, max-age=31536000, immutable``). It carries
  a strong ``ETag`` (the SHA-256 of the bytes; ``-gzip`` added for the compressed form, a
  representation of its own) and a matching ``If-None-Match`` gets 304. Compressed by
  Starlette's ``GZipMiddleware``, wrapped around this route alone: Socket.IO and file
  downloads stay as they are. ``Access-Control-Allow-Origin: *`` (the CORS middleware
  puts a listed origin in its place; ``server/http/headers.py`` adds
  ``Cross-Origin-Resource-Policy: cross-origin``): the file is public, and a portal may
  load it with ``crossorigin`` and ``integrity``.
- ``GET /sdk/twinspace.min.js``: a redirect (307, relative) to the current version, cached
  five minutes, for a page that always wants the newest file and accepts a round trip.
  Another version's address is not found: a server serves the SDK it was shipped with.

The file is ``server/demo/twinspace.js``, the SDK's build committed with the server, so that a
server needs no Node at run time (``client-sdk/scripts/build.mjs``). It is read once, when the
app is built; a file without the build's banner stops the server with a clear message.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SDK_FILE = Path(__file__).resolve().parent.parent / "demo" / "twinspace.js"
PREFIX = "/sdk"
FILE_NAME = "twinspace.min.js"
MEDIA_TYPE = "text/javascript; charset=utf-8"
# A year: the longest freshness HTTP/1.1 let a server give (RFC 2616, 14.21), and what caches expect of
# an address whose bytes never change; ``immutable`` spares even the revalidation of a page reload.
IMMUTABLE = "public, max-age=31536000, immutable"
# How long a browser or proxy may keep following the unversioned address to the old version after an
# upgrade: short, so that a new SDK reaches portals within minutes; long enough to spare a round trip
# for every page of a pupil's session.
LATEST_CACHE = "public, max-age=300"
GZIP_MIN_BYTES = 1024  # a 304 or an error answer is not worth compressing
GZIP_SUFFIX = "-gzip"
_BANNER = re.compile(rb"/\*! @twinspace/client (?P<version>[0-9A-Za-z.+-]+) ")


@dataclass(frozen=True, slots=True)
class SdkFile:
    """The browser file's bytes, the SDK version they are, and their entity tag (quoted)."""

    version: str
    body: bytes
    etag: str

    @property
    def path(self) -> str:
        return f"{PREFIX}/{self.version}/{FILE_NAME}"


def load(path: Path = SDK_FILE) -> SdkFile:
    """The browser file at ``path``; a clear error when it is missing or not the SDK's build."""
    try:
        body = path.read_bytes()
    except OSError as exc:
        raise RuntimeError(f"{path}: the SDK's browser file cannot be read ({exc.strerror}); "
                           "build it with `npm run build` in client-sdk/") from exc
    match = _BANNER.match(body)
    if match is None:
        raise RuntimeError(f"{path} does not start with the SDK build's banner (/*! @twinspace/client VERSION ...): "
                           "build it with `npm run build` in client-sdk/")
    digest = base64.urlsafe_b64encode(hashlib.sha256(body).digest()).rstrip(b"=").decode("ascii")
    return SdkFile(match["version"].decode("ascii"), body, f'"{digest}"')


def _tags(header: str) -> set[str]:
    """The entity tags of an ``If-None-Match`` value, weak ones as their opaque tag (RFC 9110 13.1.2
    compares weakly), ``*`` as itself."""
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}


def _gzip_tag(etag: str) -> str:
    return etag[:-1] + GZIP_SUFFIX + '"'


class CodedETag:
    """Behind ``GZipMiddleware``'s back: the entity tag of a compressed answer made the compressed
    representation's own, so that a cache never takes one coding's bytes for the other's."""

    def __init__(self, app: ASGIApp, etag: str) -> None:
        self.app, self.etag = app, etag

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if headers.get("content-encoding") and headers.get("etag") == self.etag:
                    headers["etag"] = _gzip_tag(self.etag)
            await send(message)

        await self.app(scope, receive, sending)


def routes(sdk: SdkFile) -> list[BaseRoute]:
    """The SDK's routes, mounted on every server."""
    variants = {sdk.etag, _gzip_tag(sdk.etag)}

    async def browser_file(request: Request) -> Response:
        headers = {"Cache-Control": IMMUTABLE, "ETag": sdk.etag, "Access-Control-Allow-Origin": "*",
                   "Vary": "Accept-Encoding"}
        asked = _tags(request.headers.get("if-none-match", ""))
        matched = asked & variants or ({sdk.etag} if "*" in asked else set())
        if matched:
            return Response(status_code=304, headers={**headers, "ETag": min(matched)})
        del headers["Vary"]  # GZipMiddleware adds it to the answers it may compress
        return Response(sdk.body, media_type=MEDIA_TYPE, headers=headers)

    async def latest(_: Request) -> Response:
        return Response(status_code=307, headers={"Location": sdk.path, "Cache-Control": LATEST_CACHE})

    return [
        Route(sdk.path, browser_file, methods=["GET", "HEAD"],
              middleware=[Middleware(CodedETag, etag=sdk.etag),  # outermost: it sees what GZip answered
                          Middleware(GZipMiddleware, minimum_size=GZIP_MIN_BYTES)]),
        Route(f"{PREFIX}/{FILE_NAME}", latest, methods=["GET", "HEAD"]),
    ]
