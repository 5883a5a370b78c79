"""A person's export and erasure, decided by the domain on a real SQLite store with a clock of the test's."""

from __future__ import annotations

import asyncio
import io
import json
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import storage
from rooms.chat_models import ChatSendIn
from rooms.erasure import ErasureService
from rooms.errors import Conflict, Forbidden, NotFound, Unavailable
from rooms.models import MemberIn, PartnerIn, ProjectIn, User
from rooms.ports import ObjectStore
from server import settings as config
from server.services import Services
from storage.ephemeral.memory import MemoryPresence, MemoryRateLimiter

TEACHER = User(id="teacher_fr", name="Claire", role="teacher", school="Collège Lyon", country="FR")
PARTNER = User(id="teacher_de", name="Jonas", role="teacher", school="Gymnasium Köln", country="DE")
PUPIL = User(id="pupil_fr", name="Léa", role="pupil")
SUPPORT = User(id="support", name="Support", role="support", country="FR")


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class World:
    services: Services
    limiter: MemoryRateLimiter
    clock: Clock
    projects: list[str]
    general: str

    @property
    def project_id(self) -> str:
        return self.projects[0]


async def _project(services: Services) -> str:
    project = await services.projects.register(TEACHER, ProjectIn(
        title="Rivers", subject="Geography", age_min=12, age_max=14, languages=["en", "fr"],
        partners=[PartnerIn(user_id=PARTNER.id, display_name=PARTNER.name, school=PARTNER.school, country="DE")]))
    await services.projects.review(SUPPORT, project.id, approve=True)
    await services.projects.add_member(TEACHER, project.id, MemberIn(role="pupil", user_id=PUPIL.id,
                                                                     display_name=PUPIL.name))
    return project.id


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    clock, limiter = Clock(), MemoryRateLimiter()
    async with (storage.open_documents(f"sqlite://{tmp_path / 'twinspace.db'}") as documents,
                storage.open_objects(f"file://{tmp_path / 'files'}") as objects):
        async def fanout_ping() -> None:
            return None

        services = Services.build(config.load({"data_dir": str(tmp_path)}, {}), documents, objects, MemoryPresence(),
                                  limiter, fanout_ping, clock=clock)
        projects = [await _project(services), await _project(services)]
        spaces = await services.projects.list_spaces(TEACHER, projects[0])
        general = next(s.id for s in spaces if s.default_key == "general")
        yield World(services, limiter, clock, projects, general)


async def _upload(w: World, name: str = "notes.txt", data: bytes = b"Our notes") -> str:
    async def chunks() -> AsyncIterator[bytes]:
        yield data

    record = await w.services.files.upload(PUPIL, w.project_id, name, chunks(), len(data))
    return record.id


async def _export(w: World, user: User, user_id: str) -> zipfile.ZipFile:
    export = await w.services.export.prepare(user, w.project_id, user_id)
    data = b"".join([chunk async for chunk in export.chunks])
    return zipfile.ZipFile(io.BytesIO(data))


# ---- export -------------------------------------------------------------------------------------


async def test_the_export_is_audited_before_it_streams(world: World) -> None:
    export = await world.services.export.prepare(TEACHER, world.project_id, PUPIL.id)
    rows = await world.services.documents.list_audit(world.project_id, None, 10, action="member.export")
    assert [(e.actor_id, e.target_id) for e, _ in rows] == [(TEACHER.id, PUPIL.id)]
    assert export.filename.endswith(".zip") and PUPIL.id in export.filename
    await export.chunks.aclose()  # never read: nothing of the person was read either


async def test_memberships_are_every_project_for_oneself_and_one_for_an_admin(world: World) -> None:
    own = json.loads((await _export(world, PUPIL, PUPIL.id)).read("memberships.json"))
    assert sorted(m["project_id"] for m in own) == sorted(world.projects)
    admin = json.loads((await _export(world, TEACHER, PUPIL.id)).read("memberships.json"))
    assert [m["project_id"] for m in admin] == [world.project_id]


async def test_who_may_export_whom(world: World) -> None:
    with pytest.raises(Forbidden):
        await world.services.export.prepare(PUPIL, world.project_id, TEACHER.id)
    with pytest.raises(NotFound) as missing:
        await world.services.export.prepare(TEACHER, world.project_id, "nobody")
    assert missing.value.code == "member.not_found"
    assert (await _export(world, SUPPORT, PUPIL.id)).testzip() is None


# ---- erasure ------------------------------------------------------------------------------------


async def test_a_confirmation_expires_and_is_bound_to_who_asked(world: World) -> None:
    erasure = world.services.erasure
    asked = await erasure.request(TEACHER, world.project_id, PUPIL.id)
    for who, confirmation in ((PARTNER, asked.confirmation), (TEACHER, "guess")):
        with pytest.raises(Conflict) as refused:
            await erasure.confirm(who, world.project_id, PUPIL.id, confirmation)
        assert refused.value.code == "erasure.not_confirmed"
    again = await erasure.request(TEACHER, world.project_id, PUPIL.id)  # asking again replaces it
    with pytest.raises(Conflict):
        await erasure.confirm(TEACHER, world.project_id, PUPIL.id, asked.confirmation)
    world.clock.now += timedelta(minutes=11)
    with pytest.raises(Conflict) as expired:
        await erasure.confirm(TEACHER, world.project_id, PUPIL.id, again.confirmation)
    assert expired.value.code == "erasure.expired"
    assert await world.services.documents.get_member(world.project_id, PUPIL.id) is not None  # nothing happened
    with pytest.raises(Forbidden):
        await erasure.request(PUPIL, world.project_id, PUPIL.id)


class FailingDeletes:
    """The object store, whose next ``delete`` calls fail (a backend gone mid-erasure)."""

    def __init__(self, objects: ObjectStore, failures: int) -> None:
        self._objects = objects
        self.failures = failures

    def __getattr__(self, name: str) -> object:
        return getattr(self._objects, name)

    async def delete(self, key: str) -> None:
        if self.failures:
            self.failures -= 1
            raise Unavailable("backend.unavailable", backend="objects")
        await self._objects.delete(key)


async def test_an_erasure_cut_off_halfway_is_finished_by_a_retry(world: World) -> None:
    s = world.services
    file_id = await _upload(world)
    await s.chat.send(PUPIL, ChatSendIn(room_id=world.general, client_id="c1", text="hello", attachments=[file_id]))
    failing = FailingDeletes(s.objects, failures=1)
    erasure = ErasureService(s.documents, failing, s.projects, world.limiter, world.clock)  # type: ignore[arg-type]
    asked = await erasure.request(TEACHER, world.project_id, PUPIL.id)
    with pytest.raises(Unavailable):
        await erasure.confirm(TEACHER, world.project_id, PUPIL.id, asked.confirmation)
    assert await s.documents.get_member(world.project_id, PUPIL.id) is None  # access went first
    assert (await s.documents.messages_after(world.general, 0, 10))[0].text is None
    assert await s.documents.get_file(file_id) is not None  # not yet
    world.clock.now += timedelta(hours=1)  # the same confirmation, expired: the erasure had begun
    done = await erasure.confirm(TEACHER, world.project_id, PUPIL.id, asked.confirmation)
    assert done.summary.messages == 1 and done.summary.files == 1
    assert await s.documents.get_file(file_id) is None
    assert not await s.objects.exists(f"{world.project_id}/{file_id}")
    audit = await s.documents.list_audit(world.project_id, None, 10, action="member.erase")
    assert len(audit) == 1  # recorded once, when it began
    state = await s.documents.get_erasure(world.project_id, PUPIL.id)
    assert state is not None and state.finished_at is not None


async def test_a_new_request_is_allowed_while_an_erasure_is_unfinished(world: World) -> None:
    s = world.services
    await _upload(world)
    erasure = ErasureService(s.documents, FailingDeletes(s.objects, failures=1), s.projects,  # type: ignore[arg-type]
                             world.limiter, world.clock)
    asked = await erasure.request(TEACHER, world.project_id, PUPIL.id)
    with pytest.raises(Unavailable):
        await erasure.confirm(TEACHER, world.project_id, PUPIL.id, asked.confirmation)
    again = await erasure.request(SUPPORT, world.project_id, PUPIL.id)  # no membership left, but unfinished
    assert again.summary.files == 1
    done = await erasure.confirm(SUPPORT, world.project_id, PUPIL.id, again.confirmation)
    assert done.summary.files == 1
    with pytest.raises(NotFound):  # finished: there is nobody left to erase
        await erasure.request(TEACHER, world.project_id, PUPIL.id)


async def test_rate_limit_state_and_access_go(world: World) -> None:
    s = world.services
    await s.chat.send(PUPIL, ChatSendIn(room_id=world.general, client_id="c1", text="hello"))
    assert f"chat:{PUPIL.id}" in world.limiter._log  # noqa: SLF001
    asked = await s.erasure.request(TEACHER, world.project_id, PUPIL.id)
    await s.erasure.confirm(TEACHER, world.project_id, PUPIL.id, asked.confirmation)
    assert f"chat:{PUPIL.id}" not in world.limiter._log  # noqa: SLF001
    with pytest.raises(NotFound) as gone:
        await s.chat.send(PUPIL, ChatSendIn(room_id=world.general, client_id="c2", text="still here?"))
    assert gone.value.code == "room.not_found"
    assert await s.documents.get_member(world.projects[1], PUPIL.id) is not None  # another project's stays


async def test_many_exports_at_once_all_finish(world: World) -> None:
    """More exports than the loop has worker threads: the bound on exports at once keeps threads for the reads."""
    await _upload(world, "big.txt", b"river " * 200_000)

    async def one() -> int:
        export = await world.services.export.prepare(TEACHER, world.project_id, PUPIL.id)
        return sum([len(chunk) async for chunk in export.chunks])

    sizes = await asyncio.wait_for(asyncio.gather(*(one() for _ in range(12))), timeout=60)
    assert len(set(sizes)) == 1
