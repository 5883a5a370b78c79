"""Shared files against a running server: uploads, downloads, limits and who may read what."""

from __future__ import annotations

import asyncio
import hashlib
import socket
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
from minio import Minio

from storage.objects.s3 import parse_s3_url
from tests.support.clients import (
    CALL_TIMEOUT_SECS,
    Api,
    Project,
    make_project,
    realtime,
    uid,
    until,
    without_request_id,
)
from tests.support.memory import peak_growth
from tests.support.s3 import with_bucket
from tests.support.server import ServerProcess

MB = 1024 * 1024
VIDEO_HEAD = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"  # an MP4 file's first box


def video_chunks(size: int, seed: int = 7) -> Iterator[bytes]:
    """A video-like file: an MP4 header, then pseudo-random bytes, in 64 KiB chunks."""
    yield VIDEO_HEAD
    sent, block = len(VIDEO_HEAD), hashlib.sha256(str(seed).encode()).digest() * 2048
    while sent < size:
        piece = block[: min(len(block), size - sent)]
        block = hashlib.sha256(block[:64]).digest() * 2048
        sent += len(piece)
        yield piece


async def upload(server: ServerProcess, token: str, project_id: str, name: str, content: Any) -> httpx.Response:
    async with Api(server, token) as api:
        return await api.request("POST", f"/projects/{project_id}/files", params={"name": name}, content=content)


async def download(server: ServerProcess, token: str, file_id: str, **headers: str) -> httpx.Response:
    async with Api(server, token) as api:
        return await api.get(f"/files/{file_id}", headers=headers)


def objects_of(server: ServerProcess, project_id: str) -> list[str]:
    """The keys stored under a project's prefix, in whichever object store the server uses."""
    url = server.objects_url
    if url is None:
        folder = server.data_dir / "files" / project_id
        return sorted(p.name for p in folder.iterdir()) if folder.exists() else []
    client, bucket = _s3(server)
    return sorted(o.object_name for o in client.list_objects(bucket, prefix=f"{project_id}/"))


def _s3(server: ServerProcess) -> tuple[Minio, str]:
    assert server.objects_url is not None
    where = parse_s3_url(server.objects_url)
    return Minio(where.endpoint, where.access_key, where.secret_key, secure=where.secure,
                 region=where.region), where.bucket


def leftovers(server: ServerProcess) -> list[str]:
    """Uploads in progress: the local store's temporary files, or the S3 store's unfinished multipart uploads."""
    if server.objects_url is None:
        return sorted(p.name for p in (server.data_dir / "files" / ".tmp").glob("*.part"))
    client, bucket = _s3(server)
    return sorted(u.object_name for u in client._list_multipart_uploads(bucket).uploads)


@pytest.fixture(scope="module", params=["file", "s3"])
def store_args(request: pytest.FixtureRequest) -> tuple[str, ...]:
    """Every test here runs on the local object store and on a real S3 server."""
    if request.param == "file":
        return ()
    return ("--objects-url", with_bucket(request.getfixturevalue("s3_url"), f"files-{uuid.uuid4().hex[:8]}"))


@pytest.fixture(scope="module")
def server(store_args: tuple[str, ...], tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """This module's own server, on each object store in turn (it overrides the shared one)."""
    proc = ServerProcess(tmp_path_factory.mktemp("files") / "data", *store_args).start()
    yield proc
    proc.stop()


@pytest.fixture
async def project(server: ServerProcess) -> Project:
    return await make_project(server)


@pytest.mark.parametrize(("name", "size"), [("empty.txt", 0), ("notes.txt", 1024)])
async def test_small_round_trips_are_byte_exact(server: ServerProcess, project: Project, name: str,
                                                size: int) -> None:
    data = ("Grüße aus Köln — " * 100).encode()[:size]
    r = await upload(server, project.pupil.token, project.id, name, data)
    assert r.status_code == 201, r.text
    record = r.json()
    assert (record["size"], record["content_type"], record["name"]) == (size, "text/plain", name)
    assert record["sha256"] == hashlib.sha256(data).hexdigest()
    got = await download(server, project.pupil.token, record["id"])
    assert got.status_code == 200 and got.content == data
    assert got.headers["etag"] == f'"{record["sha256"]}"'
    assert got.headers["x-content-type-options"] == "nosniff"
    assert f"filename*=UTF-8''{name}" in got.headers["content-disposition"]


async def test_a_25_mb_video_streams_through_without_filling_memory(server: ServerProcess,
                                                                    project: Project) -> None:
    size = 25 * MB
    expected = hashlib.sha256(b"".join(video_chunks(size))).hexdigest()
    assert server.proc is not None

    async def body() -> AsyncIterator[bytes]:
        for chunk in video_chunks(size):
            yield chunk

    with peak_growth(server.proc.pid) as growth:
        r = await upload(server, project.teacher.token, project.id, "field-trip.mp4", body())
    assert r.status_code == 201, r.text
    record = r.json()
    assert (record["size"], record["content_type"], record["sha256"]) == (size, "video/mp4", expected)
    grown_mib = growth.mib
    # The local store holds a chunk at a time; the S3 store three 5 MiB parts (S3's smallest: the
    # one sent, the next one read and its copy; tests/contract/test_object_store.py counts them),
    # and the allocator keeps about one more: 20.6 MiB, still under the file's size.
    bound_mib = 24 if server.objects_url else 4
    assert grown_mib < bound_mib, f"the server grew by {grown_mib:.1f} MiB during a 25 MiB upload"
    print(f"RSS growth during a 25 MiB upload: {grown_mib:.1f} MiB")

    async with Api(server, project.teacher.token) as api:
        digest, total = hashlib.sha256(), 0
        async with api._http.stream("GET", f"/files/{record['id']}") as stream:
            assert stream.status_code == 200 and stream.headers["content-type"] == "video/mp4"
            async for chunk in stream.aiter_bytes():
                digest.update(chunk)
                total += len(chunk)
    assert (total, digest.hexdigest()) == (size, expected)


async def test_ranges_and_conditional_requests(server: ServerProcess, project: Project) -> None:
    data = bytes(range(256)) * 8  # not text: give it a PNG header
    data = b"\x89PNG\r\n\x1a\n" + data
    record = (await upload(server, project.pupil.token, project.id, "map.png", data)).json()
    assert record["content_type"] == "image/png"
    token, fid = project.pupil.token, record["id"]
    r = await download(server, token, fid, Range="bytes=0-9")
    assert (r.status_code, r.content, r.headers["content-range"]) == (206, data[:10], f"bytes 0-9/{len(data)}")
    r = await download(server, token, fid, Range="bytes=100-199")
    assert r.status_code == 206 and r.content == data[100:200]
    r = await download(server, token, fid, Range="bytes=2000-")
    assert r.status_code == 206 and r.content == data[2000:]
    r = await download(server, token, fid, Range="bytes=-5")
    assert r.status_code == 206 and r.content == data[-5:]
    r = await download(server, token, fid, Range=f"bytes={len(data)}-")
    assert r.status_code == 416 and r.headers["content-range"] == f"bytes */{len(data)}"
    r = await download(server, token, fid, **{"If-None-Match": f'"{record["sha256"]}"'})
    assert r.status_code == 304 and r.content == b""
    assert r.headers["content-disposition"].startswith("inline")


async def test_other_projects_get_404_and_cannot_tell_a_file_exists(server: ServerProcess,
                                                                    project: Project) -> None:
    elsewhere = await make_project(server)
    record = (await upload(server, project.teacher.token, project.id, "a.txt", b"secret plans")).json()
    async with realtime(server, project.teacher.token) as rt:
        ack = await rt.call("chat:send", {"room_id": project.spaces["general"], "client_id": uid("c"),
                                          "text": "see file", "attachments": [record["id"]]})
        assert ack["ok"] and ack["data"]["attachments"][0]["id"] == record["id"]
    assert (await download(server, project.pupil.token, record["id"])).status_code == 200
    for token in (elsewhere.pupil.token, elsewhere.admin.token, project.outsider.token):
        real = await download(server, token, record["id"])
        fake = await download(server, token, "fil_doesnotexist")
        assert real.status_code == fake.status_code == 404
        assert (without_request_id(real.json()["error"]) == without_request_id(fake.json()["error"])
                == {"code": "file.not_found", "message": "File not found."})


async def test_an_executable_named_png_is_refused(server: ServerProcess, project: Project) -> None:
    elf = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 4096
    for name, content in (("cat.png", elf), ("setup.exe", b"MZ\x90\x00" + b"\x00" * 100),
                          ("page.html", b"<!DOCTYPE html><script>alert(1)</script>"),
                          ("logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>"),
                          ("archive.zip", b"PK\x03\x04" + b"\x00" * 100)):
        r = await upload(server, project.pupil.token, project.id, name, content)
        assert r.status_code == 415 and r.json()["error"]["code"] == "file.type_not_allowed", name
    assert objects_of(server, project.id) == [] and leftovers(server) == []


async def test_limits_size_and_quota(make_server: Callable[..., ServerProcess], store_args: tuple[str, ...]) -> None:
    server = make_server("--file-max-bytes", "3000", "--project-quota-bytes", "5000", *store_args).start()
    project = await make_project(server)
    r = await upload(server, project.pupil.token, project.id, "big.txt", b"x" * 3001)
    assert r.status_code == 413 and r.json()["error"]["code"] == "file.too_large"

    async def streamed() -> AsyncIterator[bytes]:  # no Content-Length: the limit holds while streaming
        for _ in range(4):
            yield b"y" * 1000

    r = await upload(server, project.pupil.token, project.id, "big.txt", streamed())
    assert r.status_code == 413 and r.json()["error"]["code"] == "file.too_large"
    assert objects_of(server, project.id) == [] and leftovers(server) == []
    assert (await upload(server, project.pupil.token, project.id, "a.txt", b"a" * 3000)).status_code == 201
    r = await upload(server, project.teacher.token, project.id, "b.txt", b"b" * 2500)
    assert r.status_code == 413 and r.json()["error"]["code"] == "file.quota_exceeded"
    assert r.json()["error"]["data"] == {"quota_bytes": 5000}
    assert (await upload(server, project.teacher.token, project.id, "c.txt", b"c" * 2000)).status_code == 201
    assert len(objects_of(server, project.id)) == 2


async def test_an_upload_cut_off_half_way_leaves_nothing(server: ServerProcess, project: Project) -> None:
    request = (f"POST /api/v1/projects/{project.id}/files?name=half.mp4 HTTP/1.1\r\n"
               f"Host: 127.0.0.1:{server.port}\r\nAuthorization: Bearer {project.teacher.token}\r\n"
               f"Content-Type: video/mp4\r\nContent-Length: {16 * MB}\r\n\r\n").encode()

    def send_half() -> list[str]:
        with socket.create_connection(("127.0.0.1", server.port), timeout=CALL_TIMEOUT_SECS) as sock:
            sock.sendall(request)
            for chunk in video_chunks(8 * MB):  # more than an S3 part: a multipart upload is under way
                sock.sendall(chunk)
            if server.objects_url is not None:
                time.sleep(1)  # S3 lists an unfinished upload only once its first part is complete
                return ["(not observed)"]
            deadline = time.monotonic() + CALL_TIMEOUT_SECS
            while not leftovers(server) and time.monotonic() < deadline:
                time.sleep(0.01)  # a poll with a deadline: the partial file is on disk, told to nobody
            return leftovers(server)  # the server is mid-way through storing it

    assert await asyncio.to_thread(send_half) != []
    await until(lambda: leftovers(server) == [])  # the server notices the cut and cleans up
    assert objects_of(server, project.id) == []
    assert (await upload(server, project.teacher.token, project.id, "whole.txt", b"ok")).status_code == 201


async def test_attachments_decide_who_reads(server: ServerProcess, project: Project) -> None:
    async def shared(token: str, name: str = "doc.txt") -> str:
        r = await upload(server, token, project.id, name, b"content of " + name.encode())
        assert r.status_code == 201
        return r.json()["id"]  # type: ignore[no-any-return]

    # Not attached yet: only its owner reads it.
    draft = await shared(project.teacher.token)
    assert (await download(server, project.teacher.token, draft)).status_code == 200
    assert (await download(server, project.admin.token, draft)).status_code == 404

    # Staff room: never pupils.
    staff_file = await shared(project.teacher.token, "marks.txt")
    async with realtime(server, project.teacher.token) as rt:
        assert (await rt.call("chat:send", {"room_id": project.spaces["staff"], "client_id": uid("c"),
                                            "text": "marks", "attachments": [staff_file]}))["ok"]
        # A file is attached once; someone else's file not at all.
        ack = await rt.call("chat:send", {"room_id": project.spaces["general"], "client_id": uid("c"),
                                          "text": "again", "attachments": [staff_file]})
        assert ack["error"]["code"] == "file.not_attachable"
    assert (await download(server, project.admin.token, staff_file)).status_code == 200
    assert (await download(server, project.pupil.token, staff_file)).status_code == 404
    assert (await download(server, project.visitor.token, staff_file)).status_code == 404

    pupil_file = await shared(project.pupil.token, "drawing.txt")
    async with realtime(server, project.teacher.token) as rt:
        ack = await rt.call("chat:send", {"room_id": project.spaces["general"], "client_id": uid("c"),
                                          "text": "stolen", "attachments": [pupil_file]})
        assert ack["error"]["code"] == "file.not_attachable"
    assert (await download(server, project.teacher.token, pupil_file)).status_code == 404

    # Forum post: whoever reads the forum.
    async with realtime(server, project.pupil.token) as rt:
        thread = (await rt.call("forum:thread_create", {"forum_id": project.spaces["forum"], "title": "Art",
                                                        "body": "my drawing", "attachments": [pupil_file]}))
        assert thread["ok"] and thread["data"]["attachments"][0]["name"] == "drawing.txt"
    assert (await download(server, project.teacher.token, pupil_file)).status_code == 200
    assert (await download(server, project.visitor.token, pupil_file)).status_code == 404

    # Mail: the sender and the recipients, no one else.
    mail_file = await shared(project.teacher.token, "letter.txt")
    async with realtime(server, project.teacher.token) as rt:
        ack = await rt.call("mail:send", {"project_id": project.id, "to": [project.visitor.id], "subject": "Form",
                                          "body": "Please sign", "attachments": [mail_file]})
        assert ack["ok"], ack
    assert (await download(server, project.visitor.token, mail_file)).status_code == 200
    assert (await download(server, project.pupil.token, mail_file)).status_code == 404

    # A deleted message takes its file's readers with it.
    gone = await shared(project.teacher.token, "oops.txt")
    async with realtime(server, project.teacher.token) as rt:
        msg = (await rt.call("chat:send", {"room_id": project.spaces["general"], "client_id": uid("c"),
                                           "text": "oops", "attachments": [gone]}))["data"]
        assert (await download(server, project.pupil.token, gone)).status_code == 200
        assert (await rt.call("chat:delete", {"room_id": project.spaces["general"], "message_id": msg["id"]}))["ok"]
    assert (await download(server, project.pupil.token, gone)).status_code == 404


async def test_owners_and_teachers_delete(server: ServerProcess, project: Project) -> None:
    r = await upload(server, project.pupil.token, project.id, "mine.txt", b"mine")
    mine = r.json()["id"]
    async with realtime(server, project.pupil.token) as rt:
        assert (await rt.call("chat:send", {"room_id": project.spaces["general"], "client_id": uid("c"),
                                            "text": "look", "attachments": [mine]}))["ok"]
    other = await make_project(server)
    async with Api(server, other.admin.token) as api:
        assert (await api.delete(f"/files/{mine}")).status_code == 404
    async with Api(server, project.teacher.token) as api:
        r = await api.delete(f"/files/{mine}")
        assert r.status_code == 200
    assert (await download(server, project.pupil.token, mine)).status_code == 404
    assert objects_of(server, project.id) == []
    r = await upload(server, project.pupil.token, project.id, "again.txt", b"again")
    async with Api(server, project.pupil.token) as api:
        assert (await api.delete(f"/files/{r.json()['id']}")).status_code == 200
        assert (await api.get(f"/files/{r.json()['id']}/meta")).status_code == 404
    async with Api(server, project.visitor.token) as api:
        r = await api.request("POST", f"/projects/{project.id}/files", params={"name": "v.txt"}, content=b"v")
        assert r.status_code == 403


async def test_bad_uploads(server: ServerProcess, project: Project) -> None:
    async with Api(server, project.pupil.token) as api:
        r = await api.request("POST", f"/projects/{project.id}/files", content=b"no name")
        assert r.status_code == 400 and "name" in r.json()["error"]["message"]
        r = await api.request("POST", f"/projects/{project.id}/files", params={"name": "../../etc/passwd"},
                              content=b"root:x:0:0")
        assert r.status_code == 201 and "/" not in r.json()["name"]


async def test_a_restart_keeps_every_file(make_server: Callable[..., ServerProcess],
                                          store_args: tuple[str, ...]) -> None:
    first = make_server(*store_args).start()
    project = await make_project(first)
    records = [(await upload(first, project.pupil.token, project.id, f"f{i}.txt", f"file {i}".encode())).json()
               for i in range(3)]
    first.stop()
    second = make_server(*store_args, data_dir=first.data_dir).start()
    for i, record in enumerate(records):
        r = await download(second, project.pupil.token, record["id"])
        assert r.status_code == 200 and r.content == f"file {i}".encode()



async def test_s3_downloads_may_redirect_to_a_presigned_url(make_server: Callable[..., ServerProcess],
                                                            store_args: tuple[str, ...]) -> None:
    if not store_args:
        pytest.skip("presigned URLs exist only with an S3 store")
    server = make_server("--file-redirects", "true", *store_args).start()
    project = await make_project(server)
    data = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    record = (await upload(server, project.pupil.token, project.id, "carte postale.png", data)).json()
    r = await download(server, project.pupil.token, record["id"])
    assert r.status_code == 307
    async with httpx.AsyncClient(timeout=CALL_TIMEOUT_SECS) as http:
        direct = await http.get(r.headers["location"])  # no token: the URL itself is the permission
    assert direct.status_code == 200 and direct.content == data
    assert "carte%20postale.png" in direct.headers["content-disposition"]
    # Someone who may not read the file gets no URL either.
    elsewhere = await make_project(server)
    assert (await download(server, elsewhere.pupil.token, record["id"])).status_code == 404
