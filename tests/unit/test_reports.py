"""ReportService and the word filter's automatic reports, on a real SQLite store with a fixed clock."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import storage
from rooms.chat_models import ChatEditIn, ChatSendIn, Message
from rooms.clock import stamp
from rooms.errors import TwinspaceError
from rooms.forum_models import PostCreateIn, ThreadCreateIn
from rooms.mail_models import MailSendIn
from rooms.models import MemberIn, PartnerIn, ProjectIn, User
from rooms.report_models import (
    MyReport,
    ReportCreateIn,
    ReportDecideIn,
    ReportEscalatedIn,
    ReportListIn,
    ReportMineIn,
    ReportView,
)
from server import settings as config
from server.actions.base import Connection, Context, Later, ToSupport, ToUsers
from server.realtime.events import EVENTS
from server.services import Services
from storage.ephemeral.memory import MemoryPresence, MemoryRateLimiter

TEACHER = User(id="teacher_fr", name="Claire", role="teacher", school="Collège Lyon", country="FR")
PARTNER = User(id="teacher_de", name="Jonas", role="teacher", school="Gymnasium Köln", country="DE")
PUPIL = User(id="pupil_fr", name="Léa", role="pupil", school=TEACHER.school, country="FR")
PUPIL_DE = User(id="pupil_de", name="Mats", role="pupil", school=PARTNER.school, country="DE")
SUPPORT = User(id="support", name="Support", role="support", country="FR")
START = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@dataclass
class World:
    services: Services
    clock: Clock
    db: Path
    project_id: str
    general: str
    staff: str
    forum: str
    messages: list[Message]

    def ctx(self, user: User) -> Context:
        return Context(user, self.services, Connection("sid-1", _NoChannels()))

    def safeguarding(self, mode: str) -> None:
        """Set the project's word filter with a direct store write (the settings' own action is elsewhere)."""
        with sqlite3.connect(self.db) as conn:
            conn.execute("UPDATE projects SET doc = json_set(doc, '$.safeguarding.word_filter', ?) WHERE id = ?",
                         (mode, self.project_id))


class _NoChannels:
    async def subscribe(self, sid: str, channel: str) -> None: ...

    async def unsubscribe(self, sid: str, channel: str) -> None: ...

    def caught_up(self, channel: str, seq: int) -> None: ...


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    db = tmp_path / "reports.db"
    async with (storage.open_documents(f"sqlite://{db}") as documents,
                storage.open_objects(f"file://{tmp_path / 'files'}") as objects):
        async def ping() -> None:
            return None
        clock = Clock()
        settings = config.load({"data_dir": str(tmp_path), "report_rate": "3"}, {})
        services = Services.build(settings, documents, objects, MemoryPresence(), MemoryRateLimiter(), ping,
                                  clock=clock)
        projects = services.projects
        project = await projects.register(TEACHER, ProjectIn(
            title="Rivers", subject="Geography", age_min=12, age_max=14, languages=["en", "fr", "de"],
            partners=[PartnerIn(user_id=PARTNER.id, display_name=PARTNER.name, school=PARTNER.school,
                                country="DE")]))
        await projects.review(SUPPORT, project.id, approve=True)
        for pupil, adder in ((PUPIL, TEACHER), (PUPIL_DE, PARTNER)):
            await projects.add_member(adder, project.id, MemberIn(role="pupil", user_id=pupil.id,
                                                                  display_name=pupil.name))
        spaces = {s.default_key: s.id for s in await projects.list_spaces(TEACHER, project.id)}
        messages = []
        for n in range(8):
            author = PUPIL_DE if n == 4 else PUPIL
            message, _ = await services.chat.send(author, ChatSendIn(room_id=spaces["general"], client_id=f"c{n}",
                                                                     text=f"message {n}"))
            messages.append(message)
        yield World(services, clock, db, project.id, spaces["general"], spaces["staff"], spaces["forum"], messages)


def _report_on(w: World, n: int = 4, **kw: object) -> ReportCreateIn:
    return ReportCreateIn(kind="message", item_id=w.messages[n].id, room_id=w.general,
                          reason=kw.pop("reason", "bullying"), **kw)  # type: ignore[arg-type]


async def _code(call: object) -> str:
    try:
        await call  # type: ignore[misc]
    except TwinspaceError as exc:
        return exc.code
    raise AssertionError("no error")


async def test_a_report_keeps_the_message_and_its_context_as_they_were(world: World) -> None:
    reports, chat = world.services.reports, world.services.chat
    report = await reports.create(PUPIL, _report_on(world, note="she keeps writing this"))
    assert report.item.text == "message 4" and report.item.author_id == PUPIL_DE.id
    assert [s.text for s in report.context] == [f"message {n}" for n in (0, 1, 2, 3, 5, 6, 7)]
    assert (report.reporter_id, report.reporter_name, report.reported_id) == (PUPIL.id, "Léa", PUPIL_DE.id)
    assert report.created_at == stamp(START) and report.escalated_at is None
    await chat.edit(PUPIL_DE, world.general, world.messages[4].id, "nothing to see")
    await chat.delete(PUPIL_DE, world.general, world.messages[4].id)
    shown = await reports.get(TEACHER, report.id)
    assert shown.item.text == "message 4" and shown.reporter_name == "Léa"
    assert await _code(reports.create(PUPIL_DE, _report_on(world, 4))) == "report.not_reportable"  # deleted now


async def test_who_sees_what(world: World) -> None:
    report = await world.services.reports.create(PUPIL_DE, _report_on(world, 3))  # Léa's message
    assert ReportView.of(report, PUPIL.id).reporter_id is None  # the reported person never learns who
    assert ReportView.of(report, PUPIL.id).reporter_name is None
    assert ReportView.of(report, TEACHER.id).reporter_id == PUPIL_DE.id
    mine = MyReport.of(report)
    assert set(mine.model_dump()) == {"id", "project_id", "item_kind", "item_id", "reason", "state", "created_at",
                                      "handled_at"}
    page = await world.services.reports.mine(PUPIL_DE, ReportMineIn())
    assert [r.id for r in page.reports] == [report.id]
    assert await _code(world.services.reports.get(PUPIL, report.id)) == "permission.denied"
    assert await _code(world.services.reports.queue(PUPIL, ReportListIn(project_id=world.project_id))) == \
        "permission.denied"
    assert await _code(world.services.reports.get(SUPPORT, report.id)) == "report.not_found"  # not escalated


async def test_one_report_per_person_per_item_and_a_rate_limit(world: World) -> None:
    reports = world.services.reports
    await reports.create(PUPIL, _report_on(world, 4))
    assert await _code(reports.create(PUPIL, _report_on(world, 4, reason="spam"))) == "report.duplicate"
    await reports.create(PUPIL_DE, _report_on(world, 3))  # someone else, another item
    await reports.create(PUPIL_DE, _report_on(world, 2))
    await reports.create(PUPIL_DE, _report_on(world, 1))
    assert await _code(reports.create(PUPIL_DE, _report_on(world, 0))) == "rate.limited"  # 3 per window here
    assert await _code(reports.create(PUPIL, _report_on(world, 0))) != "rate.limited"  # the duplicate was not counted


async def test_what_cannot_be_reported(world: World) -> None:
    reports = world.services.reports
    unknown = ReportCreateIn(kind="message", item_id="msg_none", room_id=world.general, reason="spam")
    assert await _code(reports.create(PUPIL, unknown)) == "message.not_found"
    staff_room = ReportCreateIn(kind="message", item_id=world.messages[0].id, room_id=world.staff, reason="spam")
    assert await _code(reports.create(PUPIL, staff_room)) == "permission.denied"  # a room pupils may not read
    assert await _code(reports.create(PUPIL, _report_on(world, 0))) == "report.not_reportable"  # one's own
    other_mail = ReportCreateIn(kind="mail", item_id="mail_none", reason="spam")
    assert await _code(reports.create(PUPIL, other_mail)) == "mail.not_found"


async def test_posts_threads_mail_and_files_are_reported_with_their_context(world: World) -> None:
    s = world.services
    thread, _ = await s.forum.create_thread(PUPIL, ThreadCreateIn(forum_id=world.forum, title="Our river",
                                                                  body="The Rhône"))
    posts = [(await s.forum.create_post(PUPIL_DE if n == 1 else PUPIL,
                                        PostCreateIn(thread_id=thread.id, body=f"post {n}")))[0] for n in range(3)]
    on_post = await s.reports.create(PUPIL, ReportCreateIn(kind="post", item_id=posts[1].id, reason="spam"))
    assert on_post.item.text == "post 1"
    assert [c.kind for c in on_post.context] == ["thread", "post", "post"]
    assert on_post.context[0].title == "Our river"
    on_thread = await s.reports.create(PUPIL_DE, ReportCreateIn(kind="thread", item_id=thread.id, reason="other"))
    assert on_thread.item.title == "Our river" and len(on_thread.context) == 3
    mail, _ = await s.mail.send(PUPIL_DE, MailSendIn(project_id=world.project_id, to=[PUPIL.id], subject="Hi",
                                                     body="a mean mail"))
    on_mail = await s.reports.create(PUPIL, ReportCreateIn(kind="mail", item_id=mail.id, reason="bullying"))
    assert (on_mail.item.title, on_mail.item.text, on_mail.context) == ("Hi", "a mean mail", [])

    async def chunks() -> AsyncIterator[bytes]:
        yield b"some notes"
    record = await s.files.upload(PUPIL_DE, world.project_id, "notes.txt", chunks(), None)
    assert await _code(s.reports.create(PUPIL, ReportCreateIn(kind="file", item_id=record.id,
                                                              reason="spam"))) == "file.not_found"  # not shared
    await s.chat.send(PUPIL_DE, ChatSendIn(room_id=world.general, client_id="with-file", text="look",
                                           attachments=[record.id]))
    on_file = await s.reports.create(PUPIL, ReportCreateIn(kind="file", item_id=record.id, reason="spam"))
    assert on_file.item.title == "notes.txt" and on_file.item.attachments[0].id == record.id


async def test_a_decision_is_audited_and_told_to_the_reporter(world: World) -> None:
    reports = world.services.reports
    report = await reports.create(PUPIL, _report_on(world, 4))
    world.clock.now = START + timedelta(minutes=5)
    outcome = await EVENTS["report:decide"].run(world.ctx(TEACHER), ReportDecideIn(
        report_id=report.id, state="resolved", action="hidden", note="talked to Mats"))
    decided: ReportView = outcome.result
    assert decided.state == "resolved" and decided.resolution is not None
    assert (decided.resolution.action, decided.resolution.by, decided.resolution.at) == \
        ("hidden", TEACHER.id, stamp(world.clock.now))
    handled = [p for p in outcome.pushes if isinstance(p, ToUsers) and p.event == "report:handled"]
    assert handled[0].user_ids == (PUPIL.id,)
    assert handled[0].data.handled_at == stamp(world.clock.now) and "note" not in handled[0].data.model_dump()
    entries = await world.services.documents.list_audit(world.project_id, None, 10, action="report.resolve")
    assert [(e.action, e.before, e.after) for e, _ in entries] == [
        ("report.resolve", {"state": "open"}, {"state": "resolved", "action": "hidden"})]
    again = ReportDecideIn(report_id=report.id, state="dismissed")
    assert await _code(reports.decide(PARTNER, again)) == "report.bad_state"
    assert await _code(reports.decide(PUPIL_DE, again)) == "permission.denied"
    queue = await reports.queue(TEACHER, ReportListIn(project_id=world.project_id, state="resolved"))
    assert [r.id for r in queue.reports] == [report.id]


async def test_escalation_on_the_clock_and_when_serious(world: World) -> None:
    reports = world.services.reports
    waiting = await reports.create(PUPIL, _report_on(world, 4))
    serious = await reports.create(PUPIL_DE, _report_on(world, 3, serious=True))
    assert serious.escalated_at == stamp(START)  # at once
    outcome = await EVENTS["report:create"].run(world.ctx(PUPIL_DE), _report_on(world, 2, serious=True))
    later = [p for p in outcome.pushes if isinstance(p, Later)]
    told = await later[0].make()
    assert [type(p).__name__ for p in told] == ["ToUsers", "ToSupport"]
    assert sorted(told[0].user_ids) == sorted([TEACHER.id, PARTNER.id])  # type: ignore[union-attr]
    world.clock.now = START + timedelta(hours=23)
    assert await reports.escalate_due() == []
    world.clock.now = START + timedelta(days=1, seconds=1)
    claimed = await reports.escalate_due()
    assert [r.id for r in claimed] == [waiting.id] and claimed[0].escalated_at == stamp(world.clock.now)
    assert await reports.escalate_due() == []
    page = await reports.escalated(SUPPORT, ReportEscalatedIn())
    assert len(page.reports) == 3 and page.reports[-1].id == waiting.id
    assert await _code(reports.escalated(TEACHER, ReportEscalatedIn())) == "permission.denied"
    shown = await reports.get(SUPPORT, waiting.id)
    assert shown.reporter_name == "Léa"
    support_queue = await reports.queue(SUPPORT, ReportListIn(project_id=world.project_id))
    assert len(support_queue.reports) == 3
    decided = await reports.decide(SUPPORT, ReportDecideIn(report_id=waiting.id, state="dismissed", note="ok"))
    assert decided.state == "dismissed"


async def test_the_word_filter_blocks_or_flags_pupils_writing(world: World) -> None:
    send = EVENTS["chat:send"]
    world.safeguarding("block")
    with pytest.raises(TwinspaceError) as refused:
        await send.run(world.ctx(PUPIL), ChatSendIn(room_id=world.general, client_id="bad-1", text="quel c0nnard"))
    assert refused.value.code == "content.blocked"
    assert await world.services.documents.find_message(world.general, PUPIL.id, "bad-1") is None  # nothing stored
    teacher = await send.run(world.ctx(TEACHER), ChatSendIn(room_id=world.general, client_id="t-1",
                                                            text="we never say connard here"))
    assert teacher.result.text == "we never say connard here"  # staff are not filtered

    world.safeguarding("flag")
    outcome = await send.run(world.ctx(PUPIL), ChatSendIn(room_id=world.general, client_id="bad-2",
                                                          text="du Arschloch"))
    assert outcome.result.text == "du Arschloch"  # stored and sent
    # Filed after the answer (the last push): the answer and the room's push wait for no report.
    assert [type(p).__name__ for p in outcome.pushes] == ["ToRoom", "ToUsers", "SeenMoved", "Later"]
    queue = await world.services.reports.queue(TEACHER, ReportListIn(project_id=world.project_id))
    assert queue.reports == []
    (announce,) = await outcome.pushes[-1].make()
    queue = await world.services.reports.queue(TEACHER, ReportListIn(project_id=world.project_id))
    (auto,) = queue.reports
    assert auto.automatic and auto.reporter_id is None and auto.reason == "inappropriate"
    assert auto.item.id == outcome.result.id and auto.reported_id == PUPIL.id and "arschloch" in auto.note
    assert isinstance(announce, Later)
    created = [p for p in await announce.make() if isinstance(p, ToUsers) and p.event == "report:created"]
    assert sorted(created[0].user_ids) == sorted([TEACHER.id, PARTNER.id])
    retry = await send.run(world.ctx(PUPIL), ChatSendIn(room_id=world.general, client_id="bad-2",
                                                        text="du Arschloch"))
    assert not [p for p in retry.pushes if isinstance(p, ToSupport)]
    assert await retry.pushes[-1].make() == []  # reported once
    edited = await EVENTS["chat:edit"].run(world.ctx(PUPIL), ChatEditIn(room_id=world.general,
                                                                        message_id=outcome.result.id,
                                                                        text="du Arsch1och!"))
    assert await edited.pushes[-1].make() == []  # the message has its report already
    assert len((await world.services.reports.queue(TEACHER, ReportListIn(project_id=world.project_id))).reports) == 1

    world.safeguarding("off")
    clean = await send.run(world.ctx(PUPIL), ChatSendIn(room_id=world.general, client_id="bad-3", text="connard"))
    assert [type(p).__name__ for p in clean.pushes] == ["ToRoom", "ToUsers", "SeenMoved"]  # no report


async def test_the_lifespans_escalation_sweep_tells_the_support_officers(world: World) -> None:
    from server.lifespan import escalation

    class Recording:
        def __init__(self) -> None:
            self.pushes: list[object] = []

        async def deliver(self, pushes: list[object]) -> None:
            self.pushes += pushes

    report = await world.services.reports.create(PUPIL, _report_on(world, 4))
    fanout = Recording()
    sweep = escalation(world.services, fanout)  # type: ignore[arg-type]
    await sweep()
    assert fanout.pushes == []
    world.clock.now = START + timedelta(days=2)
    await sweep()
    await sweep()  # claimed once
    assert [(p.event, p.data.id) for p in fanout.pushes] == [("report:escalated", report.id)]  # type: ignore[attr-defined]


async def test_a_deleted_post_cannot_be_reported(world: World) -> None:
    s = world.services
    thread, _ = await s.forum.create_thread(PUPIL, ThreadCreateIn(forum_id=world.forum, title="T", body="B"))
    post, _ = await s.forum.create_post(PUPIL_DE, PostCreateIn(thread_id=thread.id, body="gone soon"))
    await s.forum.delete_post(PUPIL_DE, post.id)
    assert await _code(s.reports.create(PUPIL, ReportCreateIn(kind="post", item_id=post.id,
                                                              reason="spam"))) == "report.not_reportable"
    assert await _code(s.reports.create(PUPIL, ReportCreateIn(kind="thread", item_id="thr_none",
                                                              reason="spam"))) == "forum.thread_not_found"
