"""Supervised mail, mail moderation and the audit log, decided by the domain on a real SQLite store.

The mail policy is set by writing the stored project directly (``tests/support/direct.py``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

import storage
from rooms.audit_models import AuditListIn
from rooms.errors import Forbidden, InvalidRequest, NotFound
from rooms.mail_models import MailConversationIn, MailRemoveIn, MailSendIn, MailSupervisedIn
from rooms.models import MemberIn, PartnerIn, ProjectIn, ProjectSettingsIn, User
from rooms.restriction_models import SafeguardIn
from rooms.safeguarding_models import MailPolicy
from server import settings as config
from server.services import Services
from storage.ephemeral.memory import MemoryPresence, MemoryRateLimiter

TEACHER = User(id="teacher_fr", name="Claire", role="teacher", school="Collège Lyon", country="FR")
PARTNER = User(id="teacher_de", name="Jonas", role="teacher", school="Gymnasium Köln", country="DE")
COLLEAGUE = User(id="teacher_fr2", name="Marc", role="teacher", school="Collège Lyon", country="FR")
PUPIL = User(id="pupil_fr", name="Léa", role="pupil")
PUPIL2 = User(id="pupil_fr2", name="Hugo", role="pupil")
PUPIL_DE = User(id="pupil_de", name="Mats", role="pupil")
VISITOR = User(id="parent", name="Parent", role="visitor")
SUPPORT = User(id="support", name="Support", role="support", country="FR")
NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


@dataclass
class World:
    services: Services
    db: Path
    project_id: str

    async def policy(self, policy: MailPolicy) -> None:
        """Set the project's mail policy as a teacher does."""
        await self.services.safeguarding.safeguard(TEACHER, SafeguardIn(project_id=self.project_id, mail_policy=policy))

    async def send(self, user: User, to: list[User], body: str = "Hello", **kw: object) -> str:
        mail, _ = await self.services.mail.send(user, MailSendIn(project_id=self.project_id, to=[u.id for u in to],
                                                                 subject="Hi", body=body, **kw))  # type: ignore[arg-type]
        return mail.id


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    db = tmp_path / "twinspace.db"
    async with (storage.open_documents(f"sqlite://{db}") as documents,
                storage.open_objects(f"file://{tmp_path / 'files'}") as objects):
        async def fanout_ping() -> None:
            return None

        services = Services.build(config.load({"data_dir": str(tmp_path), "mail_rate_messages": "1000"}, {}),
                                  documents, objects, MemoryPresence(), MemoryRateLimiter(), fanout_ping,
                                  clock=lambda: NOW)
        projects = services.projects
        project = await projects.register(TEACHER, ProjectIn(
            title="Rivers", subject="Geography", age_min=12, age_max=14, languages=["en", "fr"],
            partners=[PartnerIn(user_id=PARTNER.id, display_name=PARTNER.name, school=PARTNER.school,
                                country="DE")]))
        await projects.review(SUPPORT, project.id, approve=True)
        for who, role, adder in ((PUPIL, "pupil", TEACHER), (PUPIL2, "pupil", TEACHER), (PUPIL_DE, "pupil", PARTNER),
                                 (VISITOR, "visitor", TEACHER), (COLLEAGUE, "teacher", TEACHER)):
            await projects.add_member(adder, project.id, MemberIn(role=role, user_id=who.id, display_name=who.name))
        yield World(services, db, project.id)


async def _folder(w: World, user: User, folder: str = "inbox") -> list[str]:
    from rooms.mail_models import MailListIn

    page = await w.services.mail.list(user, MailListIn(folder=folder))  # type: ignore[arg-type]
    return [c.mail.id for c in page.copies]


# ---- the mail policy ---------------------------------------------------------------------------


@pytest.mark.parametrize("policy", ["supervised", "teachers_only"])
async def test_pupils_never_mail_visitors(world: World, policy: str) -> None:
    await world.policy(policy)
    with pytest.raises(InvalidRequest) as refused:
        await world.send(PUPIL, [TEACHER, VISITOR])
    assert refused.value.code == "mail.recipient_not_allowed"
    assert refused.value.data == {"count": 1, "policy": policy}
    assert await _folder(world, PUPIL, "sent") == [] and await _folder(world, TEACHER) == []  # nothing stored
    assert await _folder(world, VISITOR) == []


async def test_supervised_policy_lets_pupils_mail_members_and_marks_it(world: World) -> None:
    to_pupil = await world.send(PUPIL, [PUPIL_DE])
    to_teacher = await world.send(PUPIL, [PARTNER])
    staff = await world.send(TEACHER, [PARTNER])
    to_a_pupil = await world.send(TEACHER, [PUPIL, VISITOR])  # teachers mail anyone
    store = world.services.documents
    flags = {mid: (await store.get_mail(mid)).supervised for mid in (to_pupil, to_teacher, staff, to_a_pupil)}  # type: ignore[union-attr]
    assert flags == {to_pupil: True, to_teacher: True, staff: False, to_a_pupil: True}


async def test_teachers_only_refuses_pupil_to_pupil(world: World) -> None:
    await world.policy("teachers_only")
    with pytest.raises(InvalidRequest) as refused:
        await world.send(PUPIL, [PUPIL_DE, PUPIL2, PARTNER])
    assert (refused.value.code, refused.value.data) == ("mail.recipient_not_allowed",
                                                        {"count": 2, "policy": "teachers_only"})
    assert await _folder(world, PUPIL, "sent") == []
    sent = await world.send(PUPIL, [TEACHER, PARTNER, COLLEAGUE])  # admins and teachers of either school
    assert await _folder(world, COLLEAGUE) == [sent]


async def test_replies_obey_the_same_rule(world: World) -> None:
    first = await world.send(TEACHER, [PUPIL, VISITOR], body="The trip")
    mail = world.services.mail
    with pytest.raises(InvalidRequest) as refused:
        await mail.send(PUPIL, MailSendIn(reply_to=first, reply_all=True, body="Me too"))
    assert refused.value.code == "mail.recipient_not_allowed"
    reply, to = await mail.send(PUPIL, MailSendIn(reply_to=first, body="Thanks"))  # to the teacher only
    assert to == [TEACHER.id] and reply.supervised
    await world.policy("teachers_only")
    from_pupil = await world.send(TEACHER, [PUPIL, PUPIL_DE])
    with pytest.raises(InvalidRequest):
        await mail.send(PUPIL, MailSendIn(reply_to=from_pupil, reply_all=True, body="Hi Mats"))


# ---- the supervision view ------------------------------------------------------------------------


async def test_teachers_of_both_schools_read_a_pupil_to_pupil_conversation(world: World) -> None:
    mail = world.services.mail
    first = await world.send(PUPIL, [PUPIL_DE], body="Hallo Mats")
    reply, _ = await mail.send(PUPIL_DE, MailSendIn(reply_to=first, body="Salut Léa"))
    await world.send(TEACHER, [PARTNER], body="Staff only")
    conv = (await world.services.documents.get_mail(first)).conversation_id  # type: ignore[union-attr]
    for teacher in (TEACHER, PARTNER, COLLEAGUE):
        page = await mail.supervised(teacher, MailSupervisedIn(project_id=world.project_id))
        assert [m.id for m in page.mails] == [reply.id, first] and page.next_cursor is None
        seen = await mail.conversation(teacher, MailConversationIn(project_id=world.project_id, conversation_id=conv))
        assert [(m.sender.user_id, m.body) for m in seen.mails] == [(PUPIL.id, "Hallo Mats"), (PUPIL_DE.id, "Salut Léa")]
    paged = await mail.supervised(TEACHER, MailSupervisedIn(project_id=world.project_id, limit=1))
    rest = await mail.supervised(TEACHER, MailSupervisedIn(project_id=world.project_id, cursor=paged.next_cursor))
    assert [m.id for m in paged.mails + rest.mails] == [reply.id, first]
    # Each reading is in the audit log, at the injected time.
    log = await world.services.audit.list(TEACHER, AuditListIn(project_id=world.project_id,
                                                               action="mail.supervise_read", actor_id=PARTNER.id))
    assert [(e.target_kind, e.at) for e in log.entries] == [("conversation", "2026-12-01T09:30:00.000Z"),
                                                            ("project", "2026-12-01T09:30:00.000Z")]
    assert log.entries[0].target_id == conv and log.entries[0].after == {"mail_ids": [first, reply.id]}


@pytest.mark.parametrize("who", [PUPIL, VISITOR, SUPPORT])
async def test_only_staff_supervise(world: World, who: User) -> None:
    first = await world.send(PUPIL, [PUPIL_DE])
    conv = (await world.services.documents.get_mail(first)).conversation_id  # type: ignore[union-attr]
    with pytest.raises((Forbidden, NotFound)):
        await world.services.mail.supervised(who, MailSupervisedIn(project_id=world.project_id))
    with pytest.raises((Forbidden, NotFound)):
        await world.services.mail.conversation(who, MailConversationIn(project_id=world.project_id,
                                                                       conversation_id=conv))


async def test_a_staff_conversation_is_not_supervised(world: World) -> None:
    staff = await world.send(TEACHER, [PARTNER])
    conv = (await world.services.documents.get_mail(staff)).conversation_id  # type: ignore[union-attr]
    with pytest.raises(NotFound) as missing:
        await world.services.mail.conversation(COLLEAGUE, MailConversationIn(project_id=world.project_id,
                                                                             conversation_id=conv))
    assert missing.value.code == "mail.not_found"


async def test_staff_download_a_supervised_mail_attachment(world: World) -> None:
    files = world.services.files

    async def chunks() -> AsyncIterator[bytes]:
        yield b"Our notes"

    record = await files.upload(PUPIL, world.project_id, "notes.txt", chunks(), None)
    mail_id = await world.send(PUPIL, [PUPIL_DE], attachments=[record.id])
    assert (await files.readable(PARTNER, record.id)).id == record.id  # supervising, no copy
    assert (await files.readable(PUPIL_DE, record.id)).id == record.id  # a copy
    for outsider in (PUPIL2, VISITOR):
        with pytest.raises(NotFound):
            await files.readable(outsider, record.id)
    await world.services.mail.remove(TEACHER, MailRemoveIn(mail_id=mail_id))
    for nobody in (PARTNER, PUPIL_DE):
        with pytest.raises(NotFound):
            await files.readable(nobody, record.id)


# ---- moderation ----------------------------------------------------------------------------------------


async def test_a_moderator_removes_a_mail_from_every_copy(world: World) -> None:
    mail = world.services.mail
    mail_id = await world.send(PUPIL, [PUPIL_DE, PUPIL2], body="Something unkind")
    removed, owners = await mail.remove(PARTNER, MailRemoveIn(mail_id=mail_id, project_id=world.project_id))
    assert set(owners) == {PUPIL.id, PUPIL_DE.id, PUPIL2.id} and len(owners) == 3
    assert (removed.body, removed.subject, removed.removed_by) == ("", "", PARTNER.id)
    assert removed.removed_at == "2026-12-01T09:30:00.000Z"
    for owner in (PUPIL, PUPIL_DE, PUPIL2):
        copy = await mail.copy(owner, mail_id)
        assert copy.mail.body == "" and copy.mail.removed_by == PARTNER.id
    again, told = await mail.remove(TEACHER, MailRemoveIn(mail_id=mail_id))
    assert told == () and again.removed_by == PARTNER.id  # removed already: nobody told twice
    entries = (await world.services.audit.list(TEACHER, AuditListIn(project_id=world.project_id,
                                                                    action="mail.remove"))).entries
    assert [(e.actor_id, e.target_id) for e in entries] == [(PARTNER.id, mail_id)]
    assert "Something unkind" not in entries[0].model_dump_json()  # the log never copies the text


async def test_who_may_remove_a_mail(world: World) -> None:
    mail = world.services.mail
    pupils = await world.send(PUPIL, [PUPIL_DE])
    staff = await world.send(TEACHER, [PARTNER])
    with pytest.raises(Forbidden):
        await mail.remove(PUPIL_DE, MailRemoveIn(mail_id=pupils))
    with pytest.raises(NotFound):  # staff mail between others is not a colleague's to see
        await mail.remove(COLLEAGUE, MailRemoveIn(mail_id=staff))
    with pytest.raises(NotFound):
        await mail.remove(TEACHER, MailRemoveIn(mail_id=pupils, project_id="prj_other"))
    with pytest.raises(NotFound):
        await mail.remove(TEACHER, MailRemoveIn(mail_id="mail_none"))
    outsider = User(id="stranger", name="Stranger", role="teacher", school="Elsewhere")
    with pytest.raises(NotFound) as missing:
        await mail.remove(outsider, MailRemoveIn(mail_id=pupils))
    assert missing.value.code == "mail.not_found"
    assert (await world.services.documents.get_mail(pupils)).removed_by is None  # type: ignore[union-attr]
    removed, _ = await mail.remove(PARTNER, MailRemoveIn(mail_id=staff))  # one's own copy's mail
    assert removed.removed_by == PARTNER.id


# ---- the audit log ------------------------------------------------------------------------------------------


async def test_membership_role_settings_and_review_are_recorded_in_order(world: World) -> None:
    projects, pid = world.services.projects, world.project_id
    new = await projects.add_member(TEACHER, pid, MemberIn(role="teacher", user_id="teacher_new", display_name="N"))
    await projects.change_role(TEACHER, pid, new.user_id, "admin")
    await projects.change_role(TEACHER, pid, new.user_id, "admin")  # no change: no entry
    await world.services.retention.configure(TEACHER, pid, ProjectSettingsIn(chat_retention_days=30))
    await world.services.retention.configure(TEACHER, pid, ProjectSettingsIn(chat_retention_days=30))  # no change
    from rooms.models import SpaceIn

    space = await projects.create_space(PARTNER, pid, SpaceIn(name="Clubs"))
    await projects.remove_member(TEACHER, pid, new.user_id)
    await projects.archive(PARTNER, pid)
    page = await world.services.audit.list(SUPPORT, AuditListIn(project_id=pid, limit=200))
    got = [(e.action, e.actor_id, e.target_id, e.before, e.after) for e in reversed(page.entries)]
    assert got[0] == ("project.register", TEACHER.id, pid, None,
                      {"status": "pending", "founders": [TEACHER.id, PARTNER.id]})
    assert got[1] == ("project.validate", SUPPORT.id, pid, {"status": "pending"}, {"status": "validated"})
    assert [g[0] for g in got[2:7]] == ["member.add"] * 5
    assert got[7:] == [
        ("member.add", TEACHER.id, "teacher_new", None, {"role": "teacher"}),
        ("member.role", TEACHER.id, "teacher_new", {"role": "teacher"}, {"role": "admin"}),
        ("project.configure", TEACHER.id, pid, {"chat_retention_days": None}, {"chat_retention_days": 30}),
        ("space.create", PARTNER.id, space.id, None, {"kind": "chat", "name": "Clubs", "visibility": "members"}),
        ("member.remove", TEACHER.id, "teacher_new", None, None),
        ("project.archive", PARTNER.id, pid, {"status": "validated"},
         {"status": "archived", "delete_after": got[-1][4]["delete_after"]}),  # type: ignore[index]
    ]
    assert page.entries[0].actor_name == PARTNER.name and page.entries[0].actor_role == "admin"


async def test_a_rejection_is_recorded_with_its_reason(world: World) -> None:
    projects = world.services.projects
    other = await projects.register(TEACHER, ProjectIn(
        title="Bees", subject="Biology", age_min=9, age_max=11, languages=["fr"],
        partners=[PartnerIn(user_id=PARTNER.id, display_name=PARTNER.name, school=PARTNER.school, country="DE")]))
    await projects.review(SUPPORT, other.id, approve=False, reason="No plan yet")
    log = await world.services.audit.list(SUPPORT, AuditListIn(project_id=other.id, action="project.reject"))
    assert [(e.note, e.actor_role, e.after) for e in log.entries] == [("No plan yet", "support",
                                                                      {"status": "rejected"})]


async def test_the_log_is_for_admins_and_support_filtered_and_paged(world: World) -> None:
    audit, pid = world.services.audit, world.project_id
    for who in (COLLEAGUE, PUPIL, VISITOR):
        with pytest.raises(Forbidden) as refused:
            await audit.list(who, AuditListIn(project_id=pid))
        assert refused.value.data == {"action": "audit.read"}
    outsider = User(id="stranger", name="Stranger", role="teacher", school="Elsewhere")
    with pytest.raises(NotFound):
        await audit.list(outsider, AuditListIn(project_id=pid))
    everything = (await audit.list(PARTNER, AuditListIn(project_id=pid))).entries
    first = await audit.list(PARTNER, AuditListIn(project_id=pid, limit=3))
    rest = await audit.list(PARTNER, AuditListIn(project_id=pid, cursor=first.next_cursor))
    assert first.entries + rest.entries == everything and rest.next_cursor is None
    by_partner = (await audit.list(TEACHER, AuditListIn(project_id=pid, actor_id=PARTNER.id))).entries
    assert [(e.action, e.target_id) for e in by_partner] == [("member.add", PUPIL_DE.id)]
    about = (await audit.list(TEACHER, AuditListIn(project_id=pid, target_id=VISITOR.id))).entries
    assert [e.action for e in about] == ["member.add"]
    with pytest.raises(InvalidRequest):
        await audit.list(TEACHER, AuditListIn(project_id=pid, cursor="not-a-cursor!"))


async def test_sqlite_refuses_to_change_or_delete_an_entry(world: World) -> None:
    with sqlite3.connect(world.db, isolation_level=None) as conn:
        before = conn.execute("SELECT ord, doc FROM audit_log ORDER BY ord").fetchall()
        assert len(before) >= 2 and [o for o, _ in before] == sorted(o for o, _ in before)
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("UPDATE audit_log SET action = 'member.nothing' WHERE ord = ?", (before[0][0],))
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("DELETE FROM audit_log")
        assert conn.execute("SELECT ord, doc FROM audit_log ORDER BY ord").fetchall() == before
    conn.close()
