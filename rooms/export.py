"""A person's export (the GDPR's access and portability): everything the store holds about one member.

One ZIP, streamed: each JSON file is written page by page from the store
(``limits.EXPORT_PAGE`` items at a time) and each file's bytes chunk by chunk from the object
store, so memory does not grow with the export's size. Layout::

    schema.json          JSON Schema (draft 2020-12) of every JSON file below, from the models
    profile.json         Profile: the membership record and the remembered e-mail contact
    memberships.json     [Membership]: the projects the requester may see the person in
    messages.json        [Message]: chat messages they wrote in the project (tombstones included)
    threads.json         [Thread]: forum threads they opened
    posts.json           [Post]: forum posts they wrote
    mail.json            [MailCopy]: their own copies of the project's mail, each with the mail
    files.json           [ExportedFile]: the records of the files they uploaded, and their path below
    read_markers.json    [ReadMarker]: how far they read each room and thread
    reports.json         [Report]: the reports they made in the project
    audit.json           [AuditEntry]: the project's audit entries by them or about them
    files/<id>-<name>    the bytes of each file they uploaded

Who sees what: an admin of the project and a support officer (``member.export``) export one
member of that project, and ``memberships.json`` then holds that project only; the person
themselves (``member.export_own``) gets every project of theirs in ``memberships.json`` (the rest
is the one project's). The request is recorded in the audit log (``member.export``, the member as
target) before the first byte leaves.
"""

from __future__ import annotations

import asyncio
import json
import re
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema
from stream_zip import ZIP_64, AsyncMemberFile, async_stream_zip

from rooms import limits
from rooms.audit import entry
from rooms.clock import Clock, system_clock
from rooms.errors import NotFound
from rooms.files import key_of
from rooms.models import User
from rooms.ports import DocumentStore, ObjectStore
from rooms.privacy_models import EXPORT_FILES, ExportedFile, Membership, Profile
from rooms.projects import ProjectService

T = TypeVar("T", bound=BaseModel)

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")
_FOLDERS = ("inbox", "sent", "archived")


def export_schema() -> dict[str, Any]:
    """``schema.json``: the models' schemas under ``$defs``, and each JSON file's under ``files``.

    Validate a file with ``{**schema, "$ref": "#/files/<name>"}`` (e.g. ``#/files/messages.json``).
    """
    models = list(dict.fromkeys(model for model, _ in EXPORT_FILES.values()))
    refs, top = models_json_schema([(m, "serialization") for m in models], ref_template="#/$defs/{model}")
    files: dict[str, Any] = {}
    for name, (model, many) in EXPORT_FILES.items():
        ref = refs[(model, "serialization")]
        files[name] = {"type": "array", "items": ref} if many else ref
    return {"$schema": SCHEMA_DIALECT, "title": "Twinspace: one person's data",
            "description": "The JSON files of a person's export. Each file's schema is files[<file name>].",
            "$defs": top.get("$defs", {}), "files": files}


@dataclass(frozen=True)
class Export:
    """A prepared export: its file name, and its bytes to stream (once)."""

    filename: str
    chunks: AsyncIterator[bytes]


async def _json_list(pages: AsyncIterator[Sequence[T]]) -> AsyncIterator[bytes]:
    """A JSON array written one page at a time."""
    yield b"["
    first = True
    async for page in pages:
        if not page:
            continue
        body = b",".join(item.model_dump_json().encode() for item in page)
        yield body if first else b"," + body
        first = False
    yield b"]"


async def _by_id(fetch: Callable[[str, int], Awaitable[list[T]]], key: Callable[[T], str]) -> AsyncIterator[list[T]]:
    """Pages of ``fetch(after_id, limit)`` until a short one."""
    after = ""
    while True:
        page = await fetch(after, limits.EXPORT_PAGE)
        if page:
            yield page
            after = key(page[-1])
        if len(page) < limits.EXPORT_PAGE:
            return


async def _one(model: BaseModel) -> AsyncIterator[bytes]:
    yield model.model_dump_json().encode()


async def _raw(data: bytes) -> AsyncIterator[bytes]:
    yield data


class ExportService:
    def __init__(self, store: DocumentStore, objects: ObjectStore, projects: ProjectService,
                 clock: Clock = system_clock) -> None:
        self._store = store
        self._objects = objects
        self._projects = projects
        self._clock = clock
        # The ZIP library deflates on the event loop's default worker threads and, from there, waits for the
        # next chunk (which the local object store reads on those threads too): a bound on the exports that
        # stream at once keeps threads free for those reads, and for everything else.
        self._streams = asyncio.Semaphore(limits.EXPORTS_AT_ONCE)

    async def prepare(self, user: User, project_id: str, user_id: str) -> Export:
        """Check, audit, and hand back the stream (nothing of the person is read before the checks)."""
        access = await self._projects.access(user, project_id)
        own = user_id == user.id
        if own:
            access.check("member.export_own", author_id=user_id)
        else:
            access.check("member.export")
        member = await self._store.get_member(project_id, user_id)
        if member is None:
            raise NotFound("member.not_found")
        await self._store.append_audit(entry(user, access, project_id, "member.export", "member", user_id,
                                             note="own" if own else ""))
        now = self._clock()
        safe = _UNSAFE.sub("_", f"{project_id}-{user_id}")
        return Export(filename=f"twinspace-export-{safe}-{now.strftime('%Y%m%d')}.zip",
                      chunks=self._zip(project_id, user_id, own, now))

    def _zip(self, project_id: str, user_id: str, own: bool, now: datetime) -> AsyncIterator[bytes]:
        # Deflate at level 1: an export is read once, and a fast level keeps a 2-core server responsive.
        chunks = async_stream_zip(self._members(project_id, user_id, own, now), chunk_size=65_536,
                                  get_compressobj=lambda: zlib.compressobj(level=1, wbits=-zlib.MAX_WBITS))
        return self._one_of_few(aiter(chunks))

    async def _one_of_few(self, chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        async with self._streams:
            async for chunk in chunks:
                yield chunk

    async def _members(self, project_id: str, user_id: str, own: bool,
                       now: datetime) -> AsyncIterator[AsyncMemberFile]:
        stamp = now.replace(tzinfo=None)

        def member(name: str, content: AsyncIterator[bytes]) -> AsyncMemberFile:
            return name, stamp, 0o600, ZIP_64, content

        store = self._store
        yield member("schema.json", _raw(json.dumps(export_schema(), indent=1).encode()))
        yield member("profile.json", _one(Profile(
            project_id=project_id, user_id=user_id, member=await store.get_member(project_id, user_id),
            contact=(await store.contacts([user_id])).get(user_id))))
        yield member("memberships.json", _json_list(self._memberships(project_id, user_id, own)))
        yield member("messages.json", _json_list(_by_id(
            lambda after, n: store.messages_by(project_id, user_id, after, n), lambda m: m.id)))
        yield member("threads.json", _json_list(_by_id(
            lambda after, n: store.threads_by(project_id, user_id, after, n), lambda t: t.id)))
        yield member("posts.json", _json_list(_by_id(
            lambda after, n: store.posts_by(project_id, user_id, after, n), lambda p: p.id)))
        yield member("mail.json", _json_list(self._mail(project_id, user_id)))
        yield member("files.json", _json_list(self._file_lines(project_id, user_id)))
        yield member("read_markers.json", _json_list(_pages_of(
            store.read_markers_of(project_id, user_id, limits.EXPORT_MARKERS_MAX))))
        yield member("reports.json", _json_list(self._reports(project_id, user_id)))
        yield member("audit.json", _json_list(self._audit(project_id, user_id)))
        async for page in _by_id(lambda after, n: store.files_of(project_id, user_id, after, n), lambda f: f.id):
            for record in page:
                yield member(_file_path(record.id, record.name), self._objects.get(key_of(record)))

    async def _memberships(self, project_id: str, user_id: str, own: bool) -> AsyncIterator[list[Membership]]:
        if own:
            rows = await self._store.list_projects_of(user_id, limits.PROJECTS_PAGE_MAX)
            yield [Membership(project_id=p.id, title=p.title, role=r, status=p.status) for p, r in rows]
            return
        project = await self._store.get_project(project_id)
        member = await self._store.get_member(project_id, user_id)
        if project is not None and member is not None:
            yield [Membership(project_id=project.id, title=project.title, role=member.role, status=project.status)]

    async def _mail(self, project_id: str, user_id: str) -> AsyncIterator[list[BaseModel]]:
        for folder in _FOLDERS:
            before: int | None = None
            while True:
                rows = await self._store.list_copies(user_id, folder, project_id, before, limits.EXPORT_PAGE)
                if rows:
                    yield [copy for copy, _ in rows]
                    before = rows[-1][1]
                if len(rows) < limits.EXPORT_PAGE:
                    break

    async def _file_lines(self, project_id: str, user_id: str) -> AsyncIterator[list[ExportedFile]]:
        async for page in _by_id(lambda after, n: self._store.files_of(project_id, user_id, after, n),
                                 lambda f: f.id):
            yield [ExportedFile(record=r, path=_file_path(r.id, r.name)) for r in page]

    async def _reports(self, project_id: str, user_id: str) -> AsyncIterator[list[BaseModel]]:
        before: int | None = None
        while True:  # the reports they made, every project's: this project's are kept
            rows = await self._store.list_reports_by(user_id, before, limits.EXPORT_PAGE)
            yield [report for report, _ in rows if report.project_id == project_id]
            if len(rows) < limits.EXPORT_PAGE:
                return
            before = rows[-1][1]

    async def _audit(self, project_id: str, user_id: str) -> AsyncIterator[list[BaseModel]]:
        for by_them in (True, False):
            before: int | None = None
            while True:
                if by_them:
                    rows = await self._store.list_audit(project_id, before, limits.EXPORT_PAGE, actor_id=user_id)
                else:  # about them, by someone else (their own acts on themselves came above)
                    rows = await self._store.list_audit(project_id, before, limits.EXPORT_PAGE, target_id=user_id)
                yield [e for e, _ in rows if by_them or e.actor_id != user_id]
                if len(rows) < limits.EXPORT_PAGE:
                    break
                before = rows[-1][1]


async def _pages_of(items: Awaitable[Sequence[T]]) -> AsyncIterator[Sequence[T]]:
    yield await items


def _file_path(file_id: str, name: str) -> str:
    return f"files/{_UNSAFE.sub('_', file_id)}-{name.replace('/', '_').replace(chr(92), '_')}"
