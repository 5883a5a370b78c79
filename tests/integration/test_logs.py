"""The JSON log (``--log-format json``): one object per line, one line per answered request, found by
the request id the error answer carries; no token, message text or search words in it."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from tests.support.clients import Api, make_project, ok, realtime, refused, until
from tests.support.logscan import Scanner
from tests.support.server import ServerProcess

REQUIRED = ("time", "level", "logger", "message", "instance")


def entries(server: ServerProcess) -> list[dict[str, Any]]:
    """Every line of the server's log, each parsed as one JSON object with the fields every line has."""
    parsed = []
    for line in server.log().splitlines():
        entry = json.loads(line)  # a line that is not JSON fails the test here
        assert isinstance(entry, dict), line
        assert all(isinstance(entry.get(name), str) for name in REQUIRED), line
        assert entry["time"].endswith("Z") and datetime.fromisoformat(entry["time"]).utcoffset().total_seconds() == 0
        assert entry["level"] in ("debug", "info", "warning", "error", "critical"), line
        parsed.append(entry)
    return parsed


async def the_line(server: ServerProcess, request_id: str) -> dict[str, Any]:
    """The one request line (the observer's) of ``request_id``, once it is written."""
    found: list[dict[str, Any]] = []

    def written() -> bool:
        found[:] = [e for e in entries(server) if e.get("request_id") == request_id and "outcome" in e]
        return bool(found)

    await until(written)
    assert len(found) == 1, found
    return found[0]


@pytest.fixture
def json_server(make_server: Callable[..., ServerProcess]) -> ServerProcess:
    return make_server("--log-format", "json", "--log-level", "debug").start()


async def test_a_refused_event_and_route_are_found_by_the_request_id_of_their_answer(json_server: ServerProcess) -> None:
    server = json_server
    project = await make_project(server)
    teacher = project.teacher
    async with realtime(server, teacher.token) as rt:
        ack = await rt.call("project:get", {"project_id": "prj_nowhere"})
        assert ack["ok"] is False and ack["error"]["code"] == "project.not_found"
        line = await the_line(server, ack["error"]["request_id"])
        assert line["event"] == "project:get" and line["outcome"] == "project.not_found"
        assert line["level"] == "warning" and line["user"] == teacher.id and "route" not in line
        assert isinstance(line["duration_ms"], float | int) and line["duration_ms"] >= 0
        assert line["instance"].endswith(f":{server.proc.pid}")  # type: ignore[union-attr]

        answered = await rt.call("project:get", {"project_id": project.id})
        assert answered["ok"] is True
        unknown = await rt.call("weather:get", {})
        line = await the_line(server, unknown["error"]["request_id"])
        assert line["event"] == "weather:get" and line["outcome"] == "request.invalid" and line["user"] == teacher.id
    async with Api(server, teacher.token) as api:
        r = await api.get("/projects/prj_nowhere")
    assert r.status_code == 404
    line = await the_line(server, r.json()["error"]["request_id"])
    assert line["route"] == "GET /api/v1/projects/{project_id}" and line["outcome"] == "project.not_found"
    assert line["level"] == "warning" and line["user"] == teacher.id and "event" not in line

    successes = [e for e in entries(server) if e.get("event") == "project:get" and e.get("outcome") == "ok"]
    assert len(successes) == 1 and successes[0]["level"] == "debug" and successes[0]["user"] == teacher.id


async def test_a_refused_connection_is_found_by_its_request_id(json_server: ServerProcess) -> None:
    data = await refused(json_server, {"token": "not-a-token"})
    request_id = data["data"]["request_id"]
    await until(lambda: any(e.get("request_id") == request_id for e in entries(json_server)))
    lines = [e for e in entries(json_server) if e.get("request_id") == request_id]
    assert len(lines) == 1 and lines[0]["level"] == "warning" and "refused connection" in lines[0]["message"]


async def test_no_token_message_text_or_search_words_are_logged(json_server: ServerProcess) -> None:
    server = json_server
    project = await make_project(server)
    room = project.spaces["general"]
    text = f"a pupil's words, long enough for a WebSocket frame to be cut short in a log {uuid.uuid4().hex}"
    words = f"zebra{uuid.uuid4().hex[:8]}"
    async with realtime(server, project.pupil.token) as rt:
        await ok(rt, "room:join", {"room_id": room})
        await ok(rt, "chat:send", {"room_id": room, "client_id": uuid.uuid4().hex, "text": text})
        refused_ack = await rt.call("chat:send", {"room_id": room, "client_id": 7, "text": text})
        assert refused_ack["ok"] is False
    async with Api(server, project.pupil.token) as api:
        r = await api.get(f"/projects/{project.id}/search", params={"q": words})
        assert r.status_code == 200, r.text
    await the_line(server, refused_ack["error"]["request_id"])
    await until(lambda: any(e.get("logger") == "uvicorn.access" and "/search?" in e["message"]
                            for e in entries(server)))
    assert any(e.get("event") == "chat:send" and e["outcome"] == "ok" for e in entries(server))
    scanner = Scanner(secrets=[project.pupil.token, project.admin.token, server.secret], texts=[text, words])
    assert [hit for line in server.log().splitlines() for hit in scanner.line(line)] == []
    assert words not in server.log()  # shorter than the scan's texts: looked for here alone
