"""Token rules checked by the verifier itself: NumericDate claims, the longest lifetime, a JWKS that is not one."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest

from rooms.errors import Unauthenticated
from server.auth import TokenVerifier
from server.settings import OPTIONS, Settings, SettingsError, load
from tests.support import keys

SECRET = "a-test-secret-that-is-long-enough-for-hs256"


def settings(tmp_path: Path, **given: str) -> Settings:
    return load({o.name: given.get(o.name) for o in OPTIONS}, {"TWINSPACE_DATA_DIR": str(tmp_path)})


def verifier(tmp_path: Path, **given: str) -> TokenVerifier:
    return TokenVerifier(settings(tmp_path, **given), SECRET)


async def code_of(v: TokenVerifier, token: str) -> str:
    with pytest.raises(Unauthenticated) as refused:
        await v.verify(token)
    return refused.value.code


@pytest.mark.parametrize("name", ["exp", "nbf", "iat"])
async def test_dates_given_as_strings_are_refused(tmp_path: Path, name: str) -> None:
    good = keys.claims(nbf=int(time.time()) - 10)
    token = jwt.encode({**good, name: str(good[name])}, SECRET, algorithm="HS256")
    assert await code_of(verifier(tmp_path), token) == "auth.bad_claims"


async def test_numeric_dates_pass(tmp_path: Path) -> None:
    grant = await verifier(tmp_path).verify_grant(jwt.encode(keys.claims(jti="j1"), SECRET, algorithm="HS256"))
    assert grant.user.id == "u1" and grant.jti == "j1" and grant.iat is not None and grant.exp > time.time()


async def test_a_token_may_not_last_longer_than_the_maximum(tmp_path: Path) -> None:
    v = verifier(tmp_path, jwt_max_lifetime_secs="3600")
    now = int(time.time())
    fifty_years = keys.claims(exp=now + 50 * 365 * 86400)
    assert await code_of(v, jwt.encode(fifty_years, SECRET, algorithm="HS256")) == "auth.bad_claims"
    no_iat = {k: val for k, val in keys.claims(exp=now + 7200).items() if k != "iat"}
    assert await code_of(v, jwt.encode(no_iat, SECRET, algorithm="HS256")) == "auth.bad_claims"
    old_iat = keys.claims(iat=now - 7000, exp=now + 600)  # issued for two hours
    assert await code_of(v, jwt.encode(old_iat, SECRET, algorithm="HS256")) == "auth.bad_claims"
    assert (await v.verify(jwt.encode(keys.claims(exp=now + 3000), SECRET, algorithm="HS256"))).id == "u1"


def test_the_default_lifetime_is_a_day(tmp_path: Path) -> None:
    assert settings(tmp_path).jwt_max_lifetime_secs == 86_400


def test_a_plain_http_jwks_url_is_refused_but_on_loopback(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as bad:
        settings(tmp_path, jwt_jwks="http://portal.example/jwks.json")
    assert "https" in str(bad.value)
    for url in ("https://portal.example/jwks.json", "http://127.0.0.1:9/jwks.json", "http://localhost/k",
                "http://[::1]:80/k"):
        assert settings(tmp_path, jwt_jwks=url).jwt_jwks == url


@pytest.fixture
def jwks_answering(request: pytest.FixtureRequest) -> Iterator[str]:
    body: bytes = request.param

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the standard library's name
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/jwks.json"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("jwks_answering", [b"{}", b"garbage", b"[1, 2]", b'{"keys": "no"}'], indirect=True)
async def test_a_jwks_endpoint_that_is_not_a_key_set_refuses_clearly(tmp_path: Path, jwks_answering: str) -> None:
    key = keys.rsa_key()
    v = TokenVerifier(settings(tmp_path, jwt_jwks=jwks_answering), None)
    token = jwt.encode(keys.claims(), key, algorithm="RS256", headers={"kid": "k1"})
    assert await code_of(v, token) == "auth.keys_unavailable"
