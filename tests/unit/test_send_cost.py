"""What one plain-text chat send costs the embedded store below its port, pinned: a regression fails here.

``tests/unit/test_budgets.py`` pins the port calls of every event (``chat:send``: one read, one
write). This pins what those two calls cost SQLite, the hot path of scenario A in
``docs/performance.md``: the statements run on the event loop's reader, the trips to the writer's
thread, and the statements and commits run on the write connection (by the loop's thread while the
writer is idle, reads included), for one send alone and for sends that arrive
together (stored in one transaction and one commit: the group commit). A change that adds a
statement, a trip or a commit per message fails, and so does one that removes some, so that the
figures here are lowered and keep saying what a send costs.

The send goes through the domain (``rooms.chat.ChatService.post``) as the ``chat:send`` action
calls it, by a pupil (the word filter runs), with no attachment, no reply and no mention.
CPU time is left to the benchmark (``bench/send_cost.py``, scenario A of ``bench/run.py``): on a
shared host it is too noisy for a test.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from rooms.chat import ChatRules, ChatService
from rooms.chat_models import ChatSendIn, Message
from rooms.errors import Unavailable
from rooms.files import FileRules, FileService
from rooms.ids import new_id, utcnow
from rooms.models import Member, Project, Space, User
from rooms.projects import ProjectService
from storage.documents import sqlite_chat, sqlite_search
from storage.documents.sqlite import SqliteDocumentStore
from storage.ephemeral.memory import MemoryPresence, MemoryRateLimiter
from storage.objects.localfs import LocalObjectStore

PUPIL = User(id="p1", name="Pupil", role="pupil")


@dataclass
class Traced:
    """The SQL each connection ran, and the trips to the writer's thread."""

    reader: list[str] = field(default_factory=list)
    writer: list[str] = field(default_factory=list)
    trips: int = 0

    def reset(self) -> None:
        self.reader.clear()
        self.writer.clear()
        self.trips = 0

    def commits(self) -> int:
        return sum(1 for sql in self.writer if sql.strip().upper() == "COMMIT")

    def writer_kinds(self) -> list[str]:
        """What the writer ran, as ``VERB table``. SQLite's trace reports a statement again for each
        trigger program it runs (the message's insert: twice more)."""
        return [_kind(sql) for sql in self.writer]


def _kind(sql: str) -> str:
    words = sql.replace("(", " ").split()
    verb = words[0].upper()
    table = {"SELECT": "FROM", "INSERT": "INTO", "UPDATE": "UPDATE", "DELETE": "FROM"}.get(verb)
    if table is None:
        return " ".join(words[:2]) if verb == "BEGIN" else verb
    return f"{verb} {words[[w.upper() for w in words].index(table) + 1]}"


# On the loop's thread, the transaction begins without waiting for another process's lock (the
# writer's thread waits instead): the loop's side runs with no busy time-out, set once by the first
# send after the thread's last item (the fixture's warm-up send), not per send
# (storage/documents/sqlite_writer.py).
BEGIN_HERE = ["BEGIN IMMEDIATE"]
# A send's access read: its room, project and membership were read by the fixture's warm-up send and
# are kept while access_version does not move (storage/documents/sqlite_projects.py); its policy is
# still checked afresh on them.
ACCESS = "SELECT access_version"
# A send alone needs no savepoint: its failure rolls back its own transaction. In a batch, each has one.
ALONE = ["SELECT messages", "INSERT room_counters", "INSERT messages", "INSERT messages", "INSERT messages",
         "INSERT read_markers"]
ONE_MESSAGE = ["SAVEPOINT", *ALONE, "RELEASE"]


@dataclass
class World:
    chat: ChatService
    room: Space
    traced: Traced
    store: SqliteDocumentStore


@pytest.fixture
async def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[World]:
    # The search backlog is indexed in batches a moment after the sends, in trips of its own (its cost
    # is the benchmark's): held off here, so that only the sends are counted however slow the host.
    monkeypatch.setattr(sqlite_search, "BACKLOG_SECS", 3600.0)
    store = SqliteDocumentStore(tmp_path / "twinspace.db")
    await store.open()
    now = utcnow()
    project = Project(id=new_id("prj"), title="Budget", description="", subject="Languages", age_min=10,
                      age_max=12, languages=["en", "fr"], status="validated", created_by="t1", created_at=now,
                      updated_at=now)
    await store.create_project(project, [Member(project_id=project.id, user_id="t1", role="admin",
                                                display_name="Teacher", added_by="t1", joined_at=now)])
    await store.add_member(Member(project_id=project.id, user_id=PUPIL.id, role="pupil", display_name="Pupil",
                                  added_by="t1", joined_at=now))
    room = Space(id=new_id("spc"), project_id=project.id, kind="chat", name="General", visibility="members",
                 created_by="t1", created_at=now)
    await store.add_space(room, 10)
    projects = ProjectService(store)
    files = FileService(store, LocalObjectStore(tmp_path / "files"), projects, FileRules(max_bytes=1, quota_bytes=1))
    chat = ChatService(store, projects, MemoryPresence(), MemoryRateLimiter(),
                       ChatRules(rate_messages=1000, rate_window_secs=1), files)
    traced = Traced()
    reader = store._reader
    assert reader is not None
    reader.set_trace_callback(traced.reader.append)

    def trace_writer(conn: sqlite3.Connection) -> None:
        conn.set_trace_callback(traced.writer.append)  # called on the writer's thread

    await store._writer.run(trace_writer)
    writer: Any = store._writer
    submit = writer._submit

    def counted_submit(work: Any) -> Any:
        traced.trips += 1
        return submit(work)

    writer._submit = counted_submit
    await chat.post(PUPIL, ChatSendIn(room_id=room.id, client_id="warm-up", text="Hello"))  # caches warm
    traced.reset()
    yield World(chat, room, traced, store)
    await store.aclose()


def send(w: World, client_id: str, text: str = "Bonjour, how are you today?") -> ChatSendIn:
    return ChatSendIn(room_id=w.room.id, client_id=client_id, text=text)


async def test_one_send_alone_is_one_read_no_trip_and_one_commit(world: World) -> None:
    sent = await world.chat.post(PUPIL, send(world, "c-1"))
    assert sent.created and sent.message.seq == 2
    traced = world.traced
    # The writer was idle: the loop's thread ran the access read on the write connection (whose page
    # cache outlives its commits) and the transaction, with no trip (storage/documents/sqlite_writer.py).
    assert traced.reader == [] and traced.trips == 0
    assert traced.commits() == 1
    # The retry check, the room's next seq and rev, the row (its insert trigger notes it for the search
    # backlog, indexed later in batches: storage/documents/sqlite_search.py), the author's read marker.
    assert traced.writer_kinds() == [ACCESS, *BEGIN_HERE, *ALONE, "COMMIT"], traced.writer


async def test_a_send_long_after_the_last_commit_is_stored_in_its_own_call_and_those_behind_it_together(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite_chat, "ALONE_AFTER_SECS", 3600.0)
    world.store._committed_at = float("-inf")  # the last commit was long ago
    alone = world.chat.post(PUPIL, send(world, "c-alone"))
    try:
        alone.send(None)  # the whole send in one step: no future waited for, no turn of the loop
    except StopIteration as done:
        assert done.value.created and done.value.message.seq == 2
    else:  # pragma: no cover
        alone.close()
        raise AssertionError("the send waited")
    assert world.traced.writer_kinds() == [ACCESS, *BEGIN_HERE, *ALONE, "COMMIT"]
    world.traced.reset()
    # Right after it, sends that come together wait for the loop's next turn and share one commit.
    world.store._committed_at = float("-inf")
    results = await asyncio.gather(*(world.chat.post(PUPIL, send(world, f"c-{i}")) for i in range(10)))
    assert [r.message.seq for r in results] == list(range(3, 13))
    traced = world.traced
    assert traced.reader == [] and traced.trips == 0 and traced.commits() == 2
    assert traced.writer_kinds() == ([ACCESS, *BEGIN_HERE, *ALONE, "COMMIT"] + [ACCESS] * 9
                                     + [*BEGIN_HERE, *ONE_MESSAGE * 9, "COMMIT"])


async def test_a_send_never_answers_ahead_of_one_stored_before_it_whose_handler_has_not_resumed(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    store, answered = world.store, []

    async def append(name: str) -> None:
        message = Message(id=new_id("msg"), room_id=world.room.id, project_id=world.room.project_id, seq=0,
                          client_id=name, author_id=PUPIL.id, author_name="Pupil", text=name, created_at=utcnow())
        stored, _ = await store.append_message(message)
        answered.append((name, stored.seq))

    monkeypatch.setattr(sqlite_chat, "ALONE_AFTER_SECS", 3600.0)
    first = asyncio.ensure_future(append("first"))  # the usual way: the last commit was just now
    await asyncio.sleep(0)  # offered; its commit is the loop's next callback
    assert store._appends
    monkeypatch.setattr(sqlite_chat, "ALONE_AFTER_SECS", 0.0)  # from now on, a send would go alone
    second = append("second")

    def offer_second() -> None:  # runs right after the commit, before the first send's handler resumes
        assert not store._appends
        try:
            second_started.set_result(second.send(None))  # it waits its turn: it does not complete here
        except StopIteration:  # it answered, ahead of the first
            second_started.set_result(DONE)

    second_started: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().call_soon(offer_second)
    await asyncio.wait_for(second_started, 5)
    waited = second_started.result()
    rest = [_finish(second, waited)] if waited is not DONE else []
    await asyncio.wait_for(asyncio.gather(first, *rest), 5)
    assert answered == [("first", 2), ("second", 3)]


DONE = object()


async def _finish(coro: Any, waited: Any) -> None:
    """Drive a coroutine started by hand to its end, as a task would: ``waited`` is what it yielded."""
    while True:
        if waited is None:
            await asyncio.sleep(0)
        else:
            await asyncio.wait([waited], timeout=5)
        try:
            waited = coro.send(None)
        except StopIteration:
            return


async def test_a_send_alone_that_fails_is_refused_as_the_store_unavailable(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    world.store._committed_at = float("-inf")

    def broken(raw: sqlite3.Connection, *_: Any) -> Any:
        raw.execute("INSERT INTO no_such_table VALUES (1)")

    monkeypatch.setattr(sqlite_chat, "_append", broken)
    with pytest.raises(Unavailable) as refused:
        await world.chat.post(PUPIL, send(world, "c-1"))
    assert refused.value.code == "backend.unavailable" and "no_such_table" in str(refused.value.data["detail"])
    assert world.traced.commits() == 0  # rolled back
    monkeypatch.undo()
    sent = await world.chat.post(PUPIL, send(world, "c-1"))  # and the next one is stored
    assert sent.created and sent.message.seq == 2


async def test_sends_that_arrive_together_share_one_commit(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite_chat, "ALONE_AFTER_SECS", 3600.0)  # the warm-up send was just committed
    results = await asyncio.gather(*(world.chat.post(PUPIL, send(world, f"c-{i}")) for i in range(10)))
    assert [r.message.seq for r in results] == list(range(2, 12))  # stored in the order they came
    traced = world.traced
    assert traced.reader == [] and traced.trips == 0
    assert traced.commits() == 1
    # each send's own access read (its policy is checked afresh), then the ten in one transaction
    assert traced.writer_kinds() == [ACCESS] * 10 + [*BEGIN_HERE, *ONE_MESSAGE * 10, "COMMIT"]


async def test_sends_while_the_writers_thread_is_busy_go_there_together_after_it(world: World) -> None:
    release = threading.Event()
    busy = asyncio.ensure_future(world.store._writer.run(lambda conn: release.wait(10)))  # the thread is taken
    sends = asyncio.gather(*(world.chat.post(PUPIL, send(world, f"c-{i}")) for i in range(5)))
    asyncio.get_running_loop().call_later(0.2, release.set)
    results = await asyncio.wait_for(sends, 10)
    await asyncio.wait_for(busy, 10)
    assert [r.message.seq for r in results] == list(range(2, 7))  # in the order they came, gap-free
    traced = world.traced
    assert traced.trips == 2  # the work that held the thread, then the five sends' one transaction
    assert traced.commits() == 1
    # The thread's first item after the loop's sends sets the busy time-out back, which the thread waits with
    assert traced.writer_kinds() == ["PRAGMA", "BEGIN IMMEDIATE", *ONE_MESSAGE * 5, "COMMIT"]


async def test_a_retry_is_answered_from_the_store_without_a_second_row(world: World) -> None:
    first = await world.chat.post(PUPIL, send(world, "c-1"))
    world.traced.reset()
    again = await world.chat.post(PUPIL, send(world, "c-1"))
    assert not again.created and again.message.id == first.message.id
    assert world.traced.trips == 0 and world.traced.commits() == 1  # found as it appends, no row written
    assert world.traced.writer_kinds() == [ACCESS, *BEGIN_HERE, "SELECT messages", "COMMIT"]


async def test_the_access_read_is_made_again_once_anyone_wrote_to_projects_spaces_or_members(world: World) -> None:
    other = sqlite3.connect(world.store._path, isolation_level=None)  # another process, say
    try:
        other.execute("UPDATE members SET doc = doc WHERE user_id = ?", (PUPIL.id,))
    finally:
        other.close()
    await world.chat.post(PUPIL, send(world, "c-1"))
    await world.chat.post(PUPIL, send(world, "c-2"))
    kinds = world.traced.writer_kinds()
    assert [k for k in kinds if k.startswith("SELECT") and k != "SELECT messages"] == [
        ACCESS, "SELECT spaces", ACCESS]  # moved: read again, then kept
