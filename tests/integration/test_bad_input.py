"""Bad input of any shape gets a clear error, changes nothing, and the server goes on serving."""

from __future__ import annotations

import httpx
import pytest
import socketio

from tests.support.clients import Api, make_project, person, realtime, without_request_id
from tests.support.server import ServerProcess

TEN_MB = 10 * 1024 * 1024


@pytest.mark.parametrize(("event", "payload", "detail"), [
    ("project:get", {"project_id": 123}, "project_id: Input should be a valid string"),
    ("project:get", {}, "project_id: Field required"),
    ("project:get", {"project_id": "prj_x", "admin": True}, "admin: Extra inputs are not permitted"),
    ("project:get", "prj_x", "payload must be an object"),
    ("project:get", [1, 2], "payload must be an object"),
    ("nope:nope", {"project_id": "prj_x"}, "unknown event 'nope:nope'"),
])
async def test_bad_events_get_request_invalid(server: ServerProcess, event: str, payload: object,
                                              detail: str) -> None:
    project = await make_project(server)
    async with realtime(server, project.admin.token) as rt:
        ack = await rt.call(event, payload)
        assert ack["ok"] is False
        assert ack["error"]["code"] == "request.invalid"
        assert detail in ack["error"]["message"]
        # The connection goes on serving.
        ack = await rt.call("project:get", {"project_id": project.id})
        assert ack["ok"] is True and ack["data"]["project"]["id"] == project.id


async def test_french_users_read_french_errors(server: ServerProcess) -> None:
    user = person(server, "prof", "teacher", lang="fr")
    async with realtime(server, user.token) as rt:
        ack = await rt.call("project:get", {"project_id": "prj_nowhere"})
        assert without_request_id(ack["error"]) == {"code": "project.not_found", "message": "Projet introuvable."}
        ack = await rt.call("project:get", {})
        # The field, never the validator's English explanation, in a French message.
        assert ack["error"]["message"] == "Requête invalide : vérifiez « project_id »."
        assert ack["error"]["data"] == {"field": "project_id"}


async def test_ten_megabyte_event_closes_its_connection_and_the_server_serves(server: ServerProcess) -> None:
    project = await make_project(server)
    async with realtime(server, project.admin.token) as rt:
        with pytest.raises(socketio.exceptions.SocketIOError):  # refused from the frame's header
            await rt.call("space:list", {"project_id": "x" * TEN_MB})
    async with realtime(server, project.admin.token) as rt:
        ack = await rt.call("space:list", {"project_id": "x" * (300 * 1024)})  # within a frame: answered
        assert ack["ok"] is False and ack["error"]["code"] == "request.too_large"
        assert ack["error"]["data"] == {"limit_bytes": 256 * 1024}
        ack = await rt.call("space:list", {"project_id": project.id})
        assert ack["ok"] is True and len(ack["data"]) == 4


async def test_two_payloads_are_refused(server: ServerProcess) -> None:
    project = await make_project(server)
    async with realtime(server, project.admin.token) as rt:
        ack = await rt.call("project:get", {"project_id": project.id}, {"project_id": project.id})
        assert ack["error"]["code"] == "request.invalid"


async def _members(server: ServerProcess, token: str, project_id: str) -> list[dict[str, object]]:
    async with Api(server, token) as api:
        r = await api.get(f"/projects/{project_id}/members")
        assert r.status_code == 200
        return r.json()  # type: ignore[no-any-return]


@pytest.mark.parametrize(("body", "detail"), [
    ({"role": "pupil", "display_name": 42}, "display_name: Input should be a valid string"),
    ({"role": "pupil"}, "display_name: Field required"),
    ({"role": "pupil", "display_name": "Eve", "is_admin": True}, "is_admin: Extra inputs are not permitted"),
    ({"role": "emperor", "display_name": "Eve"}, "role: Input should be"),
    (["pupil"], "payload must be an object"),
    ("not json at all", "body is not JSON"),
    (None, "payload must be an object"),
])
async def test_bad_rest_bodies_get_400_and_store_nothing(server: ServerProcess, body: object, detail: str) -> None:
    project = await make_project(server)
    before = await _members(server, project.admin.token, project.id)
    async with Api(server, project.admin.token) as api:
        if isinstance(body, str):
            r = await api.request("POST", f"/projects/{project.id}/members", content=body.encode(),
                                  headers={"Content-Type": "application/json"})
        else:
            r = await api.post(f"/projects/{project.id}/members", json=body)
        assert r.status_code == 400, r.text
        assert r.json()["error"]["code"] == "request.invalid"
        assert detail in r.json()["error"]["message"]
    assert await _members(server, project.admin.token, project.id) == before


async def test_ten_megabyte_rest_body_gets_413(server: ServerProcess) -> None:
    project = await make_project(server)
    async with Api(server, project.admin.token) as api:
        big = {"role": "pupil", "display_name": "x" * TEN_MB}
        r = await api.post(f"/projects/{project.id}/members", json=big)
        assert r.status_code == 413 and r.json()["error"]["code"] == "request.too_large"

        async def chunks():  # no Content-Length: the limit holds while streaming too
            for _ in range(10):
                yield b"x" * (1024 * 1024)

        r = await api.request("POST", f"/projects/{project.id}/members", content=chunks(),
                              headers={"Content-Type": "application/json"})
        assert r.status_code == 413
        # The next request is served.
        assert (await api.get(f"/projects/{project.id}")).status_code == 200
    assert len(await _members(server, project.admin.token, project.id)) == 5


async def test_bad_registration_stores_no_project(server: ServerProcess) -> None:
    founder = person(server, "t", "teacher", school="A")
    good = {"title": "T", "subject": "S", "age_min": 10, "age_max": 12, "languages": ["en"],
            "partners": [{"user_id": "p1", "display_name": "P", "school": "B", "country": "DE"}]}
    bad_bodies = [
        {**good, "age_min": "ten"},
        {**good, "age_min": 14},  # older than age_max
        {k: v for k, v in good.items() if k != "title"},
        {**good, "budget": 1000},
        {**good, "languages": ["english"]},
        {**good, "title": "x" * 201},
        {**good, "partners": [{"user_id": "p1", "display_name": "P", "school": "B", "country": "Germany"}]},
    ]
    async with Api(server, founder.token) as api:
        for body in bad_bodies:
            r = await api.post("/projects", body)
            assert r.status_code == 400, body
            assert r.json()["error"]["code"] == "request.invalid"
        assert (await api.get("/projects")).json() == []
        assert (await api.post("/projects", good)).status_code == 201


async def test_unknown_routes_and_methods(server: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
        r = await http.get("/api/v1/nothing-here")
        assert r.status_code == 404 and r.json()["error"]["code"] == "request.not_found"
        r = await http.put("/api/v1/projects")
        assert r.status_code == 405 and r.json()["error"]["code"] == "request.method_not_allowed"
        r = await http.get("/api/v1/projects", params={"status": "sleeping"},
                           headers={"Authorization": "Bearer " + server.token("nso", "support")})
        assert r.status_code == 400 and "status" in r.json()["error"]["message"]
        assert "pending" in r.json()["error"]["message"]
