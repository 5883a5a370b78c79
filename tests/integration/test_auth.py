"""Tokens on the Socket.IO handshake and on REST: every kind of bad token has its own code."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import jwt
import pytest
import socketio

from tests.support import keys
from tests.support.clients import CALL_TIMEOUT_SECS, realtime, refused, without_request_id
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


def hs_by_hand(server: ServerProcess, payload: dict[str, Any]) -> str:
    """Correctly signed HS256 over claims PyJWT would not encode (a number as ``sub``)."""
    return keys.hand_made({"alg": "HS256", "typ": "JWT"}, payload, hmac_key=server.secret.encode())


def with_segment(token: str, index: int, text: str) -> str:
    """The token with one of its three dot-separated segments replaced."""
    parts = token.split(".")
    parts[index] = text
    return ".".join(parts)


async def accepted(server: ServerProcess, token: str) -> dict[str, Any]:
    """The user a token stands for, the same over Socket.IO (``me:get``) and REST (``GET /me``)."""
    async with realtime(server, token) as rt:
        ack = await rt.call("me:get", {})
    assert ack["ok"], ack
    status, body = await rest_code(server, token)
    assert status == 200 and body == ack["data"], body
    return ack["data"]  # type: ignore[no-any-return]


async def test_a_valid_token_connects(server: ServerProcess) -> None:
    token = server.token("ada", "teacher", name="Ada Lovelace", school="Collège Marie Curie", country="FR",
                         lang="fr")
    async with realtime(server, token) as rt:
        ack = await rt.call("me:get", {})
    assert ack == {"ok": True, "data": {"id": "ada", "name": "Ada Lovelace", "role": "teacher",
                                        "school": "Collège Marie Curie", "country": "FR", "lang": "fr",
                                        "email": None}}
    status, body = await rest_code(server, token)
    assert status == 200 and body == ack["data"]
    # Defaults: name is the sub, no school, no country, no language (each request's Accept-Language
    # decides); country and lang are normalised.
    assert await accepted(server, jwt.encode({k: v for k, v in keys.claims(sub="bob").items() if k != "name"},
                                             server.secret, algorithm="HS256")) == {
        "id": "bob", "name": "bob", "role": "teacher", "school": "", "country": None, "lang": None, "email": None}
    assert await accepted(server, hs(server, sub="eve", country="it", lang="FR-be")) == {
        "id": "eve", "name": "Ada", "role": "teacher", "school": "", "country": "IT", "lang": "fr", "email": None}
    # The email claim (where a teacher is told of reports while away); one that is not an address is left out.
    assert (await accepted(server, hs(server, sub="ada", email="ada@school.example")))["email"] == "ada@school.example"
    assert (await accepted(server, hs(server, sub="ada", email="not an address")))["email"] is None


def without(claim: str, **extra: Any) -> dict[str, Any]:
    return {k: v for k, v in keys.claims(**extra).items() if k != claim}


@pytest.mark.parametrize(("make", "code"), [
    pytest.param(lambda s: None, "auth.missing", id="no-auth"),
    pytest.param(lambda s: "", "auth.missing", id="empty"),
    pytest.param(lambda s: "not a token", "auth.malformed", id="garbage"),
    pytest.param(lambda s: "eyJ!!!.eyJ###.sig", "auth.malformed", id="not-base64"),
    pytest.param(lambda s: "a.b", "auth.malformed", id="two-segments"),
    pytest.param(lambda s: with_segment(hs(s), 1, "eyJzdWIiOi!!!"), "auth.malformed", id="payload-not-base64"),
    pytest.param(lambda s: with_segment(hs(s), 2, "%%%"), "auth.malformed", id="signature-not-base64"),
    pytest.param(lambda s: with_segment(hs(s), 0, "W10"), "auth.malformed", id="header-not-an-object"),
    pytest.param(lambda s: "x" * 10_000, "auth.malformed", id="too-long"),
    pytest.param(lambda s: hs(s, exp=int(time.time()) - 120), "auth.expired", id="expired"),
    pytest.param(lambda s: hs(s, nbf=int(time.time()) + 600), "auth.not_yet_valid", id="nbf-ahead"),
    pytest.param(lambda s: hs(s, iss="someone-else"), "auth.bad_issuer", id="issuer"),
    pytest.param(lambda s: hs(s, aud="another-service"), "auth.bad_audience", id="audience"),
    pytest.param(lambda s: keys.hand_made({"alg": "none", "typ": "JWT"}, keys.claims()), "auth.bad_algorithm",
                 id="alg-none"),
    pytest.param(lambda s: jwt.encode(keys.claims(), "another secret of at least thirty-two bytes",
                                      algorithm="HS256"), "auth.bad_signature", id="other-secret"),
    pytest.param(lambda s: jwt.encode(keys.claims(), keys.rsa_key(), algorithm="RS256"), "auth.bad_algorithm",
                 id="rs256-without-keys"),
    pytest.param(lambda s: hs(s, role="superuser"), "auth.bad_claims", id="role-superuser"),
    pytest.param(lambda s: jwt.encode(without("role"), s.secret, algorithm="HS256"), "auth.bad_claims",
                 id="no-role"),
    pytest.param(lambda s: hs(s, country="France"), "auth.bad_claims", id="country-not-a-code"),
    pytest.param(lambda s: hs(s, sub="has spaces/and slashes"), "auth.bad_claims", id="sub-characters"),
    pytest.param(lambda s: hs_by_hand(s, keys.claims(sub=12345)), "auth.bad_claims", id="sub-a-number"),
    pytest.param(lambda s: jwt.encode(without("sub"), s.secret, algorithm="HS256"), "auth.bad_claims",
                 id="no-sub"),
    pytest.param(lambda s: jwt.encode(without("exp"), s.secret, algorithm="HS256"), "auth.bad_claims",
                 id="no-exp"),
    pytest.param(lambda s: hs_by_hand(s, without("iss")), "auth.bad_claims", id="no-iss"),
])
async def test_each_bad_token_is_refused_with_its_code(server: ServerProcess, make: Callable[[ServerProcess], Any],
                                                       code: str) -> None:
    await assert_refused(server, make(server), code)


async def test_tokens_that_are_not_ascii_are_malformed(server: ServerProcess) -> None:
    # JSON may carry a lone surrogate; PyJWT cannot even encode it (the handshake used to go unanswered).
    for token in ("eyJ\ud800.e30.sig", "eyJhbGciOiJIUzI1NiJ9.é.sig", hs(server) + "\u00e9"):
        data = await refused(server, {"token": token})
        assert data["data"]["code"] == "auth.malformed", (token, data)
    async with httpx.AsyncClient(base_url=server.url, timeout=CALL_TIMEOUT_SECS) as http:
        r = await http.get("/api/v1/me", headers={"Authorization": b"Bearer \xc3\xa9" + hs(server).encode()})
    assert r.status_code == 401 and r.json()["error"]["code"] == "auth.malformed"
    async with realtime(server, hs(server)) as rt:  # the server is still fine
        assert (await rt.call("me:get", {}))["ok"]


async def test_clock_skew_within_the_leeway_is_tolerated(server: ServerProcess) -> None:
    now = int(time.time())
    assert (await accepted(server, hs(server, sub="late", exp=now - 10)))["id"] == "late"
    assert (await accepted(server, hs(server, sub="early", nbf=now + 10)))["id"] == "early"
    await assert_refused(server, hs(server, exp=now - 60), "auth.expired")
    await assert_refused(server, hs(server, nbf=now + 60), "auth.not_yet_valid")


async def test_refusals_speak_french_when_asked(server: ServerProcess) -> None:
    data = await refused(server, {"token": hs(server, exp=1), "lang": "fr"})
    assert without_request_id(data["data"]) == {"code": "auth.expired", "message": "Le jeton a expiré."}
    status, body = await rest_code(server, hs(server, exp=1), **{"Accept-Language": "fr-FR,fr;q=0.9"})
    assert status == 401 and body["error"]["message"] == "Le jeton a expiré."
    assert body["error"]["code"] == "auth.expired"
    # The browser's Accept-Language on the Socket.IO handshake counts too, below auth.lang.
    data = await refused(server, {"token": hs(server, exp=1)}, {"Accept-Language": "fr-FR,fr;q=0.9"})
    assert without_request_id(data["data"]) == {"code": "auth.expired", "message": "Le jeton a expiré."}
    data = await refused(server, {"token": hs(server, exp=1), "lang": "en"}, {"Accept-Language": "fr"})
    assert data["data"]["message"] == "The token has expired."
    # Missing token: French too, and the message with a detail keeps it.
    data = await refused(server, {"lang": "fr"})
    assert without_request_id(data["data"]) == {"code": "auth.missing", "message": "Un jeton est requis."}
    status, body = await rest_code(server, hs(server, role="superuser"), **{"Accept-Language": "fr"})
    assert body["error"]["code"] == "auth.bad_claims"
    assert body["error"]["message"].startswith("Les informations du jeton sont invalides : vérifiez « role »")


async def test_a_refused_tokens_own_lang_claim_is_not_trusted(server: ServerProcess) -> None:
    # The claims of a refused token are unverified: its lang=fr does not pick the language.
    token = hs(server, lang="fr", exp=1)
    data = await refused(server, {"token": token})
    assert without_request_id(data["data"]) == {"code": "auth.expired", "message": "The token has expired."}
    status, body = await rest_code(server, token)
    assert status == 401 and body["error"]["message"] == "The token has expired."
    # Languages the server does not have fall back to English; those it has are asked for.
    data = await refused(server, {"token": token, "lang": "pt"})
    assert data["data"]["message"] == "The token has expired."
    data = await refused(server, {"token": token, "lang": "de"})
    assert data["data"]["message"] == "Das Token ist abgelaufen."


async def test_rest_wants_a_bearer_token(server: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
        r = await http.get("/api/v1/me", headers={"Authorization": f"Basic {server.token('u', 'teacher')}"})
        assert r.status_code == 401 and r.json()["error"]["code"] == "auth.malformed"
        assert r.headers["www-authenticate"] == "Bearer"
        # The header is there but carries no token ("Bearer " arrives as "Bearer": HTTP trims header values):
        # malformed over REST, where Socket.IO's empty token is auth.missing.
        r = await http.get("/api/v1/me", headers={"Authorization": "Bearer"})
        assert r.status_code == 401 and r.json()["error"]["code"] == "auth.malformed"
        r = await http.get("/api/v1/me")
        assert r.status_code == 401 and r.json()["error"]["code"] == "auth.missing"
        assert r.headers["www-authenticate"] == "Bearer"


async def test_portal_public_keys(make_server: Callable[..., ServerProcess], tmp_path: Path) -> None:
    rsa_key, ed_key, stranger = keys.rsa_key(), keys.ed_key(), keys.rsa_key()
    pem = tmp_path / "portal.pem"
    pem.write_bytes(keys.public_pem(rsa_key, ed_key))
    jwks = keys.write_jwks(tmp_path / "jwks.json", keys.rsa_key(), kid="2026-11")
    server = make_server("--jwt-public-key-file", str(pem), "--jwt-jwks", str(jwks)).start()
    assert not (server.data_dir / "jwt-secret").exists()  # no HS256 secret is made when keys are given

    assert (await accepted(server, jwt.encode(keys.claims(sub="rsa"), rsa_key, algorithm="RS256")))["id"] == "rsa"
    assert (await accepted(server, jwt.encode(keys.claims(sub="ed"), ed_key, algorithm="EdDSA")))["id"] == "ed"
    old_jwks_key = keys.rsa_key()
    keys.write_jwks(jwks, old_jwks_key, kid="2026-11")
    server.stop()
    server.start()
    old = jwt.encode(keys.claims(sub="old"), old_jwks_key, algorithm="RS256", headers={"kid": "2026-11"})
    assert (await accepted(server, old))["id"] == "old"
    jwks_key = keys.rsa_key()
    keys.write_jwks(jwks, jwks_key, kid="2026-11")  # files are read at start: restart to rotate
    server.stop()
    server.start()
    token = jwt.encode(keys.claims(sub="jwks"), jwks_key, algorithm="RS256", headers={"kid": "2026-11"})
    assert (await accepted(server, token))["id"] == "jwks"
    await assert_refused(server, old, "auth.bad_signature")  # the rotated-out key
    await assert_refused(server, jwt.encode(keys.claims(), jwks_key, algorithm="RS256", headers={"kid": "2020-01"}),
                         "auth.bad_signature")  # a kid the JWKS does not have

    await assert_refused(server, jwt.encode(keys.claims(), stranger, algorithm="RS256"), "auth.bad_signature")
    await assert_refused(server, jwt.encode(keys.claims(), keys.ed_key(), algorithm="EdDSA"), "auth.bad_signature")
    # The right key does not save a token whose claims are wrong.
    await assert_refused(server, jwt.encode(keys.claims(exp=int(time.time()) - 120), rsa_key, algorithm="RS256"),
                         "auth.expired")
    await assert_refused(server, jwt.encode(keys.claims(aud="elsewhere"), ed_key, algorithm="EdDSA"),
                         "auth.bad_audience")
    await assert_refused(server, jwt.encode(keys.claims(role="admin"), rsa_key, algorithm="RS256"),
                         "auth.bad_claims")
    await assert_refused(server, jwt.encode(keys.claims(), rsa_key, algorithm="RS512"), "auth.bad_algorithm")
    # HS256 "signed" with the public key as the HMAC secret: the classic key-confusion attack.
    for public in (keys.public_pem(rsa_key), keys.public_pem(ed_key), pem.read_bytes(), jwks.read_bytes()):
        confused = keys.hand_made({"alg": "HS256", "typ": "JWT"}, keys.claims(), hmac_key=public)
        await assert_refused(server, confused, "auth.bad_algorithm")
    await assert_refused(server, keys.hand_made({"alg": "none", "typ": "JWT"}, keys.claims()), "auth.bad_algorithm")
    await assert_refused(server, jwt.encode(keys.claims(), "a shared secret of at least thirty-two bytes",
                                            algorithm="HS256"), "auth.bad_algorithm")


async def test_configured_issuer_and_audience(make_server: Callable[..., ServerProcess]) -> None:
    server = make_server("--jwt-issuer", "portal.example", "--jwt-audience", "twinspace-prod").start()
    good = hs(server, iss="portal.example", aud="twinspace-prod")
    assert (await accepted(server, good))["id"] == "u1"
    await assert_refused(server, server.token("u1", "teacher"), "auth.bad_issuer")  # twinspace / twinspace
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
                                                         "school": "", "country": "FR", "lang": "fr",
                                                         "email": None}
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


async def websocket_connects(server: ServerProcess, origin: str) -> bool:
    """Whether a Socket.IO client on the WebSocket transport alone, sending ``Origin``, gets in."""
    async with aiohttp.ClientSession() as http:  # ours to close: a refused handshake leaves the client's open
        client = socketio.AsyncClient(reconnection=False, http_session=http)
        try:
            await client.connect(server.url, auth={"token": server.token("o", "teacher")},
                                 headers={"Origin": origin}, transports=["websocket"],
                                 wait_timeout=CALL_TIMEOUT_SECS)
        except socketio.exceptions.ConnectionError:
            return False
        await client.disconnect()
        return True


async def test_browser_origins_on_the_default(server: ServerProcess) -> None:
    for origin in ("http://localhost:5173", "http://127.0.0.1:3000", "http://[::1]:8080", "https://localhost",
                   server.url):
        assert polling_handshake(server, origin) == 200, origin
        assert preflight(server, origin) == origin
    assert await websocket_connects(server, "http://localhost:5173")
    for origin in ("https://evil.example", "http://localhost.evil.example", "http://evil.example:5173",
                   "http://localhost:5173.evil.example", "null"):
        assert polling_handshake(server, origin) == 400, origin
        assert preflight(server, origin) is None, origin
    assert not await websocket_connects(server, "https://evil.example")
    # No Origin at all is not a browser: tools and servers connect.
    assert httpx.get(f"{server.url}/socket.io/", params={"EIO": "4", "transport": "polling"},
                     timeout=CALL_TIMEOUT_SECS).status_code == 200


async def test_browser_origins_from_the_setting(make_server: Callable[..., ServerProcess]) -> None:
    server = make_server("--allowed-origins", "https://portal.example.org/").start()
    assert polling_handshake(server, "https://portal.example.org") == 200
    assert preflight(server, "https://portal.example.org") == "https://portal.example.org"
    assert await websocket_connects(server, "https://portal.example.org")
    for origin in ("http://localhost:5173", "http://portal.example.org", "https://portal.example.org:8443",
                   server.url):
        assert polling_handshake(server, origin) == 400, origin
        assert preflight(server, origin) is None, origin
    assert not await websocket_connects(server, "http://localhost:5173")


async def test_any_browser_origin_when_configured(make_server: Callable[..., ServerProcess]) -> None:
    server = make_server("--allowed-origins", "*").start()
    for origin in ("https://anywhere.example", "http://localhost:5173"):
        assert polling_handshake(server, origin) == 200, origin
        assert preflight(server, origin) is not None, origin
    assert await websocket_connects(server, "https://anywhere.example")


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
                time.sleep(0.05)  # a poll with a deadline: the portal's web server is starting
        server = make_server("--jwt-jwks", f"http://127.0.0.1:{port}/jwks.json").start()
        good = jwt.encode(keys.claims(sub="from-jwks"), key, algorithm="RS256", headers={"kid": "k1"})
        async with realtime(server, good) as rt:
            assert (await rt.call("me:get", {}))["data"]["id"] == "from-jwks"
        unknown_kid = jwt.encode(keys.claims(), key, algorithm="RS256", headers={"kid": "k2"})
        await assert_refused(server, unknown_kid, "auth.bad_signature")
    finally:
        portal.terminate()
        portal.wait(10)
