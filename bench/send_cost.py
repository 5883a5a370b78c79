"""CPU cost of one chat send inside the server, without the network: where Twinspace's time goes.

Drives the domain (``rooms.chat.ChatService.send``) on the embedded SQLite store exactly as the
``chat:send`` handler does (payload size check, schema, policy, rate limit, store, ack and push
bodies), in one process, and reports CPU microseconds per send (``time.process_time``: every
thread, the database's included) for sends one at a time and several at once, then stage by stage.
Pin it to one core like the servers in ``run.py``:

    taskset -c 0 .venv/bin/python bench/send_cost.py [--sends N] [--metrics]

``--metrics`` runs the same sends as a server with ``--metrics-token`` does: the store and the rate
limiter behind the proxies of ``server/metrics.py`` and each send reported to the metrics' listener.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rooms.audience import for_visitors  # noqa: E402
from rooms.chat import ChatRules, ChatService  # noqa: E402
from rooms.chat_models import ChatSendIn, Message  # noqa: E402
from rooms.files import FileRules, FileService  # noqa: E402
from rooms.ids import new_id, utcnow  # noqa: E402
from rooms.models import Member, Project, Space, User  # noqa: E402
from rooms.ports import DocumentStore, RateLimiter  # noqa: E402
from rooms.projects import ProjectService  # noqa: E402
from rooms.wordfilter import screen  # noqa: E402
from server import wire  # noqa: E402
from server.metrics import Metrics, counting_refusals, timed_documents  # noqa: E402
from server.observe import Finished  # noqa: E402
from storage.documents.sqlite import SqliteDocumentStore  # noqa: E402
from storage.ephemeral.memory import MemoryPresence, MemoryRateLimiter  # noqa: E402
from storage.objects.localfs import LocalObjectStore  # noqa: E402

WARM_UP = 200


async def cpu_per_call(n: int, call: Callable[[int], Awaitable[object]], at_once: int = 1) -> float:
    """CPU µs per call of ``call``, ``at_once`` calls in flight together."""
    for i in range(WARM_UP):
        await call(i)
    started = time.process_time()
    if at_once == 1:
        for k in range(n):
            await call(k)
    else:
        for k in range(0, n, at_once):
            await asyncio.gather(*(call(k + j) for j in range(at_once)))
    return (time.process_time() - started) / n * 1e6


async def main(sends: int, with_metrics: bool) -> None:
    folder = Path(tempfile.mkdtemp(prefix="twinspace-send-cost-"))
    sqlite = SqliteDocumentStore(folder / "twinspace.db")
    await sqlite.open()
    metrics = Metrics() if with_metrics else None
    store: DocumentStore = timed_documents(sqlite, metrics) if metrics else sqlite
    now = utcnow()
    project = Project(id=new_id("prj"), title="Bench", description="", subject="Languages", age_min=10,
                      age_max=12, languages=["en", "fr"], status="validated", created_by="t1", created_at=now,
                      updated_at=now)
    await store.create_project(project, [Member(project_id=project.id, user_id="t1", role="admin",
                                                display_name="Teacher", added_by="t1", joined_at=now)])
    await store.add_member(Member(project_id=project.id, user_id="p1", role="pupil", display_name="Pupil",
                                  added_by="t1", joined_at=now))
    room = Space(id=new_id("spc"), project_id=project.id, kind="chat", name="General", visibility="members",
                 created_by="t1", created_at=now)
    await store.add_space(room, 10)
    projects = ProjectService(store)
    files = FileService(store, LocalObjectStore(folder / "files"), projects, FileRules(max_bytes=1, quota_bytes=1))
    limiter: RateLimiter = MemoryRateLimiter()
    if metrics is not None:
        limiter = counting_refusals(limiter, metrics)
    chat = ChatService(store, projects, MemoryPresence(), limiter,
                       ChatRules(rate_messages=10**9, rate_window_secs=1), files)
    pupil = User(id="p1", name="Pupil", role="pupil")

    def payload(i: int) -> dict[str, object]:
        return {"room_id": room.id, "client_id": uuid.uuid4().hex, "text": f"message {i} of the benchmark"}

    async def whole_send(i: int) -> None:  # what server/realtime handles for one chat:send
        started = time.perf_counter()
        body = payload(i)
        wire.payload_size(body)
        message, _ = await chat.send(pupil, wire.parse(ChatSendIn, body))
        wire.ok(message)
        wire.jsonable(message)
        chat.unread_after_send(message)
        if metrics is not None:
            metrics.finished(Finished("event", "chat:send", "ok", time.perf_counter() - started, "0", pupil.id))

    print(f"{sends} sends on SQLite{' with metrics' if metrics else ''}; CPU µs per send (every thread):")
    for at_once in (1, 2, 10):
        print(f"  whole send, {at_once:2d} at once: {await cpu_per_call(sends, whole_send, at_once):7.1f}")

    sample = payload(0)
    stored = Message(id=new_id("msg"), room_id=room.id, project_id=project.id, seq=1, client_id="c",
                     author_id="p1", author_name="Pupil", author_role="pupil", text="hello", created_at=utcnow())

    async def validate(i: int) -> None:
        wire.payload_size(sample)
        wire.parse(ChatSendIn, sample)

    async def access(i: int) -> None:
        await chat.room(pupil, room.id, "space.write")

    async def retry_lookup(i: int) -> None:
        await store.find_message(room.id, "p1", f"c{i}")

    async def rate_limit(i: int) -> None:
        await limiter.hit("bench", 10**9, 1)

    _, pupil_access = await chat.room(pupil, room.id, "space.write")
    text = str(sample["text"])

    async def word_filter(i: int) -> None:
        screen(pupil_access, text)

    async def attach_none(i: int) -> None:
        await files.attachable(pupil, project.id, [])

    def new_message() -> Message:
        return Message(id=new_id("msg"), room_id=room.id, project_id=project.id, seq=0,
                       client_id=uuid.uuid4().hex, author_id="p1", author_name="Pupil", text="hello",
                       created_at=utcnow())

    async def build(i: int) -> None:
        new_message()

    async def append(i: int) -> None:
        await store.append_message(new_message())

    async def bodies(i: int) -> None:
        wire.ok(stored)
        wire.jsonable(stored)

    async def visitors_view(i: int) -> None:
        for_visitors(stored)

    print("  stage by stage, one at a time:")
    for name, stage in (("payload size and schema", validate), ("room access (one read)", access),
                        ("retry lookup (retries and attachments only)", retry_lookup),
                        ("rate limit", rate_limit), ("word filter (a pupil's text)", word_filter),
                        ("attachments (none)", attach_none),
                        ("message built", build), ("stored (append, own commit)", append),
                        ("ack and push bodies", bodies), ("visitors' view of the push", visitors_view)):
        print(f"    {name:44s} {await cpu_per_call(sends, stage):7.1f}")
    print(f"  stored, 10 at once (one commit for the group): {await cpu_per_call(sends, append, 10):7.1f}")
    await sqlite.aclose()
    shutil.rmtree(folder)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sends", type=int, default=2000)
    parser.add_argument("--metrics", action="store_true", help="the store and limiter behind server/metrics.py")
    args = parser.parse_args()
    asyncio.run(main(args.sends, args.metrics))
