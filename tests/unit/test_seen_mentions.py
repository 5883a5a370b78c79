""""Seen by" and mentions, through the actions over a real SQLite store whose reads are counted.

A room of 1,000 members who each read costs room:join, chat:history and chat:seen_by the same reads as
a room of 3 (one read of the markers, one of the members: never a read per member), and the counts
are right; who may list the readers; the live counts batched per room by the fan-out; mentions
checked, stored, counted and told; the e-mail notices to away teachers, once per room an hour.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

import storage
from rooms import limits
from rooms.chat_models import ChatHistoryIn, ChatReadIn, ChatSendIn, Message, RoomJoinIn
from rooms.classroom_models import ChatFeatures, SeenByIn
from rooms.errors import TwinspaceError
from rooms.ids import utcnow
from rooms.models import Member, MemberIn, PartnerIn, ProjectIn, SpaceIn, User
from rooms.seen import Tally
from server import settings as config
from server.actions.base import Connection, Context, Notify, Outcome, SeenMoved, ToUsers
from server.realtime.events import EVENTS
from server.realtime.fanout import Fanout
from server.services import Services
from storage.ephemeral.memory import MemoryPresence, MemoryRateLimiter
from tests.support.counting import CountingDocumentStore
from tests.unit.test_budgets import KINDS

TEACHER = User(id="teacher_fr", name="Claire", role="teacher", school="Collège Lyon", country="FR")
PARTNER = User(id="teacher_de", name="Jonas", role="teacher", school="Gymnasium Köln", country="DE")
SUPPORT = User(id="support", name="Support", role="support", country="FR")
VISITOR = User(id="parent_1", name="A parent", role="visitor", country="FR")


def pupil(i: int) -> User:
    return User(id=f"pupil_{i:04d}", name=f"Pupil {i:04d}", role="pupil", school=TEACHER.school, country="FR")


class NoChannels:
    async def subscribe(self, sid: str, channel: str) -> None: ...

    async def unsubscribe(self, sid: str, channel: str) -> None: ...

    def caught_up(self, channel: str, seq: int) -> None: ...


class Mails:
    """A Notifier that keeps what it was given."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []

    async def send(self, to: str, subject: str, body: str) -> None:
        self.sent.append((to, subject, body))


@dataclass
class Room:
    services: Services
    counter: CountingDocumentStore
    presence: MemoryPresence
    mails: Mails
    project_id: str
    general: str
    staff: str
    open: str
    pupils: list[User]

    def ctx(self, user: User) -> Context:
        return Context(user, self.services, Connection(f"sid-{user.id}", NoChannels()))

    async def run(self, name: str, user: User, payload: BaseModel) -> Outcome[Any]:
        return await EVENTS[name].run(self.ctx(user), payload)

    async def reads(self, name: str, user: User, payload: BaseModel) -> tuple[Outcome[Any], int]:
        self.counter.reset()
        outcome = await self.run(name, user, payload)
        return outcome, self.counter.count("read")

    async def features(self, seen_by: str) -> None:
        await self.services.documents.set_chat_features(self.project_id, ChatFeatures(seen_by=seen_by))  # type: ignore[arg-type]


Build = Callable[[int], Awaitable[Room]]


@pytest.fixture
async def build(tmp_path: Path) -> AsyncIterator[Build]:
    async with (storage.open_documents(f"sqlite://{tmp_path / 'seen.db'}") as documents,
                storage.open_objects(f"file://{tmp_path / 'files'}") as objects):
        async def ping() -> None:
            return None

        async def make(size: int) -> Room:
            counter = CountingDocumentStore(documents, KINDS)
            presence, mails = MemoryPresence(), Mails()
            services = Services.build(config.load({"data_dir": str(tmp_path)}, {}), counter.as_port(), objects,
                                      presence, MemoryRateLimiter(), ping, notifier=mails)
            projects = services.projects
            project = await projects.register(TEACHER, ProjectIn(
                title="Rivers", subject="Geography", age_min=12, age_max=14, languages=["en", "fr"],
                partners=[PartnerIn(user_id=PARTNER.id, display_name=PARTNER.name, school=PARTNER.school,
                                    country="DE")]))
            await projects.review(SUPPORT, project.id, approve=True)
            pupils = [pupil(i) for i in range(size)]
            for p in pupils:  # straight into the store: 1,000 enrolments through the service are slow
                await documents.add_member(Member(project_id=project.id, user_id=p.id, role="pupil",
                                                  display_name=p.name, school=p.school, added_by=TEACHER.id,
                                                  joined_at=utcnow()))
            await projects.add_member(TEACHER, project.id, MemberIn(role="visitor", user_id=VISITOR.id,
                                                                    display_name=VISITOR.name))
            await projects.create_space(TEACHER, project.id, SpaceIn(name="Open", visibility="visitors"))
            spaces = {s.name if s.default_key is None else s.default_key: s.id
                      for s in await projects.list_spaces(TEACHER, project.id)}
            return Room(services, counter, presence, mails, project.id, spaces["general"], spaces["staff"],
                        spaces["Open"], pupils)
        yield make


async def _code(call: Awaitable[Any]) -> tuple[str, dict[str, Any]]:
    try:
        await call
    except TwinspaceError as exc:
        return exc.code, exc.data
    raise AssertionError("no error")


async def _read_the_room(room: Room) -> list[Message]:
    """Three messages of the teacher's; pupil i reads up to message (i % 3) + 1."""
    sent = [(await room.services.chat.send(TEACHER, ChatSendIn(room_id=room.general, client_id=f"t{n}",
                                                               text=f"message {n}")))[0] for n in range(3)]
    for i, p in enumerate(room.pupils):
        await room.services.documents.mark_read(room.general, p.id, i % 3 + 1)
    return sent


def _expected(size: int) -> list[int]:
    """How many pupils read each of the three messages (the teacher wrote them: not counted)."""
    return [sum(1 for i in range(size) if i % 3 + 1 >= seq) for seq in (1, 2, 3)]


async def test_a_room_of_1000_costs_what_a_room_of_3_costs(build: Build) -> None:
    costs = {}
    for size in (3, 1000):
        room = await build(size)
        messages = await _read_the_room(room)
        expected = _expected(size)
        reader = room.pupils[1]
        joined, join_reads = await room.reads("room:join", reader, RoomJoinIn(room_id=room.general))
        assert [(c.seq, c.seen) for c in joined.result.seen] == list(zip((1, 2, 3), expected, strict=True))
        history, history_reads = await room.reads("chat:history", reader, ChatHistoryIn(room_id=room.general))
        assert [c.seen for c in history.result.seen] == expected
        listed, list_reads = await room.reads("chat:seen_by", TEACHER,
                                              SeenByIn(room_id=room.general, message_id=messages[1].id))
        assert listed.result.seen == len(listed.result.readers) == expected[1]
        assert {p.user_id for p in listed.result.readers} == {p.id for i, p in enumerate(room.pupils) if i % 3 >= 1}
        assert listed.result.readers[0].name == room.pupils[1].name and listed.result.readers[0].role == "pupil"
        room.counter.reset()
        counts = (await room.services.seen.tally(room.general)).counts()
        assert [c.seen for c in counts.counts] == expected
        costs[size] = (join_reads, history_reads, list_reads, room.counter.count("read"))
    assert costs[3] == costs[1000]
    assert costs[3][2:] == (4, 2)  # seen_by: space access, the message, the markers, the members; counts: 2


async def test_who_may_list_the_readers(build: Build) -> None:
    room = await build(3)
    messages = await _read_the_room(room)
    ask = SeenByIn(room_id=room.general, message_id=messages[0].id)
    assert (await _code(room.run("chat:seen_by", room.pupils[0], ask)))[0] == "chat.seen_by_hidden"
    assert (await room.run("chat:seen_by", PARTNER, ask)).result.seen == 3
    gone = SeenByIn(room_id=room.general, message_id="msg_nope")
    assert (await _code(room.run("chat:seen_by", TEACHER, gone)))[0] == "message.not_found"
    assert (await _code(room.run("chat:seen_by", VISITOR, SeenByIn(room_id=room.open, message_id="m"))))[0] == \
        "permission.denied"  # visitors never list readers, not even in their own room
    await room.features("names_to_members")
    listed = (await room.run("chat:seen_by", room.pupils[0], ask)).result
    assert [p.name for p in listed.readers] == [p.name for p in room.pupils]
    await room.features("counts_only")
    assert (await _code(room.run("chat:seen_by", TEACHER, ask)))[0] == "chat.seen_by_hidden"
    read = await room.run("chat:read", room.pupils[0], ChatReadIn(room_id=room.general, seq=3))
    assert [type(p).__name__ for p in read.pushes] == ["ToUsers", "SeenMoved"]  # counts still move
    await room.features("off")
    assert (await _code(room.run("chat:seen_by", TEACHER, ask)))[0] == "chat.seen_by_hidden"
    read = await room.run("chat:read", room.pupils[1], ChatReadIn(room_id=room.general, seq=3))
    assert not [p for p in read.pushes if isinstance(p, SeenMoved)]
    sent = await room.run("chat:send", room.pupils[1], ChatSendIn(room_id=room.general, client_id="x", text="hi"))
    assert not [p for p in sent.pushes if isinstance(p, SeenMoved)]
    joined = await room.run("room:join", room.pupils[2], RoomJoinIn(room_id=room.general))
    assert joined.result.seen == [] and joined.result.features.seen_by == "off"


class Sio:
    """What the fan-out emits through."""

    manager = None  # not python-socketio's: the fan-out cannot tell who an emit reaches

    def __init__(self) -> None:
        self.emitted: list[tuple[str, Any, Any]] = []

    async def emit(self, event: str, data: Any, room: Any = None, skip_sid: str | None = None) -> None:
        self.emitted.append((event, data, room))


async def test_markers_moving_at_once_are_one_push_per_room(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "SEEN_BATCH_SECS", 0.05)
    sio = Sio()
    fanout = Fanout(sio)  # type: ignore[arg-type]
    asked: list[str] = []

    def moved(room_id: str) -> SeenMoved:
        async def count() -> Tally:
            asked.append(room_id)
            return Tally(room_id, ())
        return SeenMoved(room_id, count)

    await fanout.deliver([moved("r1") for _ in range(30)] + [moved("r2")])
    await fanout.aclose()
    assert sorted(asked) == ["r1", "r2"]  # counted once per room, not once per reader
    assert sorted((e, d["room_id"]) for e, d, _ in sio.emitted) == [("chat:seen", "r1"), ("chat:seen", "r2")]
    await fanout.deliver([moved("r1")])  # a later move: a batch of its own
    await asyncio.wait_for(fanout.aclose(), 5)
    assert asked.count("r1") == 2


async def test_counts_are_told_only_when_one_above_0_changed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "SEEN_BATCH_SECS", 0.01)
    sio = Sio()
    fanout = Fanout(sio)  # type: ignore[arg-type]

    async def told(*counts: tuple[int, int]) -> list[Any]:
        async def count() -> Tally:
            return Tally("r1", counts)
        before = len(sio.emitted)
        await fanout.deliver([SeenMoved("r1", count)])
        await asyncio.wait_for(fanout.aclose(), 5)
        return [d["counts"] for _, d, _ in sio.emitted[before:]]

    assert await told((1, 2), (2, 0)) == [[{"seq": 1, "seen": 2}, {"seq": 2, "seen": 0}]]
    assert await told((1, 2), (2, 0), (3, 0)) == []  # the author's send: no count above 0 moved
    assert await told((1, 2), (2, 1), (3, 0)) != []  # someone read message 2
    assert await told((2, 1), (3, 0)) == []  # message 1 left the window: its count stays as told
    assert await told((2, 0), (3, 0)) != []  # a reader of message 2 was erased: its count fell to 0


async def test_mentions_are_checked_stored_and_told(build: Build) -> None:
    room = await build(3)
    a, b, c = room.pupils
    send = "chat:send"

    def say(client_id: str, mentions: list[str], teachers: bool = False, where: str = room.general) -> ChatSendIn:
        return ChatSendIn(room_id=where, client_id=client_id, text="@someone", mentions=mentions,
                          mention_teachers=teachers)

    code, data = await _code(room.run(send, a, say("bad", [b.id, "nobody", VISITOR.id])))
    assert code == "chat.mention_invalid" and data["count"] == 2  # not a member; a visitor is never mentioned
    code, data = await _code(room.run(send, TEACHER, say("bad-staff", [a.id, PARTNER.id], where=room.staff)))
    assert code == "chat.mention_invalid" and data["count"] == 1  # a pupil cannot read the staff room
    code, _ = await _code(room.run(send, TEACHER, say("bad-open", [VISITOR.id], where=room.open)))
    assert code == "chat.mention_invalid"  # not even in the visitors' room

    plain, plain_reads = await room.reads(send, a, say("plain", []))
    sent, reads = await room.reads(send, a, say("m1", [b.id, a.id], teachers=True))
    assert reads == plain_reads + 1  # one read of the members, only when the message mentions someone
    message = sent.result
    assert [(m.user_id, m.name, m.role) for m in message.mentions] == [(b.id, b.name, "pupil"), (a.id, a.name, "pupil")]
    assert message.mentions_teachers
    told = [p for p in sent.pushes if isinstance(p, ToUsers) and p.event == "chat:mention"]
    assert len(told) == 1 and set(told[0].user_ids) == {b.id, TEACHER.id, PARTNER.id}  # not the author
    assert told[0].data.message.id == message.id and told[0].data.project_id == room.project_id
    assert len([p for p in sent.pushes if isinstance(p, Notify)]) == 1  # staff were mentioned
    retry = await room.run(send, a, say("m1", [b.id, c.id], teachers=True))
    assert retry.result.id == message.id and retry.pushes == ()  # a retry mentions nobody again
    await room.services.documents.remove_member(room.project_id, b.id)
    retry = await room.run(send, a, say("m1", [b.id], teachers=True))  # b left since: a retry is not refused
    assert retry.result.id == message.id and retry.pushes == ()
    code, _ = await _code(room.run(send, a, say("m1-new", [b.id])))
    assert code == "chat.mention_invalid"
    await room.services.documents.add_member(Member(project_id=room.project_id, user_id=b.id, role="pupil",
                                                    display_name=b.name, added_by=TEACHER.id, joined_at=utcnow()))
    await room.run(send, c, say("m2", [b.id]))
    nobody_staff = await room.run(send, c, say("m3", [b.id]))
    assert not [p for p in nobody_staff.pushes if isinstance(p, Notify)]

    joined = (await room.run("room:join", b, RoomJoinIn(room_id=room.general))).result
    assert joined.mentions == 3  # m1, m2, m3, while away
    await room.run("chat:read", b, ChatReadIn(room_id=room.general, seq=joined.last_seq))
    assert (await room.run("room:join", b, RoomJoinIn(room_id=room.general))).result.mentions == 0
    assert (await room.run("room:join", PARTNER, RoomJoinIn(room_id=room.general))).result.mentions == 1  # @teachers
    assert (await room.run("room:join", c, RoomJoinIn(room_id=room.general))).result.mentions == 0
    assert plain.result.mentions == []


async def test_mentioned_teachers_away_get_one_notice_per_room_an_hour(build: Build) -> None:
    room = await build(2)
    documents, notices = room.services.documents, room.services.mention_notices
    await documents.remember_contact(PARTNER.id, "jonas@school.example", "fr")
    await room.presence.user_connected("sid-claire", TEACHER.id)  # Claire is online: no notice
    a = room.pupils[0]

    async def mention(client_id: str, where: str) -> None:
        sent = await room.run("chat:send", a if where == room.general else TEACHER,
                              ChatSendIn(room_id=where, client_id=client_id, text="a secret about Léa",
                                         mention_teachers=True))
        for push in sent.pushes:
            if isinstance(push, Notify):
                await push.send()

    await mention("n1", room.general)
    assert [(to, subject) for to, subject, _ in room.mails.sent] == [
        ("jonas@school.example", "Twinspace : on vous a mentionné dans « Rivers »")]
    body = room.mails.sent[0][2]
    assert "secret" not in body and a.name not in body and f"project={room.project_id}" in body
    await mention("n2", room.general)
    assert len(room.mails.sent) == 1  # once per teacher and room every MENTION_NOTICE_EVERY_SECS
    await mention("n3", room.staff)  # another room: a notice of its own (Claire wrote it: not her)
    assert [to for to, _, _ in room.mails.sent] == ["jonas@school.example"] * 2
    assert await notices.mentioned((await documents.messages_before(room.general, None, 1))[0], "Rivers", ()) == 0
