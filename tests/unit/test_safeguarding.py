"""Who may write now (rooms/safeguarding.py), with the time set by the test, over a real SQLite store.

The services are the server's own (``Services.build``) on a SQLite file; the clock is a
settable one, and so is the rate limiter's, so chat hours, mute ends and slow mode are
tested by moving the time, never by waiting.
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import storage
from rooms.audit_models import AuditEntry
from rooms.chat_models import ChatHistoryIn, ChatSendIn
from rooms.errors import Forbidden, InvalidRequest, NotFound, RateLimited, TwinspaceError
from rooms.forum_models import PostCreateIn, PostListIn, ThreadCreateIn
from rooms.mail_models import MailSendIn
from rooms.models import MemberIn, PartnerIn, ProjectIn, SpaceIn, User
from rooms.restriction_models import MuteIn, RoomConfigureIn, SafeguardIn, UnmuteIn
from rooms.safeguarding import is_open, next_opening
from rooms.safeguarding_models import ChatHours
from server import settings as config
from server.services import Services
from storage.ephemeral.memory import MemoryPresence

TEACHER = User(id="teacher_fr", name="Claire", role="teacher", school="Collège Lyon", country="FR")
PARTNER = User(id="teacher_de", name="Jonas", role="teacher", school="Gymnasium Köln", country="DE")
PUPIL = User(id="pupil_fr", name="Léa", role="pupil", school=TEACHER.school, country="FR")
SUPPORT = User(id="support", name="Support", role="support", country="FR")

TUESDAY_NOON_UTC = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)  # 13:00 in Paris (UTC+1 in winter)
SCHOOL_DAYS = ChatHours(timezone="Europe/Paris", days=[1, 2, 3, 4, 5], start="08:00", end="17:00")


SETUP_ACTIONS = {"project.register", "project.validate", "member.add", "space.create"}


async def _log(world: World) -> list[tuple[AuditEntry, int]]:
    """The log's entries newest first, without those of the project's setting up."""
    entries = await world.services.documents.list_audit(world.project_id, None, 50)
    return [(e, order) for e, order in entries if e.action not in SETUP_ACTIONS][:10]



class Clock:
    """A clock the test moves."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class ClockedLimiter:
    """:class:`rooms.ports.RateLimiter` as the memory one, on the test's clock."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._log: dict[str, deque[float]] = {}

    async def hit(self, key: str, limit: int, window_secs: float) -> float:
        now = self._clock().timestamp()
        log = self._log.setdefault(key, deque())
        while log and log[0] <= now - window_secs:
            log.popleft()
        if len(log) >= limit:
            return log[0] + window_secs - now
        log.append(now)
        return 0.0

    async def refund(self, key: str) -> None:
        if self._log.get(key):
            self._log[key].pop()

    async def forget(self, key: str) -> None:
        self._log.pop(key, None)


@dataclass
class World:
    services: Services
    clock: Clock
    project_id: str
    general: str
    other: str
    forum: str
    n: int = 0

    async def send(self, user: User, room: str | None = None, client_id: str | None = None,
                   **extra: object) -> tuple[str, bool]:
        self.n += 1
        message, created = await self.services.chat.send(user, ChatSendIn(
            room_id=room or self.general, client_id=client_id or f"c{self.n}", text="hello", **extra))  # type: ignore[arg-type]
        return message.id, created

    async def refused(self, user: User, room: str | None = None, client_id: str | None = None) -> TwinspaceError:
        with pytest.raises(TwinspaceError) as caught:
            await self.send(user, room, client_id)
        return caught.value

    async def mute(self, minutes: int, room_id: str | None = None, by: User = TEACHER) -> None:
        await self.services.safeguarding.mute(by, MuteIn(project_id=self.project_id, user_id=PUPIL.id,
                                                         minutes=minutes, room_id=room_id))


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    clock = Clock(TUESDAY_NOON_UTC)
    async with (storage.open_documents(f"sqlite://{tmp_path / 'safe.db'}") as documents,
                storage.open_objects(f"file://{tmp_path / 'files'}") as objects):
        async def fanout_ping() -> None:
            return None

        services = Services.build(config.load({"data_dir": str(tmp_path)}, {}), documents, objects, MemoryPresence(),
                                  ClockedLimiter(clock), fanout_ping, clock=clock)
        projects = services.projects
        project = await projects.register(TEACHER, ProjectIn(
            title="Rivers", subject="Geography", age_min=12, age_max=14, languages=["en", "fr"],
            partners=[PartnerIn(user_id=PARTNER.id, display_name=PARTNER.name, school=PARTNER.school,
                                country="DE")]))
        await projects.review(SUPPORT, project.id, approve=True)
        await projects.add_member(TEACHER, project.id, MemberIn(role="pupil", user_id=PUPIL.id, display_name="Léa"))
        spaces = {s.default_key: s.id for s in await projects.list_spaces(TEACHER, project.id)}
        other = await projects.create_space(TEACHER, project.id, SpaceIn(name="Second room"))
        yield World(services, clock, project.id, spaces["general"], other.id, spaces["forum"])


async def _hours(w: World, hours: ChatHours | None) -> None:
    await w.services.safeguarding.safeguard(TEACHER, SafeguardIn(project_id=w.project_id, chat_hours=hours))


# ---- chat hours -----------------------------------------------------------------------------


def test_chat_hours_are_read_in_the_projects_time_zone() -> None:
    paris_0730 = datetime(2026, 12, 1, 6, 30, tzinfo=UTC)  # Tuesday 07:30 in Paris
    assert not is_open(SCHOOL_DAYS, paris_0730)
    assert next_opening(SCHOOL_DAYS, paris_0730).isoformat() == "2026-12-01T08:00:00+01:00"
    assert is_open(SCHOOL_DAYS, paris_0730 + timedelta(minutes=30))  # 08:00: start is inclusive
    assert not is_open(SCHOOL_DAYS, datetime(2026, 12, 1, 16, 0, tzinfo=UTC))  # 17:00: end is exclusive
    # Auckland is a day ahead: Sunday evening in UTC is Monday morning there.
    auckland = ChatHours(timezone="Pacific/Auckland", days=[1], start="08:00", end="12:00")
    sunday_utc = datetime(2026, 12, 6, 20, 0, tzinfo=UTC)  # Monday 09:00 in Auckland (UTC+13)
    assert sunday_utc.isoweekday() == 7 and is_open(auckland, sunday_utc)
    assert not is_open(SCHOOL_DAYS, sunday_utc)


def test_the_chat_opens_again_on_the_next_school_day() -> None:
    friday_evening = datetime(2026, 12, 4, 17, 30, tzinfo=UTC)  # Friday 18:30 in Paris
    assert next_opening(SCHOOL_DAYS, friday_evening).isoformat() == "2026-12-07T08:00:00+01:00"  # Monday
    saturday = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)
    assert next_opening(SCHOOL_DAYS, saturday).isoformat() == "2026-12-07T08:00:00+01:00"
    wednesdays = ChatHours(timezone="Europe/Paris", days=[3], start="14:00", end="15:00")
    wednesday_late = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)  # Wednesday 16:00: a week to wait
    assert next_opening(wednesdays, wednesday_late).isoformat() == "2026-12-09T14:00:00+01:00"
    summer = datetime(2026, 6, 5, 16, 0, tzinfo=UTC)  # Friday 18:00 in Paris, summer time
    assert next_opening(SCHOOL_DAYS, summer).isoformat() == "2026-06-08T08:00:00+02:00"


async def test_outside_chat_hours_pupils_read_and_teachers_write(world: World) -> None:
    await _hours(world, SCHOOL_DAYS)
    world.clock.now = datetime(2026, 12, 4, 17, 30, tzinfo=UTC)  # Friday 18:30 in Paris
    refused = await world.refused(PUPIL)
    assert isinstance(refused, Forbidden) and refused.code == "chat.closed_hours"
    assert refused.data["opens_at"] == "2026-12-07T08:00+01:00"
    assert (await world.send(TEACHER))[1]
    await world.services.chat.history(PUPIL, ChatHistoryIn(room_id=world.general))  # reading stays open
    with pytest.raises(Forbidden, match="chat.closed_hours"):
        await world.services.chat.typing(PUPIL, world.general)
    # Forums are not chat: chat hours do not close them.
    await world.services.forum.create_thread(PUPIL, ThreadCreateIn(forum_id=world.forum, title="Weekend", body="!"))
    world.clock.now = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)  # Monday 08:00 in Paris
    assert (await world.send(PUPIL))[1]
    await _hours(world, None)  # chat hours off
    world.clock.now = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)  # Sunday night
    assert (await world.send(PUPIL))[1]


async def test_the_write_state_tells_the_pupil_when_the_chat_opens(world: World) -> None:
    await _hours(world, SCHOOL_DAYS)
    world.clock.now = datetime(2026, 12, 4, 17, 30, tzinfo=UTC)
    chat = world.services.chat
    room, access = await chat.room(PUPIL, world.general)
    state = (await chat.join(PUPIL, "sid1", room, access, None)).result.write_state
    assert (state.can_write, state.reason, state.opens_at) == (False, "chat.closed_hours", "2026-12-07T08:00+01:00")
    room, access = await chat.room(TEACHER, world.general)
    assert (await chat.join(TEACHER, "sid2", room, access, None)).result.write_state.can_write


# ---- mutes --------------------------------------------------------------------------------


async def test_a_mute_holds_until_it_ends(world: World) -> None:
    await world.mute(10)
    refused = await world.refused(PUPIL)
    assert isinstance(refused, Forbidden) and refused.code == "chat.muted"
    assert refused.data["until"] == "2026-12-01 12:10 (UTC)"  # no chat hours: the project reads UTC
    assert refused.data["ends_at"] == "2026-12-01T12:10:00.000Z"
    await _hours(world, ChatHours(timezone="Europe/Paris", days=[1, 2, 3, 4, 5, 6, 7], start="00:00", end="23:59"))
    assert (await world.refused(PUPIL)).data["until"] == "2026-12-01 13:10 (Europe/Paris)"  # local time
    # Project-wide: every room and the forum; not mail, so that a muted pupil can still ask for help.
    assert (await world.refused(PUPIL, world.other)).code == "chat.muted"
    with pytest.raises(Forbidden, match="chat.muted"):
        await world.services.forum.create_thread(PUPIL, ThreadCreateIn(forum_id=world.forum, title="T", body="b"))
    await world.services.mail.send(PUPIL, MailSendIn(project_id=world.project_id, to=[TEACHER.id], subject="Help",
                                                     body="Someone is unkind to me"))
    with pytest.raises(Forbidden, match="chat.muted"):
        await world.services.chat.typing(PUPIL, world.general)
    world.clock.advance(minutes=10)  # it has ended
    assert (await world.send(PUPIL))[1]


async def test_a_room_mute_holds_in_that_room_only(world: World) -> None:
    await world.mute(30, world.general)
    assert (await world.refused(PUPIL)).code == "chat.muted"
    assert (await world.send(PUPIL, world.other))[1]
    await world.services.forum.create_thread(PUPIL, ThreadCreateIn(forum_id=world.forum, title="T", body="b"))
    state = await world.services.safeguarding.unmute(TEACHER, UnmuteIn(project_id=world.project_id,
                                                                        user_id=PUPIL.id, room_id=world.general))
    assert state.mutes == []
    assert (await world.send(PUPIL))[1]


async def test_a_forum_mute_stops_posts(world: World) -> None:
    thread, _ = await world.services.forum.create_thread(PUPIL, ThreadCreateIn(forum_id=world.forum, title="T",
                                                                               body="b"))
    await world.mute(5, world.forum)
    with pytest.raises(Forbidden, match="chat.muted"):
        await world.services.forum.create_post(PUPIL, PostCreateIn(thread_id=thread.id, body="reply"))
    assert (await world.send(PUPIL))[1]  # chat is another room


async def test_mutes_replace_and_drop_ended_ones_and_are_audited(world: World) -> None:
    await world.mute(5)
    await world.mute(60, world.general)
    world.clock.advance(minutes=6)  # the project-wide mute has ended
    await world.mute(20, world.general)  # replaces the room's; the ended one is dropped
    member = await world.services.documents.get_member(world.project_id, PUPIL.id)
    assert member is not None and [(m.room_id, m.until) for m in member.mutes] == [
        (world.general, "2026-12-01T12:26:00.000Z")]
    entries = [e for e, _ in await _log(world)]
    assert [e.action for e in entries] == ["member.mute"] * 3
    assert entries[0].target_id == PUPIL.id and entries[0].actor_id == TEACHER.id
    assert entries[0].after == {"mutes": [m.model_dump(mode="json") for m in member.mutes]}


async def test_only_pupils_are_muted_and_only_by_staff(world: World) -> None:
    with pytest.raises(InvalidRequest, match="member.not_mutable"):
        await world.services.safeguarding.mute(TEACHER, MuteIn(project_id=world.project_id, user_id=PARTNER.id,
                                                               minutes=5))
    with pytest.raises(Forbidden, match="permission.denied"):
        await world.mute(5, by=PUPIL)
    with pytest.raises(NotFound, match="room.not_found"):
        await world.mute(5, room_id="spc_elsewhere")
    assert await _log(world) == []


# ---- read-only rooms and slow mode ---------------------------------------------------------------


async def _rules(w: World, room: str, **rules: object) -> None:
    await w.services.safeguarding.configure(TEACHER, RoomConfigureIn(room_id=room, **rules))  # type: ignore[arg-type]


async def test_a_read_only_room_is_for_teachers(world: World) -> None:
    await _rules(world, world.general, read_only=True)
    assert (await world.refused(PUPIL)).code == "chat.read_only"
    assert (await world.send(TEACHER))[1]
    await _rules(world, world.forum, read_only=True)
    with pytest.raises(Forbidden, match="chat.read_only"):
        await world.services.forum.create_thread(PUPIL, ThreadCreateIn(forum_id=world.forum, title="T", body="b"))
    await world.services.forum.create_thread(TEACHER, ThreadCreateIn(forum_id=world.forum, title="News", body="b"))
    entries = [e for e, _ in await _log(world)]
    assert [(e.action, e.target_id, e.after) for e in entries] == [
        ("space.configure", world.forum, {"read_only": True}), ("space.configure", world.general, {"read_only": True})]


async def test_slow_mode_spaces_a_pupils_messages(world: World) -> None:
    await _rules(world, world.general, slow_mode_secs=30)
    first, _ = await world.send(PUPIL, client_id="first")
    world.clock.advance(seconds=10)
    refused = await world.refused(PUPIL)
    assert isinstance(refused, RateLimited) and refused.code == "chat.slow_mode"
    assert refused.data == {"retry_after_secs": 20}
    assert await world.send(PUPIL, client_id="first") == (first, False)  # a retry is not refused
    assert (await world.send(PUPIL, world.other))[1]  # per room
    assert (await world.send(TEACHER))[1] and (await world.send(TEACHER))[1]  # teachers are never slowed
    world.clock.advance(seconds=20)
    assert (await world.send(PUPIL))[1]
    world.clock.advance(seconds=30)
    with pytest.raises(InvalidRequest):  # not stored: it does not count
        await world.send(PUPIL, reply_to="msg_none")
    assert (await world.send(PUPIL))[1]


# ---- hidden messages and posts ----------------------------------------------------------------


async def _upload(w: World, user: User) -> str:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"our notes"
    record = await w.services.files.upload(user, w.project_id, "notes.txt", chunks(), None)
    return record.id


async def test_a_hidden_message_is_redacted_for_pupils_and_whole_for_teachers(world: World) -> None:
    file_id = await _upload(world, PUPIL)
    message, _ = await world.services.chat.send(PUPIL, ChatSendIn(room_id=world.general, client_id="h",
                                                                  text="unkind", attachments=[file_id]))
    await world.services.files.readable(TEACHER, file_id)
    hidden = await world.services.chat.hide(TEACHER, world.general, message.id, True)
    assert hidden.hidden and hidden.text == "unkind" and hidden.hidden_by == TEACHER.id
    seen = (await world.services.chat.history(PUPIL, ChatHistoryIn(room_id=world.general))).messages[-1]
    assert (seen.seq, seen.hidden, seen.text, seen.attachments) == (message.seq, True, None, [])
    whole = (await world.services.chat.history(TEACHER, ChatHistoryIn(room_id=world.general))).messages[-1]
    assert whole == hidden
    with pytest.raises(NotFound):  # its file is hidden with it from the other members
        await world.services.files.readable(PARTNER.model_copy(update={"role": "pupil"}), file_id)
    await world.services.files.readable(TEACHER, file_id)
    with pytest.raises(Forbidden):
        await world.services.chat.hide(PUPIL, world.general, message.id, False)
    shown = await world.services.chat.hide(TEACHER, world.general, message.id, False)
    assert shown.text == "unkind" and not shown.hidden
    actions = [e.action for e, _ in await _log(world)]
    assert actions == ["message.unhide", "message.hide"]


async def test_a_hidden_post_is_redacted_in_the_post_list(world: World) -> None:
    forum = world.services.forum
    thread, _ = await forum.create_thread(TEACHER, ThreadCreateIn(forum_id=world.forum, title="T", body="b"))
    post, _ = await forum.create_post(PUPIL, PostCreateIn(thread_id=thread.id, body="unkind"))
    hidden, _ = await forum.hide_post(TEACHER, post.id, True)
    assert hidden.hidden and hidden.body == "unkind"
    seen = (await forum.list_posts(PUPIL, PostListIn(thread_id=thread.id))).posts[0]
    assert (seen.seq, seen.body, seen.body_html, seen.hidden) == (post.seq, None, None, True)
    assert (await forum.list_posts(TEACHER, PostListIn(thread_id=thread.id))).posts[0] == hidden


async def test_a_moderators_deletions_are_audited_and_an_authors_are_not(world: World) -> None:
    chat, forum, files = world.services.chat, world.services.forum, world.services.files
    own, _ = await world.send(PUPIL)
    await chat.delete(PUPIL, world.general, own)
    theirs, _ = await world.send(PUPIL)
    await chat.delete(TEACHER, world.general, theirs)
    thread, _ = await forum.create_thread(PUPIL, ThreadCreateIn(forum_id=world.forum, title="T", body="b"))
    post, _ = await forum.create_post(PUPIL, PostCreateIn(thread_id=thread.id, body="p"))
    mine, _ = await forum.create_post(PUPIL, PostCreateIn(thread_id=thread.id, body="mine"))
    await forum.delete_post(PUPIL, mine.id)
    await forum.delete_post(TEACHER, post.id)
    await forum.delete_thread(TEACHER, thread.id)
    own_file = await _upload(world, PUPIL)
    await files.delete(PUPIL, own_file)
    shared = await _upload(world, PUPIL)
    await world.services.chat.send(PUPIL, ChatSendIn(room_id=world.general, client_id="f", text="f",
                                                     attachments=[shared]))
    await files.delete(TEACHER, shared)
    entries = [e for e, _ in await _log(world)][::-1]
    assert [(e.action, e.target_id) for e in entries] == [
        ("message.delete", theirs), ("post.delete", post.id), ("thread.delete", thread.id), ("file.delete", shared)]
    assert all(e.actor_id == TEACHER.id for e in entries)


# ---- settings ------------------------------------------------------------------------------


async def test_safeguarding_settings_change_in_part_and_members_see_them_without_the_words(world: World) -> None:
    service = world.services.safeguarding
    rules = await service.safeguard(TEACHER, SafeguardIn(project_id=world.project_id, chat_hours=SCHOOL_DAYS,
                                                         custom_words=["nul", "nul", "bête"]))
    assert rules.chat_hours == SCHOOL_DAYS and rules.custom_words == ["nul", "bête"] and rules.word_filter == "flag"
    rules = await service.safeguard(TEACHER, SafeguardIn(project_id=world.project_id, word_filter="block"))
    assert (rules.chat_hours, rules.word_filter, rules.custom_words) == (SCHOOL_DAYS, "block", ["nul", "bête"])
    assert (await service.settings(PUPIL, world.project_id)).custom_words == []
    assert (await service.settings(TEACHER, world.project_id)) == rules
    rules = await service.safeguard(TEACHER, SafeguardIn(project_id=world.project_id, chat_hours=None))
    assert rules.chat_hours is None and rules.word_filter == "block"
    with pytest.raises(Forbidden):
        await service.safeguard(PUPIL, SafeguardIn(project_id=world.project_id, word_filter="off"))
    entries = [e for e, _ in await _log(world)]
    assert [e.action for e in entries] == ["project.safeguard"] * 3
    assert entries[0].before == {"chat_hours": SCHOOL_DAYS.model_dump(mode="json")}
    assert entries[0].after == {"chat_hours": None}
    staff, others = await service.audience(world.project_id)
    assert sorted(staff) == sorted([TEACHER.id, PARTNER.id]) and others == [PUPIL.id]


async def test_a_change_to_what_is_already_so_stores_and_records_nothing(world: World) -> None:
    await _rules(world, world.general, slow_mode_secs=10)
    again = await world.services.safeguarding.configure(TEACHER, RoomConfigureIn(room_id=world.general,
                                                                                 slow_mode_secs=10))
    assert again.slow_mode_secs == 10
    rules = await world.services.safeguarding.safeguard(TEACHER, SafeguardIn(project_id=world.project_id,
                                                                             word_filter="flag"))
    assert rules.word_filter == "flag"
    with pytest.raises(InvalidRequest):
        await world.services.safeguarding.configure(TEACHER, RoomConfigureIn(room_id=world.general))
    assert [e.action for e, _ in await _log(world)] == [
        "space.configure"]
