"""Shared files: streamed uploads checked by their bytes, quotas, and reading through attachments.

A file belongs to a project and to its owner. Until it is attached, only
its owner can read it. Once attached to a chat message, a forum thread or
post, or a mail, it is readable by exactly those who can read what it is
attached to, and no one else: a file attached to a staff-room message is
never readable by pupils; one attached to a supervised mail is readable by
its copies' owners and the project's staff (who supervise it); one attached
to a mail a moderator removed, by nobody but its owner. Whoever may not read a file gets
``file.not_found``: they cannot tell it exists.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from rooms import audit, limits
from rooms.clock import stamp
from rooms.errors import InvalidRequest, NotAttachable, NotFound, TwinspaceError
from rooms.file_models import Attachment, FileRecord, FileRef
from rooms.ids import new_id, utcnow
from rooms.models import User
from rooms.ports import DocumentStore, ObjectStore
from rooms.projects import Access, ProjectService
from rooms.sniff import needs_structure_check, office_structure_ok, sniff

_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]+")


@dataclass(frozen=True, kw_only=True)
class FileRules:
    max_bytes: int = limits.FILE_MAX_BYTES_DEFAULT
    quota_bytes: int = limits.PROJECT_QUOTA_BYTES_DEFAULT


def clean_name(name: str) -> str:
    """A file name safe to show and to put in a header: no paths, no control characters."""
    cleaned = _UNSAFE_NAME.sub("_", name).strip().strip(".")
    if not cleaned:
        raise InvalidRequest("request.invalid", detail="name: a file needs a name")
    return cleaned[-limits.FILE_NAME_MAX_CHARS:]


def key_of(record: FileRecord) -> str:
    return f"{record.project_id}/{record.id}"


class QuotaHold:
    """The share of a project's quota one upload holds while it streams (``FileStore.reserve_quota``)."""

    def __init__(self, store: DocumentStore, project_id: str, quota: int) -> None:
        self._store = store
        self._project_id = project_id
        self._quota = quota
        self._id = new_id("qta")
        self.held = 0

    async def grow(self, size: int, needed: int | None = None) -> None:
        """Hold ``size`` bytes more (or, when the quota has no room for that, the ``needed`` bytes at least);
        else refuse the upload with ``file.quota_exceeded``."""
        for more in (size, needed) if needed is not None and needed < size else (size,):
            now = datetime.now(UTC)
            expires = now + timedelta(seconds=limits.QUOTA_HOLD_SECS)
            if await self._store.reserve_quota(self._id, self._project_id, more, self._quota, stamp(now),
                                               stamp(expires)):
                self.held += more
                return
        raise InvalidRequest("file.quota_exceeded", quota_bytes=self._quota)

    async def release(self) -> None:
        await self._store.release_quota(self._id)


class FileService:
    def __init__(self, store: DocumentStore, objects: ObjectStore, projects: ProjectService,
                 rules: FileRules) -> None:
        self._store = store
        self._objects = objects
        self._projects = projects
        self._rules = rules

    async def upload(self, user: User, project_id: str, name: str, chunks: AsyncIterator[bytes],
                     declared_size: int | None) -> FileRecord:
        """Stream an upload to the object store; nothing is kept unless all of it is accepted."""
        access = await self._projects.access(user, project_id)
        access.check("file.upload")
        name = clean_name(name)
        max_bytes = self._rules.max_bytes
        if declared_size is not None and declared_size > max_bytes:
            raise InvalidRequest("file.too_large", limit_bytes=max_bytes)
        hold = QuotaHold(self._store, project_id, self._rules.quota_bytes)
        try:
            if declared_size is not None:
                await hold.grow(declared_size)
            else:  # a first step, grown as the bytes come
                await hold.grow(min(limits.QUOTA_HOLD_FIRST_BYTES, max_bytes), needed=1)
            return await self._stream(user, access, project_id, name, chunks, declared_size, hold)
        finally:
            await hold.release()  # stored: the record counts now; refused or cut off: nothing does

    async def _stream(self, user: User, access: Access, project_id: str, name: str, chunks: AsyncIterator[bytes],
                      declared_size: int | None, hold: QuotaHold) -> FileRecord:
        max_bytes = self._rules.max_bytes
        source = chunks.__aiter__()
        head = b""
        async for chunk in source:
            head += chunk
            if len(head) >= limits.SNIFF_BYTES:
                break
        content_type = sniff(head[:limits.SNIFF_BYTES], name)
        if content_type is None:
            raise InvalidRequest("file.type_not_allowed")

        digest = hashlib.sha256()
        size = 0

        async def accepted() -> AsyncIterator[bytes]:
            nonlocal size

            async def everything() -> AsyncIterator[bytes]:
                yield head
                async for rest in source:
                    yield rest

            async for piece in everything():
                size += len(piece)
                if size > max_bytes:
                    raise InvalidRequest("file.too_large", limit_bytes=max_bytes)
                if size > hold.held:  # more than held: hold more first (doubling, in steps), or stop here
                    step = min(max(hold.held, limits.QUOTA_HOLD_FIRST_BYTES), limits.QUOTA_HOLD_STEP_MAX_BYTES)
                    await hold.grow(max(step, size - hold.held), needed=size - hold.held)
                digest.update(piece)
                yield piece

        record = FileRecord(id=new_id("fil"), project_id=project_id, owner_id=user.id,
                            owner_name=access.member.display_name if access.member else user.name,
                            name=name, size=0, content_type=content_type, sha256="", created_at=utcnow())
        stored = await self._objects.put(key_of(record), accepted(), content_type)
        if declared_size is not None and stored != declared_size:
            await self._objects.delete(key_of(record))
            raise InvalidRequest("file.upload_incomplete")
        if needs_structure_check(content_type) and not await office_structure_ok(
                lambda start, end: self._read(key_of(record), start, end), stored, content_type):
            await self._objects.delete(key_of(record))
            raise InvalidRequest("file.type_not_allowed")  # a ZIP named like an Office file it is not
        record = record.model_copy(update={"size": stored, "sha256": digest.hexdigest()})
        try:
            await self._store.add_file(record)
        except BaseException:
            await self._objects.delete(key_of(record))
            raise
        return record

    async def _read(self, key: str, start: int, end: int) -> bytes:
        return b"".join([chunk async for chunk in self._objects.get(key, start, end)])

    async def readable(self, user: User, file_id: str) -> FileRecord:
        """The record of a file the user may read; ``file.not_found`` otherwise."""
        record = await self._store.get_file(file_id)
        if record is None or record.expired_at is not None:  # expired: its bytes are being deleted
            raise NotFound("file.not_found")
        try:
            access = await self._projects.access(user, record.project_id)
        except NotFound:
            raise NotFound("file.not_found") from None
        if record.owner_id == user.id and access.member is not None:
            return record
        if not await self._through_attachment(user, access, record.attached_to):
            raise NotFound("file.not_found")
        return record

    async def _through_attachment(self, user: User, access: Access, attached: Attachment | None) -> bool:
        if attached is None:
            return False
        try:
            if attached.kind == "mail":
                return await self._through_mail(user, access, attached.id)
            assert attached.space_id is not None
            _, access = await self._projects.get_space(user, attached.space_id, "space.read")
        except TwinspaceError:
            return False
        # A hidden message's or post's files are hidden with it, from all but staff.
        if attached.kind == "message":
            message = await self._store.get_message(attached.space_id, attached.id)
            return message is not None and not message.deleted and (access.is_staff or not message.hidden)
        if attached.kind == "post":
            post = await self._store.get_post(attached.id)
            thread = await self._store.get_thread(post.thread_id) if post else None
            return bool(post and thread and not post.deleted and not thread.deleted
                        and (access.is_staff or not post.hidden))
        thread = await self._store.get_thread(attached.id)
        return thread is not None and not thread.deleted

    async def _through_mail(self, user: User, access: Access, mail_id: str) -> bool:
        copy = await self._store.get_copy(user.id, mail_id)
        if copy is not None:
            return copy.mail.removed_by is None
        if not access.is_staff:
            return False
        access.check("mail.supervise")
        mail = await self._store.get_mail(mail_id)
        return mail is not None and mail.supervised and mail.removed_by is None

    async def open(self, user: User, file_id: str, start: int = 0,
                   end: int | None = None) -> tuple[FileRecord, AsyncIterator[bytes]]:
        record = await self.readable(user, file_id)
        return record, self._objects.get(key_of(record), start, end)

    async def presigned_url(self, user: User, record: FileRecord, expires_secs: int) -> str | None:
        return await self._objects.presigned_url(key_of(record), expires_secs, record.name, record.content_type)

    async def delete(self, user: User, file_id: str) -> FileRecord:
        record = await self.readable(user, file_id)
        access = await self._projects.access(user, record.project_id)
        entry = None
        if access.check_delete(record.owner_id, own="file.delete_own", moderate="file.moderate"):
            entry = audit.entry(user, access, record.project_id, "file.delete", "file", record.id,
                                note=f"{record.name}, by {record.owner_id}")
        if await self._store.delete_file(record.id, audit=entry):
            await self._objects.delete(key_of(record))
        return record

    async def attachable(self, user: User, project_id: str, file_ids: list[str]) -> list[FileRef]:
        """The refs of the files the user may attach to an item of this project; refuse the lot otherwise.

        Their own files of this project, not attached yet, each once, at most ``ATTACHMENTS_MAX``.
        This only reads: the item's own store write (``append_message``, ``create_thread``,
        ``add_post``, ``store_mail``) attaches the files it lists in the same write, and stores
        nothing (``file.not_attachable``) when one was attached elsewhere meanwhile. So a write
        that fails leaves the files free for the retry.
        """
        if len(file_ids) > limits.ATTACHMENTS_MAX:
            raise InvalidRequest("request.invalid", detail=f"attachments: at most {limits.ATTACHMENTS_MAX}")
        if len(set(file_ids)) != len(file_ids):
            raise InvalidRequest("request.invalid", detail="attachments: each file appears once")
        refs = []
        for file_id in file_ids:
            record = await self._store.get_file(file_id)
            if record is None or record.owner_id != user.id:
                raise NotAttachable(file_id, "not one of your files")
            if record.project_id != project_id:
                raise NotAttachable(file_id, "it belongs to another project")
            if record.attached_to is not None or record.expired_at is not None:
                raise NotAttachable(file_id)
            refs.append(FileRef(id=record.id, name=record.name, size=record.size, content_type=record.content_type))
        return refs
