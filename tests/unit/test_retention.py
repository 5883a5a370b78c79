"""Retention that really deletes, and projects that end: the real services on the real SQLite store,
on the local object store and on a real S3 server, with an injected clock.

Items are written at the real time (the services stamp them so); :meth:`World.age` then rewrites
their ``created_at`` in the database, months back, which makes them as old as a room nobody has
opened since. The deletion of ended projects moves the sweep's clock ahead instead.
"""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

import storage
from rooms.chat_models import ChatSendIn
from rooms.errors import Forbidden, NotFound
from rooms.file_models import FileRecord
from rooms.files import key_of
from rooms.forum_models import PostCreateIn, ThreadCreateIn
from rooms.mail_models import MailSendIn
from rooms.models import HoldIn, MemberIn, PartnerIn, ProjectIn, ProjectSettingsIn, User
from rooms.ports import ObjectStore
from rooms.projects import ProjectService
from rooms.retention import RetentionService
from server import settings as config
from server.services import Services
from storage.documents.sqlite_base import register_search_functions
from storage.ephemeral.memory import MemoryPresence, MemoryRateLimiter
from tests.support.s3 import with_bucket

pytestmark = pytest.mark.timeout(600)  # the first S3 test of a run may install Swift

TEACHER = User(id="teacher_fr", name="Claire", role="teacher", school="Collège Lyon", country="FR")
PARTNER = User(id="teacher_de", name="Jonas", role="teacher", school="Gymnasium Köln", country="DE")
PUPIL = User(id="pupil_fr", name="Léa", role="pupil")
SUPPORT = User(id="support", name="Support", role="support", country="FR")


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def later(self, days: int) -> None:
        self.now = datetime.now(UTC) + timedelta(days=days)


@dataclass
class World:
    services: Services
    objects: ObjectStore
    db: Path
    clock: Clock
    project_id: str
    general: str
    forum: str

    @property
    def retention(self) -> RetentionService:
        return self.services.retention

    async def upload(self, user: User, text: str = "a pupil's drawing") -> FileRecord:
        async def chunks() -> AsyncIterator[bytes]:
            yield text.encode()
        return await self.services.files.upload(user, self.project_id, f"{uuid.uuid4().hex}.txt", chunks(), None)

    async def send(self, user: User, text: str, files: list[FileRecord] = ()) -> str:  # type: ignore[assignment]
        message, _ = await self.services.chat.send(user, ChatSendIn(room_id=self.general, client_id=uuid.uuid4().hex,
                                                                    text=text, attachments=[f.id for f in files]))
        return message.id

    async def stored(self, record: FileRecord) -> bool:
        return await self.objects.exists(key_of(record))

    def age(self, days: int) -> None:
        """Make everything written so far ``days`` older (another connection, as an operator's tool would)."""
        shift = f"strftime('%Y-%m-%dT%H:%M:%fZ', json_extract(doc, '$.created_at'), '-{days} days')"
        with sqlite3.connect(self.db) as conn:
            register_search_functions(conn)  # the search triggers of these tables call them
            for table in ("messages", "posts", "threads", "mails", "files"):
                conn.execute(f"UPDATE {table} SET doc = json_set(doc, '$.created_at', {shift})")  # noqa: S608
            conn.execute("UPDATE messages SET created_at = json_extract(doc, '$.created_at')")

    async def configure(self, **periods: int | None) -> None:
        await self.retention.configure(TEACHER, self.project_id, ProjectSettingsIn(**periods))


@pytest.fixture(params=["local", "s3"])
def objects_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "local":
        return f"file://{tmp_path / 'files'}"
    return with_bucket(request.getfixturevalue("s3_url"), f"retention-{uuid.uuid4().hex[:8]}")


@pytest.fixture
def local_url(tmp_path: Path) -> str:
    return f"file://{tmp_path / 'files'}"


async def _world(tmp_path: Path, objects_url: str) -> AsyncIterator[World]:
    db = tmp_path / "twinspace.db"
    clock = Clock()
    async with (storage.open_documents(f"sqlite://{db}") as documents,
                storage.open_objects(objects_url) as objects):
        async def fanout_ping() -> None:
            return None

        services = Services.build(config.load({"data_dir": str(tmp_path), "chat_rate_messages": "10000"}, {}),
                                  documents, objects, MemoryPresence(), MemoryRateLimiter(), fanout_ping, clock=clock)
        projects = services.projects
        project = await projects.register(TEACHER, ProjectIn(
            title="Rivers", subject="Geography", age_min=12, age_max=14, languages=["en", "fr"],
            partners=[PartnerIn(user_id=PARTNER.id, display_name=PARTNER.name, school=PARTNER.school,
                                country="DE")]))
        await projects.review(SUPPORT, project.id, approve=True)
        await projects.add_member(TEACHER, project.id, MemberIn(role="pupil", user_id=PUPIL.id, display_name="Léa"))
        spaces = {s.default_key: s.id for s in await documents.list_spaces(project.id, ("members", "teachers"))}
        assert spaces["general"] and spaces["forum"]
        yield World(services, objects, db, clock, project.id, spaces["general"], spaces["forum"])


@pytest.fixture
async def world(tmp_path: Path, objects_url: str) -> AsyncIterator[World]:
    async for w in _world(tmp_path, objects_url):
        yield w


@pytest.fixture
async def local(tmp_path: Path, local_url: str) -> AsyncIterator[World]:
    async for w in _world(tmp_path, local_url):
        yield w


async def _audit(w: World, action: str) -> list[Any]:
    return [e for e, _ in await w.services.documents.list_audit(w.project_id, None, 100, action=action)]


# ---- settings -------------------------------------------------------------------------------------------------


async def test_admins_set_each_period_and_the_change_is_recorded(local: World) -> None:
    w = local
    await w.configure(chat_retention_days=90, file_retention_days=30)
    await w.configure(forum_retention_days=365)  # the others stay as they are
    project = await w.services.documents.get_project(w.project_id)
    assert project is not None
    assert (project.chat_retention_days, project.forum_retention_days, project.mail_retention_days,
            project.file_retention_days) == (90, 365, None, 30)
    await w.configure(chat_retention_days=None)  # null: kept until the project ends
    entries = [(e.actor_id, e.before, e.after) for e in reversed(await _audit(w, "project.configure"))]
    assert entries == [
        (TEACHER.id, {"chat_retention_days": None, "file_retention_days": None},
         {"chat_retention_days": 90, "file_retention_days": 30}),
        (TEACHER.id, {"forum_retention_days": None}, {"forum_retention_days": 365}),
        (TEACHER.id, {"chat_retention_days": 90}, {"chat_retention_days": None}),
    ]
    await w.configure(forum_retention_days=365)  # the same again: no entry
    assert len(await _audit(w, "project.configure")) == 3
    with pytest.raises(Forbidden):
        await w.retention.configure(PUPIL, w.project_id, ProjectSettingsIn(mail_retention_days=1))
    for bad in (0, 3651):
        with pytest.raises(ValidationError):
            ProjectSettingsIn(mail_retention_days=bad)


# ---- the sweep ---------------------------------------------------------------------------------------------------


async def test_an_old_message_becomes_a_tombstone_and_its_file_leaves_the_object_store(world: World) -> None:
    w = world
    photo, poster = await w.upload(PUPIL, "photo"), await w.upload(PUPIL, "poster")
    old = await w.send(PUPIL, "my address is 3 rue des Lilas", [photo])
    thread, _ = await w.services.forum.create_thread(PUPIL, ThreadCreateIn(forum_id=w.forum, title="Our river",
                                                                           body="Look", attachments=[poster.id]))
    await w.configure(chat_retention_days=30)  # the forum is kept until the project ends
    w.age(100)  # nobody opened the room since
    fresh = await w.upload(PUPIL, "fresh")
    kept = await w.send(PUPIL, "and now?", [fresh])
    swept = await w.retention.sweep()
    assert (swept.messages, swept.files) == (1, 1)
    tomb = await w.services.documents.get_message(w.general, old)
    assert tomb is not None and tomb.deleted and tomb.deleted_by == "retention" and tomb.seq == 1
    assert tomb.text is None and tomb.author_name == "" and tomb.attachments == []
    assert not await w.stored(photo) and await w.services.documents.get_file(photo.id) is None
    with pytest.raises(NotFound):
        await w.services.files.open(PUPIL, photo.id)
    # What is kept keeps its files: the forum's (no forum retention), the new message's.
    assert await w.stored(poster) and await w.stored(fresh)
    _, chunks = await w.services.files.open(PUPIL, poster.id)
    assert b"".join([c async for c in chunks]) == b"poster"
    assert (await w.services.documents.get_message(w.general, kept)).text == "and now?"  # type: ignore[union-attr]
    assert (await w.services.documents.get_thread(thread.id)).title == "Our river"  # type: ignore[union-attr]
    [entry] = await _audit(w, "retention.sweep")
    assert (entry.actor_id, entry.after) == ("system", {"messages": 1, "files": 1})
    assert "Lilas" not in entry.model_dump_json()
    again = await w.retention.sweep()  # nothing left to do: nothing rewritten, nothing recorded
    assert not again and len(await _audit(w, "retention.sweep")) == 1


async def test_forum_mail_and_unattached_files_expire_by_their_own_periods(local: World) -> None:
    w = local
    mails = w.services.mail
    attached = await w.upload(TEACHER, "minutes")
    mail, _ = await mails.send(TEACHER, MailSendIn(project_id=w.project_id, to=[PUPIL.id], subject="Trip",
                                                   body="Bring a coat", attachments=[attached.id]))
    quiet, _ = await w.services.forum.create_thread(PUPIL, ThreadCreateIn(forum_id=w.forum, title="Old", body="b"))
    await w.services.forum.create_post(TEACHER, PostCreateIn(thread_id=quiet.id, body="reply"))
    lively, _ = await w.services.forum.create_thread(PUPIL, ThreadCreateIn(forum_id=w.forum, title="Alive", body="b"))
    forgotten = await w.upload(PUPIL, "never attached")
    await w.configure(forum_retention_days=60, mail_retention_days=60, file_retention_days=60)
    w.age(30)
    assert not await w.retention.sweep()  # not old enough yet
    w.age(31)
    await w.services.forum.create_post(TEACHER, PostCreateIn(thread_id=lively.id, body="still here"))
    swept = await w.retention.sweep()
    assert (swept.posts, swept.threads, swept.mails, swept.files) == (1, 1, 1, 2)
    assert (await w.services.documents.get_thread(quiet.id)).deleted  # type: ignore[union-attr]
    assert not (await w.services.documents.get_thread(lively.id)).deleted  # type: ignore[union-attr]
    assert await w.services.documents.get_mail(mail.id) is None
    assert await w.services.documents.get_copy(PUPIL.id, mail.id) is None
    assert not await w.stored(attached) and not await w.stored(forgotten)


async def test_two_instances_sweeping_at_once_delete_each_thing_once(local: World) -> None:
    w = local
    files = [await w.upload(PUPIL, f"file {i}") for i in range(10)]
    for i in range(40):
        await w.send(PUPIL, f"message {i}", [files[i]] if i < 10 else [])
    await w.configure(chat_retention_days=7)
    w.age(8)
    async with storage.open_documents(f"sqlite://{w.db}") as other_store:  # a second instance, same database
        other = RetentionService(other_store, w.objects, ProjectService(other_store), clock=w.clock, batch=7)
        mine = RetentionService(w.services.documents, w.objects, w.services.projects, clock=w.clock, batch=5)
        a, b = await asyncio.gather(mine.sweep(), other.sweep())
    assert a.messages + b.messages == 40 and a.files + b.files == 10
    counted = [e.after for e in await _audit(w, "retention.sweep")]
    assert sum(c.get("messages", 0) for c in counted) == 40 and sum(c.get("files", 0) for c in counted) == 10
    for record in files:
        assert not await w.stored(record)


class Failing:
    """An object store whose deletes fail (or hang, to be cancelled) after ``allowed`` of them."""

    def __init__(self, inner: ObjectStore, allowed: int, *, hang: bool = False) -> None:
        self._inner, self.allowed, self._hang = inner, allowed, hang
        self.deleted = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def delete(self, key: str) -> None:
        if self.deleted >= self.allowed:
            if self._hang:
                await asyncio.Event().wait()
            raise OSError("the object store went away")
        await self._inner.delete(key)
        self.deleted += 1


@pytest.mark.parametrize("how", ["raises", "cancelled"])
async def test_a_sweep_killed_halfway_resumes_and_finishes(local: World, how: str) -> None:
    w = local
    files = [await w.upload(PUPIL, f"file {i}") for i in range(12)]
    for record in files:
        await w.send(PUPIL, "with a file", [record])
    await w.configure(chat_retention_days=7)
    w.age(8)
    broken = Failing(w.objects, 5, hang=how == "cancelled")
    first = RetentionService(w.services.documents, broken, w.services.projects, clock=w.clock, batch=4)  # type: ignore[arg-type]
    if how == "raises":
        with pytest.raises(OSError):
            await first.sweep()
    else:
        task = asyncio.create_task(first.sweep())
        for _ in range(500):
            if broken.deleted >= 5:
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, 10)
    assert broken.deleted == 5
    left = [r for r in files if await w.stored(r)]
    assert len(left) == 7
    for record in left:  # marked: nobody reads them while they wait
        with pytest.raises(NotFound):
            await w.services.files.open(PUPIL, record.id)
    if how == "raises":  # even when the admins turned retention off meanwhile
        await w.configure(chat_retention_days=None)
    swept = await w.retention.sweep()  # the next sweep finishes it
    assert swept.files + 5 >= 12 and swept.files <= 12
    assert [r for r in files if await w.stored(r)] == []
    for record in files:
        assert await w.services.documents.get_file(record.id) is None
    history = await w.services.documents.messages_after(w.general, 0, 100)
    assert [m.deleted for m in history] == [True] * 12


# ---- projects that end ----------------------------------------------------------------------------------------


def _rows_about(db: Path, needles: list[str]) -> dict[str, int]:
    """Rows of each table (but the audit log) whose any column mentions one of ``needles``."""
    found: dict[str, int] = {}
    with sqlite3.connect(db) as conn:
        tables = [t for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                  if t not in ("audit_log", "sqlite_sequence")]
        for table in tables:
            for row in conn.execute(f"SELECT * FROM {table}"):  # noqa: S608 - the schema's own names
                text = " ".join(str(v) for v in row)
                if any(n in text for n in needles):
                    found[table] = found.get(table, 0) + 1
    return found


async def test_a_project_past_its_grace_period_is_gone_but_for_its_audit_trail(world: World) -> None:
    w = world
    photo = await w.upload(PUPIL, "photo")
    await w.send(PUPIL, "hello", [photo])
    await w.services.chat.mark_read(TEACHER, w.general, 1)
    thread, _ = await w.services.forum.create_thread(PUPIL, ThreadCreateIn(forum_id=w.forum, title="T", body="b"))
    await w.services.forum.create_post(TEACHER, PostCreateIn(thread_id=thread.id, body="reply"))
    await w.services.mail.send(TEACHER, MailSendIn(project_id=w.project_id, to=[PUPIL.id], subject="s", body="b"))
    archived = await w.services.projects.archive(TEACHER, w.project_id)
    assert archived.archived_at is not None and archived.delete_after is not None
    assert archived.delete_after > archived.archived_at
    before = [e.action for e in await _audit(w, "project.archive")]
    w.clock.later(179)
    assert not (await w.retention.sweep()).projects_deleted  # still within its grace period
    w.clock.later(181)
    swept = await w.retention.sweep()
    assert swept.projects_deleted == [w.project_id]
    assert _rows_about(w.db, [w.project_id, w.general, w.forum, thread.id, photo.id]) == {}
    assert not await w.stored(photo)
    trail = [e.action for e, _ in await w.services.documents.list_audit(w.project_id, None, 100)]
    assert trail[0] == "project.delete" and before == ["project.archive"] and "project.register" in trail
    [deleted] = await _audit(w, "project.delete")
    assert deleted.actor_id == "system"
    with pytest.raises(NotFound):
        await w.services.projects.get(TEACHER, w.project_id)
    assert not await w.retention.sweep()  # nothing left


async def test_a_held_project_is_not_deleted_until_released(local: World) -> None:
    w = local
    await w.services.projects.archive(TEACHER, w.project_id)
    with pytest.raises(Forbidden):
        await w.retention.hold(TEACHER, w.project_id, HoldIn(held=True))  # support officers only
    held = await w.retention.hold(SUPPORT, w.project_id, HoldIn(held=True, reason="a parent's complaint"))
    assert held.held and held.hold_reason == "a parent's complaint"
    w.clock.later(400)
    assert not (await w.retention.sweep()).projects_deleted
    assert await w.services.documents.get_project(w.project_id) is not None
    released = await w.retention.hold(SUPPORT, w.project_id, HoldIn(held=False))
    assert not released.held and released.hold_reason is None
    actions = [(e.action, e.actor_id, e.after) for e in reversed(
        [e for e, _ in await w.services.documents.list_audit(w.project_id, None, 100)])]
    assert ("project.hold", SUPPORT.id, {"held": True, "hold_reason": "a parent's complaint"}) in actions
    assert ("project.release", SUPPORT.id, {"held": False, "hold_reason": None}) in actions
    assert (await w.retention.sweep()).projects_deleted == [w.project_id]


def test_the_default_grace_period_is_half_a_year() -> None:
    settings = config.load({}, {})
    assert settings.project_deletion_grace_days == 180



async def test_a_project_archived_before_deletion_dates_gets_one_from_the_first_sweep(local: World) -> None:
    w = local
    store = w.services.documents
    await store.transition_project(w.project_id, "validated", "archived", None, "2020-01-01T00:00:00.000Z", [])
    w.clock.later(0)
    assert not (await w.retention.sweep()).projects_deleted  # archived years ago, but nobody was told a date
    project = await store.get_project(w.project_id)
    assert project is not None and project.archived_at == "2020-01-01T00:00:00.000Z"
    assert project.delete_after is not None and project.delete_after[:10] == (
        w.clock.now + timedelta(days=180)).strftime("%Y-%m-%d")
    assert [e.actor_id for e in await _audit(w, "project.schedule_deletion")] == ["system"]
    w.clock.later(179)
    assert not (await w.retention.sweep()).projects_deleted
    w.clock.later(181)
    assert (await w.retention.sweep()).projects_deleted == [w.project_id]
