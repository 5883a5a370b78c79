"""The demo portal page (``--demo true``): the page itself, its users, its sessions, and what it refuses."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import keys
from tests.support.clients import CALL_TIMEOUT_SECS, Api, realtime
from tests.support.server import ServerProcess

DEMO_USERS = {"teacher_fr", "teacher_de", "pupil_fr", "pupil_de", "visitor"}


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    proc = ServerProcess(tmp_path_factory.mktemp("demo") / "data", "--demo", "true").start()
    yield proc
    proc.stop()


async def session(server: ServerProcess, body: Any = None, *, content: bytes | None = None,
                  **headers: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.url, timeout=CALL_TIMEOUT_SECS) as http:
        if content is not None:
            return await http.post("/demo/api/session", content=content, headers=headers)
        return await http.post("/demo/api/session", json=body, headers=headers)


async def get(server: ServerProcess, path: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.url, timeout=CALL_TIMEOUT_SECS) as http:
        return await http.get(path)


async def projects_of(server: ServerProcess, user_id: str) -> list[Any]:
    async with Api(server, server.token(user_id, "teacher")) as api:
        r = await api.get("/projects")
    assert r.status_code == 200, r.text
    return list(r.json())


async def test_the_demo_is_off_by_default(make_server: Callable[..., ServerProcess]) -> None:
    server = make_server().start()
    for path in ("/demo", "/demo/", "/demo/index.html", "/demo/app.js", "/demo/api/users"):
        r = await get(server, path)
        assert r.status_code == 404, (path, r.status_code)
        assert r.json()["error"]["code"] == "request.not_found"
    r = await session(server, {"user": "teacher_fr"})
    assert r.status_code == 404
    assert await projects_of(server, "teacher_fr") == []


async def test_the_page_and_its_files(demo_server: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=demo_server.url, timeout=CALL_TIMEOUT_SECS) as http:
        r = await http.get("/demo")
        assert r.status_code in (301, 302, 307, 308) and r.headers["location"].endswith("/demo/")
        page = await http.get("/demo/")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert 'data-testid="login"' in page.text and "./twinspace.js" in page.text and "./app.js" in page.text
        for name, kind in (("app.js", "javascript"), ("styles.css", "text/css")):
            r = await http.get(f"/demo/{name}")
            assert r.status_code == 200 and kind in r.headers["content-type"], name
        r = await http.get("/demo/nothing-here.js")
        assert r.status_code == 404 and r.json()["error"]["code"] == "request.not_found"
        r = await http.get("/demo/../server/settings.py")  # httpx normalises; the raw path is tried below
        assert r.status_code == 404
        r = await http.get("/demo/%2e%2e/http/demo.py")
        assert r.status_code == 404


async def test_users_lists_the_demo_people(demo_server: ServerProcess) -> None:
    r = await get(demo_server, "/demo/api/users")
    assert r.status_code == 200
    users = r.json()["users"]
    assert {u["key"] for u in users} == DEMO_USERS
    by_key = {u["key"]: u for u in users}
    assert by_key["teacher_fr"]["role"] == "teacher" and by_key["teacher_fr"]["country"] == "FR"
    assert by_key["pupil_de"]["role"] == "pupil" and by_key["pupil_de"]["country"] == "DE"
    assert by_key["visitor"]["role"] == "visitor"
    assert all(u["name"] for u in users)
    assert "token" not in r.text


async def test_a_session_seeds_the_project_once_and_its_token_works(demo_server: ServerProcess) -> None:
    first = await session(demo_server, {"user": "teacher_fr"})
    assert first.status_code == 200, first.text
    assert first.headers["cache-control"] == "no-store"
    one = first.json()
    assert set(one) == {"url", "project_id", "rooms", "forum_id", "token", "user"}
    assert one["url"] == demo_server.url and one["user"]["id"] == "teacher_fr"
    assert one["rooms"]["general"] and one["rooms"]["staff"] and one["forum_id"]

    async with Api(demo_server, one["token"]) as api:
        me = (await api.get("/me")).json()
        assert me["id"] == "teacher_fr" and me["role"] == "teacher" and me["country"] == "FR"
        project = (await api.get(f"/projects/{one['project_id']}")).json()
        assert project["project"]["status"] == "validated" and project["role"] == "admin"
        assert len((await api.get(f"/projects/{one['project_id']}/members")).json()) == 5

    # Again, and for someone else: the same project, rooms and forum.
    pupil = (await session(demo_server, {"user": "pupil_de"})).json()
    assert (pupil["project_id"], pupil["rooms"], pupil["forum_id"]) == (one["project_id"], one["rooms"],
                                                                        one["forum_id"])
    async with realtime(demo_server, pupil["token"]) as rt:
        ack = await rt.call("space:list", {"project_id": one["project_id"]})
        ids = {s["id"] for s in ack["data"]}
        assert one["rooms"]["general"] in ids and one["rooms"]["staff"] not in ids
        joined = await rt.call("room:join", {"room_id": one["rooms"]["general"]})
        assert joined["ok"], joined


async def test_sessions_at_once_make_one_project(make_server: Callable[..., ServerProcess]) -> None:
    server = make_server("--demo", "true").start()
    answers = await asyncio.gather(*(session(server, {"user": key}) for key in sorted(DEMO_USERS)))
    assert [a.status_code for a in answers] == [200] * len(DEMO_USERS), [a.text for a in answers]
    assert len({(a.json()["project_id"], a.json()["forum_id"]) for a in answers}) == 1
    assert len(await projects_of(server, "teacher_de")) == 1
    async with Api(server, answers[0].json()["token"]) as api:
        assert len((await api.get(f"/projects/{answers[0].json()['project_id']}/members")).json()) == 5


BAD_INPUT = [
    ({"user": "headmaster"}, 400, "request.invalid", "no demo user"),
    ({"user": "support"}, 400, "request.invalid", "no demo user"),
    ({"user": 7}, 400, "request.invalid", "user"),
    ({}, 400, "request.invalid", "user"),
    ({"user": "teacher_fr", "role": "admin"}, 400, "request.invalid", "role"),
    (["teacher_fr"], 400, "request.invalid", ""),
    (b"{not json", 400, "request.invalid", "not JSON"),
    (b"", 400, "request.invalid", ""),
    (b'{"user": "' + b"x" * 10_000 + b'"}', 413, "request.too_large", ""),
]


async def test_bad_input_is_refused_logged_and_stores_nothing(make_server: Callable[..., ServerProcess]) -> None:
    server = make_server("--demo", "true").start()
    for body, status, code, detail in BAD_INPUT:
        if isinstance(body, bytes):
            r = await session(server, content=body, **{"Content-Type": "application/json"})
        else:
            r = await session(server, body)
        assert r.status_code == status, (body, r.text)
        error = r.json()["error"]
        assert error["code"] == code and detail in error["message"], (body, error)
        assert "token" not in r.json()
    assert await projects_of(server, "teacher_fr") == []
    assert not (server.data_dir / "files" / "prj_demo").exists()
    log = server.log()
    assert log.count("demo: refused POST /demo/api/session code=request.invalid") == len(BAD_INPUT) - 1, log
    assert "code=request.too_large" in log


async def test_errors_speak_french_when_asked(demo_server: ServerProcess) -> None:
    r = await session(demo_server, {"user": "nobody"}, **{"Accept-Language": "fr-FR,fr;q=0.9"})
    assert r.status_code == 400 and r.json()["error"]["message"].startswith("Requête invalide")


async def test_only_the_listed_methods(demo_server: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=demo_server.url, timeout=CALL_TIMEOUT_SECS) as http:
        r = await http.get("/demo/api/session")
        assert r.status_code == 405 and r.json()["error"]["code"] == "request.method_not_allowed"
        r = await http.post("/demo/api/users")
        assert r.status_code == 405
        r = await http.get("/demo/api/nothing")
        assert r.status_code == 404 and r.json()["error"]["code"] == "request.not_found"


async def test_without_an_hs256_secret_the_session_is_refused(make_server: Callable[..., ServerProcess],
                                                              tmp_path: Path) -> None:
    pem = tmp_path / "portal.pem"
    pem.write_bytes(keys.public_pem(keys.rsa_key()))
    server = make_server("--demo", "true", "--jwt-public-key-file", str(pem)).start()
    assert (await get(server, "/demo/")).status_code == 200
    assert (await get(server, "/demo/api/users")).status_code == 200
    r = await session(server, {"user": "teacher_fr"})
    assert r.status_code == 501, r.text
    error = r.json()["error"]
    assert error["code"] == "demo.no_secret" and "HS256" in error["message"]
    assert "token" not in r.json()
    assert not (server.data_dir / "jwt-secret").exists()
    assert "demo: refused POST /demo/api/session code=demo.no_secret" in server.log()
    r = await session(server, {"user": "teacher_fr"}, **{"Accept-Language": "fr"})
    assert "secret HS256" in r.json()["error"]["message"]
