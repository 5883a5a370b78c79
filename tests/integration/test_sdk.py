"""The SDK's browser file at /sdk/ on a server without the demo: cached for good, compressed, validated."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from server.http import sdk
from tests.support.clients import CALL_TIMEOUT_SECS
from tests.support.server import ServerProcess

REPO = Path(__file__).resolve().parents[2]
VERSION = json.loads((REPO / "client-sdk" / "package.json").read_text())["version"]
PATH = f"/sdk/{VERSION}/twinspace.min.js"
BYTES = (REPO / "server" / "demo" / "twinspace.js").read_bytes()
ETAG = '"' + base64.urlsafe_b64encode(hashlib.sha256(BYTES).digest()).rstrip(b"=").decode() + '"'
GZIP_ETAG = ETAG[:-1] + '-gzip"'


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    proc = ServerProcess(tmp_path_factory.mktemp("sdk") / "data", "--demo", "false").start()
    yield proc
    proc.stop()


def http(server: ServerProcess) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=server.url, timeout=CALL_TIMEOUT_SECS)


async def test_the_file_arrives_compressed_and_cached_for_good(production: ServerProcess) -> None:
    async with http(production) as client:
        index = (await client.get("/")).json()
        assert index["sdk"] == PATH
        r = await client.get(PATH, headers={"Accept-Encoding": "gzip", "Origin": "https://portal.example.org"})
    assert r.status_code == 200
    assert r.headers["content-encoding"] == "gzip"
    assert r.content == BYTES  # httpx decompressed it
    assert int(r.headers["content-length"]) < len(BYTES) // 2
    assert r.headers["content-type"] == "text/javascript; charset=utf-8"
    assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert r.headers["etag"] == GZIP_ETAG
    assert r.headers["vary"] == "Accept-Encoding, Origin"  # Origin: the CORS middleware
    assert r.headers["access-control-allow-origin"] == "*"  # a portal the server does not list may load it
    assert r.headers["cross-origin-resource-policy"] == "cross-origin"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert BYTES.startswith(f"/*! @twinspace/client {VERSION} ".encode())
    async with http(production) as client:
        listed = await client.get(PATH, headers={"Origin": production.url})
    assert listed.headers["access-control-allow-origin"] == production.url  # the CORS middleware's answer


async def test_without_gzip_the_same_bytes_under_their_own_tag(production: ServerProcess) -> None:
    async with http(production) as client:
        r = await client.get(PATH, headers={"Accept-Encoding": "identity"})
        head = await client.head(PATH, headers={"Accept-Encoding": "identity"})
    assert r.status_code == 200 and "content-encoding" not in r.headers
    assert r.content == BYTES and int(r.headers["content-length"]) == len(BYTES)
    assert r.headers["etag"] == ETAG and r.headers["cache-control"] == sdk.IMMUTABLE
    assert head.status_code == 200 and head.headers["etag"] == ETAG and head.content == b""


@pytest.mark.parametrize("asked, tag", [
    (ETAG, ETAG),
    (GZIP_ETAG, GZIP_ETAG),
    (f'"other", W/{GZIP_ETAG}', GZIP_ETAG),  # If-None-Match compares weakly
    ("*", ETAG),
])
async def test_a_known_tag_gets_304(production: ServerProcess, asked: str, tag: str) -> None:
    async with http(production) as client:
        r = await client.get(PATH, headers={"If-None-Match": asked, "Accept-Encoding": "gzip"})
    assert r.status_code == 304, r.headers
    assert r.content == b"" and "content-encoding" not in r.headers
    assert r.headers["etag"] == tag
    assert r.headers["cache-control"] == sdk.IMMUTABLE and "Accept-Encoding" in r.headers["vary"]


async def test_an_unknown_tag_gets_the_file(production: ServerProcess) -> None:
    async with http(production) as client:
        r = await client.get(PATH, headers={"If-None-Match": '"stale", W/"older"'})
    assert r.status_code == 200 and r.content == BYTES


async def test_the_unversioned_address_redirects_briefly(production: ServerProcess) -> None:
    async with http(production) as client:
        r = await client.get("/sdk/twinspace.min.js")
        followed = await client.get("/sdk/twinspace.min.js", follow_redirects=True)
    assert r.status_code == 307
    assert r.headers["location"] == PATH  # relative: never built from the Host header
    assert r.headers["cache-control"] == "public, max-age=300"
    assert followed.status_code == 200 and followed.content == BYTES


async def test_other_versions_and_methods_are_refused(production: ServerProcess) -> None:
    async with http(production) as client:
        for path in ("/sdk/0.0.1/twinspace.min.js", f"/sdk/{VERSION}/twinspace.js", f"/sdk/{VERSION}/",
                     "/sdk/"):
            r = await client.get(path)
            assert r.status_code == 404, path
            assert r.json()["error"]["code"] == "request.not_found"
            assert r.headers["cache-control"] == "no-store"
        r = await client.post(PATH)
        assert r.status_code == 405 and r.json()["error"]["code"] == "request.method_not_allowed"


async def test_only_the_sdk_is_compressed(production: ServerProcess) -> None:
    # GZipMiddleware wraps the SDK's route alone; Socket.IO is answered before Starlette's router.
    async with http(production) as client:
        r = await client.get("/api/v1/openapi.json", headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200 and len(r.content) > 10 * sdk.GZIP_MIN_BYTES
    assert "content-encoding" not in r.headers


def test_a_file_that_is_not_the_build_stops_the_server(tmp_path: Path) -> None:
    missing = tmp_path / "twinspace.js"
    with pytest.raises(RuntimeError, match="npm run build"):
        sdk.load(missing)
    missing.write_bytes(b"var Twinspace = {};")
    with pytest.raises(RuntimeError, match="banner"):
        sdk.load(missing)
    missing.write_bytes(gzip.compress(BYTES))
    with pytest.raises(RuntimeError, match="banner"):
        sdk.load(missing)
    loaded = sdk.load()
    assert (loaded.version, loaded.body, loaded.etag, loaded.path) == (VERSION, BYTES, ETAG, PATH)
