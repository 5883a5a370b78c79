"""Tokens on the Socket.IO handshake and on REST: every kind of bad token has its own code."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from tests.support import keys
from tests.support.clients import realtime, refused
from tests.support.server import REPO, ServerProcess, free_port


async def rest_code(server: ServerProcess, token: str | None, **headers: str) -> tuple[int, dict[str, Any]]:
    if token:  # an empty token is the same as none over HTTP: a header cannot end in a space
        headers["Authorization"] = f"Bearer {token}"
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
        r = await http.get("/api/v1/me", headers=headers)
    return r.status_code, r.json()


async def assert_refused(server: ServerProcess, token: str | None, code: str) -> None:
    data = await refused(server, {"token": token} if token is not None else None)
    assert data["data"]["code"] == code, data
    assert data["data"]["message"] == data["message"]
    status, body = await rest_code(server, token)
    assert status == 401 and body["error"]["code"] == code, body


def hs(server: ServerProcess, **claims: Any) -> str:
    return jwt.encode(keys.claims(**claims), server.secret, algorithm="HS256")


async def test_a_valid_token_connects(server: ServerProcess) -> None:
    token = server.token("ada", "teacher", name="Ada Lovelace", school="Collège Marie Curie", country="FR",
                         lang="fr")
    async with realtime(server, token) as rt:
        ack = await rt.call("me:get", {})
    assert ack == {"ok": True, "data": {"id": "ada", "name": "Ada Lovelace", "role": "teacher",
                                        "school": "Collège Marie Curie", "country": "FR", "lang": "fr"}}
    status, body = await rest_code(server, token)
    assert status == 200 and body["id"] == "ada"


@pytest.mark.parametrize(("make", "code"), [
    (lambda s: None, "auth.missing"),
    (lambda s: "", "auth.missing"),
    (lambda s: "not a token", "auth.malformed"),
    (lambda s: "eyJ!!!.eyJ###.sig", "auth.malformed"),
    (lambda s: "x" * 10_000, "auth.malformed"),
    (lambda s: hs(s, exp=int(time.time()) - 120), "auth.expired"),
    (lambda s: hs(s, nbf=int(time.time()) + 600), "auth.not_yet_valid"),
    (lambda s: hs(s, iss="someone-else"), "auth.bad_issuer"),
    (lambda s: hs(s, aud="another-service"), "auth.bad_audience"),
    (lambda s: keys.hand_made({"alg": "none", "typ": "JWT"}, keys.claims()), "auth.bad_algorithm"),
    (lambda s: jwt.encode(keys.claims(), "another secret of at least thirty-two bytes", algorithm="HS256"),
     "auth.bad_signature"),
    (lambda s: jwt.encode(keys.claims(), keys.rsa_key(), algorithm="RS256"), "auth.bad_algorithm"),
    (lambda s: hs(s, role="superuser"), "auth.bad_claims"),
    (lambda s: jwt.encode({k: v for k, v in keys.claims().items() if k != "sub"}, s.secret, algorithm="HS256"),
     "auth.bad_claims"),
    (lambda s: jwt.encode({k: v for k, v in keys.claims().items() if k != "exp"}, s.secret, algorithm="HS256"),
     "auth.bad_claims"),
])
async def test_each_bad_token_is_refused_with_its_code(server: ServerProcess, make: Callable[[ServerProcess], Any],
                                                       code: str) -> None:
    await assert_refused(server, make(server), code)


async def test_refusals_speak_french_when_asked(server: ServerProcess) -> None:
    data = await refused(server, {"token": hs(server, exp=1), "lang": "fr"})
    assert data["data"] == {"code": "auth.expired", "message": "Le jeton a expiré."}
    status, body = await rest_code(server, hs(server, exp=1), **{"Accept-Language": "fr-FR,fr;q=0.9"})
    assert status == 401 and body["error"]["message"] == "Le jeton a expiré."


async def test_rest_wants_a_bearer_token(server: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
        r = await http.get("/api/v1/me", headers={"Authorization": f"Basic {server.token('u', 'teacher')}"})
        assert r.status_code == 401 and r.json()["error"]["code"] == "auth.malformed"
        assert r.headers["www-authenticate"] == "Bearer"


async def test_portal_public_keys(make_server: Callable[..., ServerProcess], tmp_path: Path) -> None:
    rsa_key, ed_key, stranger = keys.rsa_key(), keys.ed_key(), keys.rsa_key()
    pem = tmp_path / "portal.pem"
    pem.write_bytes(keys.public_pem(rsa_key, ed_key))
    jwks = keys.write_jwks(tmp_path / "jwks.json", keys.rsa_key(), kid="2026-11")
    server = make_server("--jwt-public-key-file", str(pem), "--jwt-jwks", str(jwks)).start()
    assert not (server.data_dir / "jwt-secret").exists()  # no HS256 secret is made when keys are given

    for token in (jwt.encode(keys.claims(sub="rsa"), rsa_key, algorithm="RS256"),
                  jwt.encode(keys.claims(sub="ed"), ed_key, algorithm="EdDSA")):
        async with realtime(server, token) as rt:
            assert (await rt.call("me:get", {}))["ok"]
    jwks_key = keys.rsa_key()
    keys.write_jwks(jwks, jwks_key, kid="2026-11")  # files are read at start: restart to rotate
    server.stop()
    server.start()
    token = jwt.encode(keys.claims(sub="jwks"), jwks_key, algorithm="RS256", headers={"kid": "2026-11"})
    async with realtime(server, token) as rt:
        assert (await rt.call("me:get", {}))["data"]["id"] == "jwks"

    await assert_refused(server, jwt.encode(keys.claims(), stranger, algorithm="RS256"), "auth.bad_signature")
    # HS256 "signed" with the public key as the HMAC secret: the classic key-confusion attack.
    confused = keys.hand_made({"alg": "HS256", "typ": "JWT"}, keys.claims(), hmac_key=keys.public_pem(rsa_key))
    await assert_refused(server, confused, "auth.bad_algorithm")
    await assert_refused(server, jwt.encode(keys.claims(), "a shared secret of at least thirty-two bytes",
                                            algorithm="HS256"), "auth.bad_algorithm")


async def test_configured_issuer_and_audience(make_server: Callable[..., ServerProcess]) -> None:
    server = make_server("--jwt-issuer", "portal.example", "--jwt-audience", "twinspace-prod").start()
    good = hs(server, iss="portal.example", aud="twinspace-prod")
    async with realtime(server, good) as rt:
        assert (await rt.call("me:get", {}))["ok"]
    await assert_refused(server, hs(server, aud="twinspace-prod"), "auth.bad_issuer")
    await assert_refused(server, hs(server, iss="portal.example"), "auth.bad_audience")


async def test_the_token_command_makes_tokens_the_server_accepts(make_server: Callable[..., ServerProcess]) -> None:
    server = make_server().start()
    result = subprocess.run([sys.executable, "-m", "server", "token", "--user", "t1", "--name", "Mme Dubois",
                             "--role", "teacher", "--country", "fr", "--lang", "fr", "--ttl", "5m",
                             "--data-dir", str(server.data_dir)],
                            cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    assert jwt.decode(token, options={"verify_signature": False})["exp"] - time.time() <= 300
    async with realtime(server, token) as rt:
        assert (await rt.call("me:get", {}))["data"] == {"id": "t1", "name": "Mme Dubois", "role": "teacher",
                                                         "school": "", "country": "FR", "lang": "fr"}
    bad = subprocess.run([sys.executable, "-m", "server", "token", "--user", "t1", "--name", "x", "--role", "teacher",
                          "--ttl", "soon", "--data-dir", str(server.data_dir)],
                         cwd=REPO, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "--ttl" in bad.stderr


def polling_handshake(server: ServerProcess, origin: str) -> int:
    return httpx.get(f"{server.url}/socket.io/", params={"EIO": "4", "transport": "polling"},
                     headers={"Origin": origin}, timeout=10).status_code


def preflight(server: ServerProcess, origin: str) -> str | None:
    r = httpx.options(f"{server.url}/api/v1/me", headers={"Origin": origin,
                                                         "Access-Control-Request-Method": "GET",
                                                         "Access-Control-Request-Headers": "authorization"},
                      timeout=10)
    return r.headers.get("access-control-allow-origin")


def test_browser_origins_on_the_default(server: ServerProcess) -> None:
    for origin in ("http://localhost:5173", "http://127.0.0.1:3000", server.url):
        assert polling_handshake(server, origin) == 200, origin
        assert preflight(server, origin) == origin
    assert polling_handshake(server, "https://evil.example") == 400
    assert preflight(server, "https://evil.example") is None


def test_browser_origins_from_the_setting(make_server: Callable[..., ServerProcess]) -> None:
    server = make_server("--allowed-origins", "https://portal.example.org").start()
    assert polling_handshake(server, "https://portal.example.org") == 200
    assert preflight(server, "https://portal.example.org") == "https://portal.example.org"
    assert polling_handshake(server, "http://localhost:5173") == 400
    assert preflight(server, "http://localhost:5173") is None


async def test_portal_keys_from_a_jwks_url(make_server: Callable[..., ServerProcess], tmp_path: Path) -> None:
    key = keys.rsa_key()
    site = tmp_path / "portal"
    site.mkdir()
    keys.write_jwks(site / "jwks.json", key, kid="k1")
    port = free_port()
    portal = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                               "--directory", str(site)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/jwks.json", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.05)
        server = make_server("--jwt-jwks", f"http://127.0.0.1:{port}/jwks.json").start()
        good = jwt.encode(keys.claims(sub="from-jwks"), key, algorithm="RS256", headers={"kid": "k1"})
        async with realtime(server, good) as rt:
            assert (await rt.call("me:get", {}))["data"]["id"] == "from-jwks"
        unknown_kid = jwt.encode(keys.claims(), key, algorithm="RS256", headers={"kid": "k2"})
        await assert_refused(server, unknown_kid, "auth.bad_signature")
    finally:
        portal.terminate()
        portal.wait(10)
