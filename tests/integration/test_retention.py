"""Retention and projects that end, against a running server, on the local object store and on S3.

The data is aged by rewriting its times in the database while the server runs (its sweep runs
every second here), as if nobody had opened the room for months.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from storage.documents.sqlite_base import register_search_functions
from tests.integration.test_files import download, objects_of, upload
from tests.support.clients import Api, Project, make_project, realtime
from tests.support.s3 import with_bucket
from tests.support.server import ServerProcess

pytestmark = pytest.mark.timeout(600)  # the first S3 test of a run may install Swift
WAIT_SECS = 20  # the sweep runs every second: anything it must do is done well within this


@pytest.fixture(scope="module", params=["file", "s3"])
def store_args(request: pytest.FixtureRequest) -> tuple[str, ...]:
    if request.param == "file":
        return ()
    return ("--objects-url", with_bucket(request.getfixturevalue("s3_url"), f"retention-{uuid.uuid4().hex[:8]}"))


@pytest.fixture(scope="module")
def server(store_args: tuple[str, ...], tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    proc = ServerProcess(tmp_path_factory.mktemp("retention") / "data", "--retention-sweep-secs", "1",
                         *store_args).start()
    yield proc
    proc.stop()


def _stored(server: ServerProcess, project_id: str) -> list[str]:
    """The ids of the files whose bytes the object store holds for the project (either store)."""
    return [key.rsplit("/", 1)[-1] for key in objects_of(server, project_id)]


def _db(server: ServerProcess) -> Path:
    return server.data_dir / "twinspace.db"


def _age(server: ServerProcess, table: str, where: str, days: int) -> None:
    shift = f"strftime('%Y-%m-%dT%H:%M:%fZ', json_extract(doc, '$.created_at'), '-{days} days')"
    with sqlite3.connect(_db(server), timeout=10) as db:
        register_search_functions(db)  # the search triggers of these tables call them
        db.execute(f"UPDATE {table} SET doc = json_set(doc, '$.created_at', {shift}) WHERE {where}")  # noqa: S608
        if table == "messages":
            db.execute(f"UPDATE messages SET created_at = json_extract(doc, '$.created_at') WHERE {where}")  # noqa: S608


async def _until(check: Callable[[], Any]) -> None:
    deadline = time.monotonic() + WAIT_SECS
    while not await check():
        assert time.monotonic() < deadline, "the sweep did not get there in time"
        await asyncio.sleep(0.2)


async def _send(server: ServerProcess, token: str, event: str, payload: dict[str, Any]) -> dict[str, Any]:
    async with realtime(server, token) as rt:
        ack = await rt.call(event, payload)
    assert ack["ok"], ack
    data: dict[str, Any] = ack["data"]
    return data


async def test_an_old_message_in_a_room_nobody_opened_goes_with_its_file(server: ServerProcess) -> None:
    project = await make_project(server)
    room, forum = project.spaces["general"], project.spaces["forum"]
    photo = (await upload(server, project.pupil.token, project.id, "photo.txt", b"my face")).json()
    poster = (await upload(server, project.pupil.token, project.id, "poster.txt", b"our poster")).json()
    sent = await _send(server, project.pupil.token, "chat:send", {
        "room_id": room, "client_id": uuid.uuid4().hex, "text": "I live at 3 rue des Lilas",
        "attachments": [photo["id"]]})
    await _send(server, project.pupil.token, "forum:thread_create", {
        "forum_id": forum, "title": "Our poster", "body": "here", "attachments": [poster["id"]]})
    async with Api(server, project.admin.token) as api:
        r = await api.patch(f"/projects/{project.id}/settings", {"chat_retention_days": 30, "forum_retention_days": None})
        assert r.status_code == 200, r.text
        assert (r.json()["chat_retention_days"], r.json()["forum_retention_days"]) == (30, None)
        r = await api.patch(f"/projects/{project.id}/settings", {"mail_retention_days": 365})  # the others stay
        assert r.status_code == 200, r.text
        assert (r.json()["chat_retention_days"], r.json()["mail_retention_days"]) == (30, 365)
    assert photo["id"] in _stored(server, project.id)
    _age(server, "messages", f"room_id = '{room}'", 120)  # the forum is kept: its post is as old, and stays
    _age(server, "threads", f"forum_id = '{forum}'", 120)

    async def gone() -> bool:
        return photo["id"] not in _stored(server, project.id)

    await _until(gone)
    async with realtime(server, project.pupil.token) as rt:
        history = (await rt.call("chat:history", {"room_id": room}))["data"]["messages"]
    assert [(m["seq"], m["text"], m["author_name"], m["attachments"], m["deleted_by"]) for m in history] == [
        (sent["seq"], None, "", [], "retention")]
    assert (await download(server, project.pupil.token, photo["id"])).status_code == 404
    assert poster["id"] in _stored(server, project.id)  # attached to a kept item
    assert (await download(server, project.pupil.token, poster["id"])).content == b"our poster"
    async with Api(server, project.admin.token) as api:
        audit = (await api.get(f"/projects/{project.id}/audit", params={"action": "retention.sweep"})).json()
    assert [(e["actor_id"], e["after"]) for e in audit["entries"]] == [("system", {"messages": 1, "files": 1})]


def _rows_mentioning(server: ServerProcess, needle: str) -> dict[str, int]:
    found: dict[str, int] = {}
    with sqlite3.connect(_db(server), timeout=10) as db:
        for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
            for row in db.execute(f"SELECT * FROM {table}"):  # noqa: S608 - the schema's own names
                if needle in " ".join(str(v) for v in row):
                    found[table] = found.get(table, 0) + 1
    return found


async def _ended(server: ServerProcess) -> tuple[Project, str]:
    project = await make_project(server)
    photo = (await upload(server, project.pupil.token, project.id, "photo.txt", b"bytes")).json()
    await _send(server, project.pupil.token, "chat:send", {"room_id": project.spaces["general"],
                                                           "client_id": uuid.uuid4().hex, "text": "bye",
                                                           "attachments": [photo["id"]]})
    async with Api(server, project.admin.token) as api:
        r = await api.post(f"/projects/{project.id}/archive")
        assert r.status_code == 200 and r.json()["delete_after"] > r.json()["archived_at"], r.text
    return project, photo["id"]


async def test_an_ended_project_is_deleted_after_its_grace_period_unless_held(server: ServerProcess) -> None:
    ended, photo = await _ended(server)
    held, held_photo = await _ended(server)
    async with Api(server, held.support.token) as api:
        r = await api.post(f"/projects/{held.id}/hold", {"held": True, "reason": "a parent's complaint"})
        assert r.status_code == 200 and r.json()["held"] and r.json()["hold_reason"] == "a parent's complaint"
    async with Api(server, held.admin.token) as api:
        assert (await api.post(f"/projects/{held.id}/hold", {"held": False})).status_code == 403
    with sqlite3.connect(_db(server), timeout=10) as db:  # both archived half a year and more ago
        db.execute("UPDATE projects SET doc = json_set(doc, '$.archived_at', '2020-01-01T00:00:00.000Z', "
                   "'$.delete_after', '2020-07-01T00:00:00.000Z') WHERE id IN (?, ?)", (ended.id, held.id))

    async def deleted() -> bool:
        async with Api(server, ended.support.token) as api:
            return (await api.get(f"/projects/{ended.id}")).status_code == 404

    async def only_its_trail() -> bool:
        return set(_rows_mentioning(server, ended.id)) == {"audit_log"}

    await _until(deleted)
    await _until(only_its_trail)  # the project row goes last: its other rows are gone by then already
    assert set(_rows_mentioning(server, ended.id)) == {"audit_log"}  # only its audit trail
    assert _stored(server, ended.id) == [] and photo
    with sqlite3.connect(_db(server), timeout=10) as db:
        actions = [a for (a,) in db.execute("SELECT action FROM audit_log WHERE project_id = ? ORDER BY ord",
                                            (ended.id,))]
    assert actions[0] == "project.register" and actions[-1] == "project.delete"
    async with Api(server, ended.support.token) as api:  # the trail outlives the project: support reads it
        r = await api.get(f"/projects/{ended.id}/audit")
        assert r.status_code == 200 and r.json()["entries"][0]["action"] == "project.delete"
    async with Api(server, ended.admin.token) as api:  # its members are gone with it
        assert (await api.get(f"/projects/{ended.id}/audit")).status_code == 404
    async with Api(server, held.support.token) as api:  # the held one stays whole
        r = await api.get(f"/projects/{held.id}")
        assert r.status_code == 200 and r.json()["project"]["held"]
    assert held_photo in _stored(server, held.id)
