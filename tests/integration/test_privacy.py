"""A person's export and erasure against a running server, on the local object store and on a real S3 server."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import random
import sqlite3
import uuid
import zipfile
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from minio import Minio

import storage
from rooms.chat_models import Message
from rooms.ids import new_id, utcnow
from storage.objects.s3 import parse_s3_url
from tests.support.clients import Api, Project, make_project, ok, realtime, uid
from tests.support.memory import peak_growth
from tests.support.redis import RedisServer
from tests.support.s3 import with_bucket
from tests.support.scan import scan_bucket, scan_folder, scan_sqlite
from tests.support.server import ServerProcess

MB = 1024 * 1024
JSON_FILES = ("profile.json", "memberships.json", "messages.json", "threads.json", "posts.json", "mail.json",
              "files.json", "read_markers.json", "reports.json", "audit.json")
VIDEO_HEAD = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"  # an MP4 file's first box


@pytest.fixture(scope="module", params=["file", "s3"])
def store_args(request: pytest.FixtureRequest) -> tuple[str, ...]:
    if request.param == "file":
        return ()
    return ("--objects-url", with_bucket(request.getfixturevalue("s3_url"), f"privacy-{uuid.uuid4().hex[:8]}"))


@pytest.fixture(scope="module")
def server(store_args: tuple[str, ...], tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    proc = ServerProcess(tmp_path_factory.mktemp("privacy") / "data", *store_args, "--chat-rate-messages", "10000",
                         "--mail-rate-messages", "10000").start()
    yield proc
    proc.stop()


def video(size: int, marker: bytes, seed: int) -> Iterator[bytes]:
    """A video-like file: an MP4 header, a byte marker, then pseudo-random (incompressible) bytes in 64 KiB chunks."""
    yield VIDEO_HEAD + marker
    sent, rng = len(VIDEO_HEAD) + len(marker), random.Random(seed)
    while sent < size:
        piece = rng.randbytes(min(64 * 1024, size - sent))
        sent += len(piece)
        yield piece


async def upload(server: ServerProcess, token: str, project_id: str, name: str, chunks: Iterator[bytes]) -> str:
    async def body() -> AsyncIterator[bytes]:
        for chunk in chunks:
            yield chunk

    async with Api(server, token) as api:
        r = await api.request("POST", f"/projects/{project_id}/files", params={"name": name}, content=body())
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def export_path(project: Project, user_id: str) -> str:
    return f"/projects/{project.id}/members/{user_id}/export"


def check_export(data: zipfile.ZipFile) -> dict[str, Any]:
    """Valid, every JSON file there and valid against schema.json; the JSON files, parsed."""
    assert data.testzip() is None
    schema = json.loads(data.read("schema.json"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    parsed = {}
    for name in JSON_FILES:
        parsed[name] = json.loads(data.read(name))
        jsonschema.Draft202012Validator({**schema, "$ref": f"#/files/{name}"}).validate(parsed[name])
    return parsed


def s3_of(server: ServerProcess) -> tuple[Minio, str]:
    assert server.objects_url is not None
    where = parse_s3_url(server.objects_url)
    return Minio(where.endpoint, where.access_key, where.secret_key, secure=where.secure,
                 region=where.region), where.bucket


async def test_an_export_holds_each_kind_and_is_audited(server: ServerProcess) -> None:
    project = await make_project(server)
    pupil, general = project.pupil, project.spaces["general"]
    content = b"Our river notes " * 100
    file_id = await upload(server, pupil.token, project.id, "notes.txt", iter([content]))
    async with realtime(server, pupil.token) as rt:
        await ok(rt, "room:join", {"room_id": general})
        sent = await ok(rt, "chat:send", {"room_id": general, "client_id": uid("c"), "text": "Bonjour",
                                          "attachments": [file_id]})
        thread = await ok(rt, "forum:thread_create", {"forum_id": project.spaces["forum"], "title": "Rivers",
                                                      "body": "The Rhône"})
        await ok(rt, "forum:post_create", {"thread_id": thread["id"], "body": "And the Saône"})
    async with Api(server, pupil.token) as api:
        r = await api.post("/mail", {"project_id": project.id, "to": [project.admin.id], "subject": "Hi",
                                     "body": "Hello"})
        assert r.status_code == 201, r.text
    async with Api(server, project.admin.token) as api:
        r = await api.get(export_path(project, pupil.id))
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "application/zip"
        assert r.headers["content-disposition"].startswith("attachment; filename=") and ".zip" in r.headers[
            "content-disposition"]
        audit = (await api.get(f"/projects/{project.id}/audit", params={"action": "member.export"})).json()
    assert [(e["actor_id"], e["target_id"]) for e in audit["entries"]] == [(project.admin.id, pupil.id)]
    parsed = check_export(zipfile.ZipFile(io.BytesIO(r.content)))
    assert [m["id"] for m in parsed["messages.json"]] == [sent["id"]]
    assert [t["title"] for t in parsed["threads.json"]] == ["Rivers"]
    assert [p["body"] for p in parsed["posts.json"]] == ["And the Saône"]
    assert [c["mail"]["subject"] for c in parsed["mail.json"]] == ["Hi"]
    assert parsed["profile.json"]["member"]["user_id"] == pupil.id
    assert [m["project_id"] for m in parsed["memberships.json"]] == [project.id]
    assert {m["kind"] for m in parsed["read_markers.json"]} == {"room", "thread"}
    (line,) = parsed["files.json"]
    assert zipfile.ZipFile(io.BytesIO(r.content)).read(line["path"]) == content
    assert line["path"] == f"files/{file_id}-notes.txt"

    async with Api(server, pupil.token) as api:  # their own
        own = await api.get(export_path(project, pupil.id))
        assert own.status_code == 200
        other = await api.get(export_path(project, project.admin.id))
        assert other.status_code == 403 and other.json()["error"]["code"] == "permission.denied"
    async with Api(server, project.support.token) as api:
        assert (await api.get(export_path(project, pupil.id))).status_code == 200
    async with Api(server, project.outsider.token) as api:
        assert (await api.get(export_path(project, pupil.id))).json()["error"]["code"] == "project.not_found"


async def test_a_pupil_with_10000_messages_and_50_mib_of_files_streams_in_bounded_memory(
        server: ServerProcess, tmp_path: Path) -> None:
    if server.objects_url is not None:
        pytest.skip("the big export runs on the local object store; a small one runs on S3 above")
    project = await make_project(server)
    pupil, general = project.pupil, project.spaces["general"]
    digests = {}
    for i in range(5):  # 5 x 10 MiB
        data_sha = hashlib.sha256()
        for chunk in video(10 * MB, f"zq-bytes-{i}".encode(), seed=i):
            data_sha.update(chunk)
        file_id = await upload(server, pupil.token, project.id, f"trip-{i}.mp4",
                               video(10 * MB, f"zq-bytes-{i}".encode(), seed=i))
        digests[file_id] = data_sha.hexdigest()
    async with storage.open_documents(f"sqlite://{server.data_dir / 'twinspace.db'}") as store:
        for start in range(0, 10_000, 500):  # written through the store, in batches: one transaction each
            batch = [Message(id=new_id("msg"), room_id=general, project_id=project.id, seq=0, client_id=f"bulk-{n}",
                             author_id=pupil.id, author_name="Pupil", text=f"message number {n} " + "x" * 100,
                             created_at=utcnow()) for n in range(start, start + 500)]
            await asyncio.gather(*(store.append_message(m) for m in batch))
    async with Api(server, project.admin.token) as api:  # warm up: the export's code paths, on a small one
        assert (await api.get(export_path(project, project.visitor.id))).status_code == 200

    assert server.proc is not None
    target = tmp_path / "export.zip"
    with peak_growth(server.proc.pid) as growth:
        async with Api(server, project.admin.token) as api:
            async with api._http.stream("GET", export_path(project, pupil.id), timeout=120) as stream:  # noqa: SLF001
                assert stream.status_code == 200
                with target.open("wb") as out:
                    async for chunk in stream.aiter_bytes():
                        out.write(chunk)
    grown_mib = growth.mib
    print(f"RSS growth while a {target.stat().st_size / MB:.0f} MiB export streamed: {grown_mib:.1f} MiB "
          f"(from {growth.before_kib / 1024:.0f} MiB)")
    assert grown_mib < 30, f"the server grew by {grown_mib:.1f} MiB during the export"

    with zipfile.ZipFile(target) as data:
        parsed = check_export(data)
        assert len(parsed["messages.json"]) == 10_000
        assert {m["author_id"] for m in parsed["messages.json"]} == {pupil.id}
        assert len(parsed["files.json"]) == 5
        for line in parsed["files.json"]:
            digest = hashlib.sha256()
            with data.open(line["path"]) as member:
                while block := member.read(MB):
                    digest.update(block)
            assert digest.hexdigest() == digests[line["record"]["id"]]


async def test_after_an_erasure_nothing_of_the_pupil_remains(server: ServerProcess) -> None:
    project = await make_project(server)
    pupil, general = project.pupil, project.spaces["general"]
    mark = f"zq-{uuid.uuid4().hex[:10]}"  # in everything the pupil wrote
    byte_mark = f"zq-bytes-{uuid.uuid4().hex[:10]}".encode()
    file_id = await upload(server, pupil.token, project.id, f"{mark}.mp4", video(256 * 1024, byte_mark, seed=1))
    async with realtime(server, pupil.token) as rt, realtime(server, project.teacher.token) as teacher:
        await ok(rt, "room:join", {"room_id": general})
        await ok(teacher, "room:join", {"room_id": general})
        mine = [await ok(rt, "chat:send", {"room_id": general, "client_id": uid("c"), "text": f"{mark} chat {i}",
                                           **({"attachments": [file_id]} if i == 0 else {})}) for i in range(3)]
        reply = await ok(teacher, "chat:send", {"room_id": general, "client_id": uid("c"),
                                                "text": "Well said", "reply_to": mine[0]["id"]})
        thread = await ok(rt, "forum:thread_create", {"forum_id": project.spaces["forum"], "title": f"{mark} title",
                                                      "body": f"{mark} body"})
        await ok(rt, "forum:post_create", {"thread_id": thread["id"], "body": f"{mark} post"})
        await ok(teacher, "forum:post_create", {"thread_id": thread["id"], "body": "A teacher's answer"})
        async with Api(server, pupil.token) as api:
            r = await api.post("/mail", {"project_id": project.id, "to": [project.teacher.id],
                                         "subject": f"{mark} subject", "body": f"{mark} mail"})
            assert r.status_code == 201, r.text
            r = await api.post("/reports", {"kind": "message", "item_id": reply["id"], "room_id": general,
                                            "reason": "other", "note": f"{mark} note"})
            assert r.status_code in (200, 201), r.text
        async with Api(server, project.teacher.token) as api:
            r = await api.post("/reports", {"kind": "message", "item_id": mine[1]["id"], "room_id": general,
                                            "reason": "spam"})
            assert r.status_code in (200, 201), r.text
        async with Api(server, project.admin.token) as api:
            asked = await api.post(f"/projects/{project.id}/members/{pupil.id}/erasure")
            assert asked.status_code == 200, asked.text
            request = asked.json()
            assert request["summary"]["messages"] == 3 and request["summary"]["files"] == 1
            assert request["summary"]["reports"] == 2
            wrong = await api.post(f"/projects/{project.id}/members/{pupil.id}/erasure/confirm",
                                   {"confirmation": "not-it"})
            assert wrong.status_code == 409 and wrong.json()["error"]["code"] == "erasure.not_confirmed"
        async with Api(server, project.partner.token) as api:  # bound to who asked
            other = await api.post(f"/projects/{project.id}/members/{pupil.id}/erasure/confirm",
                                   {"confirmation": request["confirmation"]})
            assert other.json()["error"]["code"] == "erasure.not_confirmed"
        async with Api(server, project.admin.token) as api:
            r = await api.post(f"/projects/{project.id}/members/{pupil.id}/erasure/confirm",
                               {"confirmation": request["confirmation"]})
            assert r.status_code == 200, r.text
            assert r.json()["summary"] == request["summary"]
            again = await api.post(f"/projects/{project.id}/members/{pupil.id}/erasure/confirm",
                                   {"confirmation": request["confirmation"]})
            assert again.status_code == 200 and again.json()["summary"] == request["summary"]  # idempotent
        erased = await teacher.wait_for("member:erased")
        assert erased[0] == {"project_id": project.id, "user_id": pupil.id}  # (the confirmation again tells again)
        refused = await rt.call("chat:send", {"room_id": general, "client_id": uid("c"), "text": "still here?"})
        assert not refused["ok"] and refused["error"]["code"] in ("room.not_found", "project.not_found")
        history = await ok(teacher, "chat:history", {"room_id": general, "limit": 100})

    seqs = [m["seq"] for m in history["messages"]]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))) and len(seqs) == 4  # gap-free, nothing removed
    by_id = {m["id"]: m for m in history["messages"]}
    assert by_id[reply["id"]]["text"] == "Well said" and by_id[reply["id"]]["reply_to"] == mine[0]["id"]
    assert all(by_id[m["id"]]["text"] is None and by_id[m["id"]]["author_id"] == "erased" for m in mine)
    async with Api(server, pupil.token) as api:
        assert (await api.get(f"/projects/{project.id}")).json()["error"]["code"] == "project.not_found"
    async with Api(server, project.admin.token) as api:
        audit = (await api.get(f"/projects/{project.id}/audit", params={"action": "member.erase"})).json()
    (entry,) = audit["entries"]
    assert entry["target_id"] == pupil.id and entry["after"] == request["summary"]

    markers: list[str | bytes] = [mark, byte_mark]
    assert scan_sqlite(server.data_dir / "twinspace.db", markers) == {}
    # Not in the database file's bytes either (free pages, old cells): once the log is checkpointed into
    # the file, nothing of the pupil's text is left anywhere in it.
    with sqlite3.connect(server.data_dir / "twinspace.db", timeout=10) as db:
        busy, _, _ = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    assert busy == 0
    for path in server.data_dir.glob("twinspace.db*"):
        assert mark.encode() not in path.read_bytes(), path.name
    if server.objects_url is None:
        assert scan_folder(server.data_dir / "files", markers) == {}
    else:
        client, bucket = s3_of(server)
        assert scan_bucket(client, bucket, markers) == {}


async def test_an_erasure_over_socketio(server: ServerProcess) -> None:
    project = await make_project(server)
    async with realtime(server, project.support.token) as support, realtime(server, project.admin.token) as admin:
        asked = await ok(support, "member:erase_request", {"project_id": project.id, "user_id": project.visitor.id})
        refused = await admin.call("member:erase_confirm", {"project_id": project.id, "user_id": project.visitor.id,
                                                            "confirmation": asked["confirmation"]})
        assert refused["error"]["code"] == "erasure.not_confirmed"  # the support officer asked, not this admin
        done = await ok(support, "member:erase_confirm", {"project_id": project.id, "user_id": project.visitor.id,
                                                          "confirmation": asked["confirmation"]})
        assert done["summary"] == asked["summary"]
        assert (await admin.wait_for("member:erased"))[0]["user_id"] == project.visitor.id
    async with Api(server, project.visitor.token) as api:
        assert (await api.get(f"/projects/{project.id}")).json()["error"]["code"] == "project.not_found"


async def test_an_erasure_on_one_instance_refuses_the_pupil_on_the_other(
        make_server: Callable[..., ServerProcess], redis_server: RedisServer, tmp_path: Path) -> None:
    data = tmp_path / "shared"  # two instances, one data folder (SQLite and files), one Redis
    flags = ("--fanout-url", redis_server.url, "--chat-rate-messages", "10000")
    a = make_server(*flags, data_dir=data).start()
    b = make_server(*flags, data_dir=data).start()
    project = await make_project(a)
    room = project.spaces["general"]
    async with realtime(a, project.pupil.token) as pupil, realtime(b, project.teacher.token) as teacher:
        await ok(pupil, "room:join", {"room_id": room})
        await ok(teacher, "room:join", {"room_id": room})
        await ok(pupil, "chat:send", {"room_id": room, "client_id": uid("c"), "text": "hello from a"})
        async with Api(b, project.admin.token) as api:
            asked = (await api.post(f"/projects/{project.id}/members/{project.pupil.id}/erasure")).json()
            r = await api.post(f"/projects/{project.id}/members/{project.pupil.id}/erasure/confirm",
                               {"confirmation": asked["confirmation"]})
            assert r.status_code == 200, r.text
        await teacher.wait_for("presence:update", lambda p: project.pupil.id in p["left"])
        await teacher.wait_for("member:erased")
        after = await ok(teacher, "chat:send", {"room_id": room, "client_id": uid("c"), "text": "after"})
        refused = await pupil.call("chat:send", {"room_id": room, "client_id": uid("c"), "text": "still?"})
        assert refused["error"]["code"] in ("room.not_found", "project.not_found")
        assert after["id"] not in [m["id"] for m in pupil.pushes["chat:message"]]  # evicted from the room on a
