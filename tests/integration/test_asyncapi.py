"""The AsyncAPI document a running server serves: valid, complete, and true to what travels.

Validated against the official AsyncAPI 3.0.0 JSON Schema (npm ``@asyncapi/specs``) with
``jsonschema``, and parsed by the official parser (npm ``@asyncapi/parser``, which also applies the
specification's rules: references that resolve, an operation's messages from its own channel), both
installed by ``tests/asyncapi/install.sh``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft7Validator
from referencing import Registry
from referencing.jsonschema import DRAFT7

from rooms.errors import SPECS
from server.realtime.events import EVENTS
from server.realtime.fanout import PUSHES
from tests.support.clients import CALL_TIMEOUT_SECS, Project, make_project, realtime
from tests.support.server import ServerProcess

TOOLS = Path(__file__).resolve().parents[1] / "asyncapi"
SPECS_DIR = TOOLS / "node_modules" / "@asyncapi" / "specs" / "schemas"
PARSER_TIMEOUT_SECS = 120  # the parser takes a few seconds; a shared, busy machine more
DOC_URI = "urn:twinspace:asyncapi-under-test"


@pytest.fixture(scope="module")
def document(server: ServerProcess) -> dict[str, Any]:
    r = httpx.get(server.url + "/api/v1/asyncapi.json", timeout=CALL_TIMEOUT_SECS)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    doc: dict[str, Any] = r.json()
    return doc


def official_schema() -> dict[str, Any]:
    path = SPECS_DIR / "3.0.0.json"
    assert path.is_file(), f"{path} is missing: run tests/asyncapi/install.sh (bin/setup --tests does)"
    schema: dict[str, Any] = json.loads(path.read_text())
    return schema


def refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def resolve(doc: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = doc
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict) and part in node, f"{ref} does not resolve"
        node = node[part]
    return node


def payload_validator(doc: dict[str, Any], message_ref: str) -> Draft7Validator:
    """A validator of the payload of the message at ``message_ref`` (the AsyncAPI Schema is draft-07's superset)."""
    message = resolve(doc, message_ref)
    if "$ref" in message:
        message_ref = message["$ref"]
    registry: Registry[Any] = Registry().with_resource(DOC_URI, DRAFT7.create_resource(doc))
    validator = Draft7Validator({"$ref": f"{DOC_URI}{message_ref}/payload"}, registry=registry,
                                format_checker=Draft7Validator.FORMAT_CHECKER)
    return validator


def assert_valid(doc: dict[str, Any], message_ref: str, instance: Any) -> None:
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
              for e in payload_validator(doc, message_ref).iter_errors(instance)]
    assert errors == [], f"{message_ref}: {instance!r}"


def test_the_document_is_valid_asyncapi_3(server: ServerProcess, document: dict[str, Any]) -> None:
    assert document["asyncapi"] == "3.0.0"
    schema = official_schema()
    Draft7Validator.check_schema(schema)
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}"
              for e in Draft7Validator(schema).iter_errors(document)]
    assert errors == []
    for ref in set(refs(document)):
        resolve(document, ref)
    for key, op in document["operations"].items():  # each names messages of the channel it names
        for part in (op, op.get("reply")):
            if part is not None:
                prefix = part["channel"]["$ref"] + "/messages/"
                assert part["messages"] and all(m["$ref"].startswith(prefix) for m in part["messages"]), key
    for schema_of_payload in (m["payload"] for m in document["components"]["messages"].values()):
        Draft7Validator.check_schema(schema_of_payload)
    server_entry = document["servers"]["twinspace"]
    assert server_entry["protocol"] == "ws" and server_entry["pathname"] == "/socket.io/"
    assert f"{server_entry['protocol']}://{server_entry['host']}" == server.url.replace("http", "ws", 1)
    index = httpx.get(server.url + "/", timeout=CALL_TIMEOUT_SECS).json()
    assert index["asyncapi"] == "/api/v1/asyncapi.json" and index["openapi"] == "/api/v1/openapi.json"


def test_the_official_parser_accepts_it(document: dict[str, Any], tmp_path: Path) -> None:
    node = shutil.which("node")
    assert node is not None, "node not found: install Node.js 20 or later"
    assert (TOOLS / "node_modules" / "@asyncapi" / "parser").is_dir(), "run tests/asyncapi/install.sh"
    path = tmp_path / "asyncapi.json"
    path.write_text(json.dumps(document))
    run = subprocess.run([node, str(TOOLS / "validate.mjs"), str(path)], capture_output=True, text=True,
                         timeout=PARSER_TIMEOUT_SECS, check=False)
    assert run.returncode == 0, run.stderr
    found = json.loads(run.stdout)
    # Errors (0) and warnings (1) fail; information (2, e.g. "3.1.0 is out") and hints (3) do not.
    assert [d for d in found["diagnostics"] if d["severity"] < 2] == []
    assert found["parsed"] and found["operations"] == len(EVENTS) + len(PUSHES)
    assert found["channels"] == len(set(EVENTS) | set(PUSHES))


def test_it_lists_exactly_the_events_and_the_pushes(document: dict[str, Any]) -> None:
    received, sent = [], []
    for op in document["operations"].values():
        address = resolve(document, op["channel"]["$ref"])["address"]
        (received if op["action"] == "receive" else sent).append(address)
    assert sorted(received) == sorted(EVENTS)
    assert sorted(sent) == sorted(PUSHES)
    assert {c["address"] for c in document["channels"].values()} == set(EVENTS) | set(PUSHES)
    for op in document["operations"].values():
        if op["action"] == "receive":  # every request is answered: its result or an error
            assert [m["$ref"].rsplit("/", 1)[-1] for m in op["reply"]["messages"]] == ["ok", "error"]
        else:
            assert "reply" not in op
    codes = document["components"]["schemas"]["ErrorCode"]["enum"]
    assert codes == sorted(SPECS)


@pytest.fixture
async def project(server: ServerProcess) -> Project:
    return await make_project(server)


async def test_real_payloads_acks_and_pushes_validate(server: ServerProcess, document: dict[str, Any],
                                                      project: Project) -> None:
    room = project.spaces["general"]
    sent: list[tuple[str, dict[str, Any], dict[str, Any]]] = []  # (event, payload, ack)
    async with realtime(server, project.pupil.token) as pupil, realtime(server, project.teacher.token) as teacher:

        async def call(rt: Any, event: str, payload: dict[str, Any]) -> dict[str, Any]:
            ack = await rt.call(event, payload)
            sent.append((event, payload, ack))
            return ack  # type: ignore[no-any-return]

        assert (await call(teacher, "room:join", {"room_id": room}))["ok"]
        assert (await call(pupil, "room:join", {"room_id": room}))["ok"]
        await teacher.wait_for("presence:update")  # the pupil came online (pushed in batches)
        message = await call(pupil, "chat:send", {"room_id": room, "client_id": uuid.uuid4().hex,
                                                  "text": "Guten Tag! 🌊", "mentions": []})
        assert message["ok"]
        await teacher.wait_for("chat:message", lambda m: m["id"] == message["data"]["id"])
        assert (await call(pupil, "chat:typing", {"room_id": room}))["ok"]
        await teacher.wait_for("chat:typing")
        assert (await call(teacher, "chat:react", {"room_id": room, "message_id": message["data"]["id"],
                                                   "emoji": "👍"}))["ok"]
        await pupil.wait_for("chat:reactions_changed")
        assert (await call(teacher, "chat:history", {"room_id": room, "limit": 10}))["ok"]
        assert (await call(pupil, "project:list", {}))["ok"]
        refused = await call(pupil, "chat:send", {"room_id": room, "text": "no client id"})
        assert refused["error"]["code"] == "request.invalid" and len(refused["error"]["request_id"]) == 16
        denied = await call(pupil, "chat:pin", {"room_id": room, "message_id": message["data"]["id"],
                                                "pinned": True})
        assert not denied["ok"]
        pushes = [*pupil.arrivals, *teacher.arrivals]

    for event, payload, ack in sent:
        key = event.replace(":", ".")
        if ack["ok"]:
            assert_valid(document, f"#/channels/{key}/messages/request", payload)
            assert_valid(document, f"#/channels/{key}/messages/ok", ack)
        else:
            assert_valid(document, f"#/channels/{key}/messages/error", ack)
    assert payload_validator(document, "#/channels/chat.send/messages/request").is_valid(
        {"room_id": room, "text": "no client id"}) is False  # what the server refused, the schema refuses
    assert {name for name, _ in pushes} >= {"chat:message", "chat:typing", "chat:reactions_changed",
                                            "presence:update"}
    for name, data in pushes:
        assert_valid(document, f"#/channels/{name.replace(':', '.')}/messages/push", data)
