"""A write that fails after the domain checked its attachments leaves them free: the retry attaches them.

The chat, forum and mail services on both document stores (a real SQLite file and the
MongoDB adapter on its stand-in, as in the contract suite), with the item's store write
failing once, in one of two places:

- ``before``: the store write raises ``Unavailable`` before it runs (a wrapper around the
  store): the domain must not have attached anything itself;
- ``inside``: the write runs and its insert fails (``failing_inserts`` of the contract
  suite): the store must undo the attaching.

A chat retry with the same ``client_id`` then stores the message once with its files
attached; forum and mail have no ``client_id``, so there a second attempt attaches them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pytest

from rooms.chat import ChatRules, ChatService
from rooms.chat_models import ChatSendIn
from rooms.errors import Unavailable
from rooms.file_models import Attachment
from rooms.files import FileRules, FileService
from rooms.forum import ForumService
from rooms.forum_models import PostCreateIn, ThreadCreateIn
from rooms.ids import new_id, utcnow
from rooms.mail import MailService
from rooms.mail_models import MailSendIn
from rooms.models import Member, Space, User
from rooms.ports import DocumentStore
from rooms.projects import ProjectService
from storage.ephemeral.memory import MemoryPresence, MemoryRateLimiter
from storage.objects.localfs import LocalObjectStore
from tests.contract.builders import file, project
from tests.contract.conftest import ADAPTERS, Adapter

TEACHER = User(id="t1", name="Teacher", role="teacher")
PUPIL = User(id="p1", name="Pupil", role="pupil")
# The store's item write for each table the services write an item to.
WRITES = {"messages": "append_message", "threads": "create_thread", "posts": "add_post", "mails": "store_mail"}


class FailingOnce:
    """A document store whose named methods raise ``Unavailable`` on their next call, then work."""

    def __init__(self, store: DocumentStore) -> None:
        self._store = store
        self.failing: set[str] = set()

    def __getattr__(self, name: str) -> Any:
        if name not in self.failing:
            return getattr(self._store, name)

        async def fail(*args: Any, **kwargs: Any) -> Any:
            self.failing.discard(name)
            raise Unavailable("backend.unavailable", backend="test")
        return fail


@dataclass
class Scene:
    store: DocumentStore
    faulty: FailingOnce
    adapter: Adapter
    fault: str
    project_id: str
    room_id: str
    forum_id: str
    chat: ChatService
    forum: ForumService
    mail: MailService

    def failing(self, table: str) -> AbstractContextManager[None]:
        """The item write into ``table`` fails once, where this test's fault is."""
        if self.fault == "before":
            self.faulty.failing.add(WRITES[table])
            return nullcontext()
        assert self.adapter.failing_inserts is not None
        return self.adapter.failing_inserts(table)

    async def a_file(self) -> str:
        record = file(self.project_id, owner=PUPIL.id)
        await self.store.add_file(record)
        return record.id

    async def attached_to(self, file_id: str) -> Attachment | None:
        record = await self.store.get_file(file_id)
        assert record is not None
        return record.attached_to


@pytest.fixture(params=sorted(a for a in ADAPTERS if a != "mongo"))
def adapter(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Adapter]:
    yield from ADAPTERS[request.param](tmp_path)


@pytest.fixture(params=["before", "inside"])
async def space(request: pytest.FixtureRequest, adapter: Adapter, tmp_path: Path) -> AsyncIterator[Scene]:
    async with adapter.opener() as store:
        now = utcnow()
        prj = project("validated")
        await store.create_project(prj, [Member(project_id=prj.id, user_id=TEACHER.id, role="admin",
                                                display_name="Teacher", added_by="t1", joined_at=now)])
        await store.add_member(Member(project_id=prj.id, user_id=PUPIL.id, role="pupil", display_name="Pupil",
                                      added_by="t1", joined_at=now))
        room, forum = (Space(id=new_id("spc"), project_id=prj.id, kind=kind, name=kind, visibility="members",
                             created_by="t1", created_at=now) for kind in ("chat", "forum"))
        for s in (room, forum):
            await store.add_space(s, 10)
        faulty = FailingOnce(store)
        wrapped = cast(DocumentStore, faulty)
        projects = ProjectService(wrapped)
        files = FileService(wrapped, LocalObjectStore(tmp_path / "files"), projects, FileRules())
        limiter = MemoryRateLimiter()
        yield Scene(store, faulty, adapter, request.param, prj.id, room.id, forum.id,
                     ChatService(wrapped, projects, MemoryPresence(), limiter, ChatRules(), files),
                     ForumService(wrapped, projects, files, limiter), MailService(wrapped, projects, limiter, 100, 60, files))


async def test_a_chat_retry_after_a_failed_store_stores_once_with_its_files(space: Scene) -> None:
    file_id = await space.a_file()
    send = ChatSendIn(room_id=space.room_id, client_id="c1", text="my drawing", attachments=[file_id])
    with space.failing("messages"), pytest.raises(Unavailable):
        await space.chat.send(PUPIL, send)
    assert await space.attached_to(file_id) is None

    message, created = await space.chat.send(PUPIL, send)
    assert created and [ref.id for ref in message.attachments] == [file_id]
    assert await space.attached_to(file_id) == Attachment(kind="message", id=message.id, space_id=space.room_id)
    again, created = await space.chat.send(PUPIL, send)  # a retry after success: the stored message
    assert not created and again == message
    live = [m for m in await space.store.messages_after(space.room_id, 0, 10) if not m.deleted]
    assert live == [message]
    assert await space.store.find_message(space.room_id, PUPIL.id, "c1") == message


async def test_a_thread_or_post_that_failed_leaves_its_files_to_the_next_attempt(space: Scene) -> None:
    file_id = await space.a_file()
    new_thread = ThreadCreateIn(forum_id=space.forum_id, title="Drawings", body="mine", attachments=[file_id])
    with space.failing("threads"), pytest.raises(Unavailable):
        await space.forum.create_thread(PUPIL, new_thread)
    assert await space.attached_to(file_id) is None and await space.store.list_threads(space.forum_id, None, 10) == []
    thread, _ = await space.forum.create_thread(PUPIL, new_thread)
    assert await space.attached_to(file_id) == Attachment(kind="thread", id=thread.id, space_id=space.forum_id)

    file_id = await space.a_file()
    new_post = PostCreateIn(thread_id=thread.id, body="and another", attachments=[file_id])
    with space.failing("posts"), pytest.raises(Unavailable):
        await space.forum.create_post(PUPIL, new_post)
    assert await space.attached_to(file_id) is None
    post, _ = await space.forum.create_post(PUPIL, new_post)
    assert await space.attached_to(file_id) == Attachment(kind="post", id=post.id, space_id=space.forum_id)
    assert [p.id for p in await space.store.list_posts(thread.id, 0, 10)] == [post.id]
    assert [t.id for t, _ in await space.store.list_threads(space.forum_id, None, 10)] == [thread.id]


async def test_a_mail_that_failed_leaves_its_files_to_the_next_attempt(space: Scene) -> None:
    file_id = await space.a_file()
    new_mail = MailSendIn(project_id=space.project_id, to=[TEACHER.id], subject="Homework", body="attached",
                          attachments=[file_id])
    with space.failing("mails"), pytest.raises(Unavailable):
        await space.mail.send(PUPIL, new_mail)
    assert await space.attached_to(file_id) is None
    assert await space.store.list_copies(TEACHER.id, "inbox", None, None, 10) == []
    mail, _ = await space.mail.send(PUPIL, new_mail)
    assert await space.attached_to(file_id) == Attachment(kind="mail", id=mail.id)
    assert [c.mail.id for c, _ in await space.store.list_copies(TEACHER.id, "inbox", None, None, 10)] == [mail.id]
    assert [c.mail.id for c, _ in await space.store.list_copies(PUPIL.id, "sent", None, None, 10)] == [mail.id]
