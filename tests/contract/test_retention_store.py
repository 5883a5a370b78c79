"""The RetentionStore contract (retention sweeps, ended projects), on every document adapter."""

from __future__ import annotations

import asyncio

import pytest

from rooms.audit_models import AuditEntry
from rooms.errors import NotAttachable
from rooms.file_models import FileRecord, FileRef
from rooms.forum_models import Post
from rooms.ports import DocumentStore
from rooms.privacy_models import ErasureState
from rooms.report_models import Report, Snapshot
from tests.contract.builders import file, mail, member, message, post, project, space, thread

OLD = "2020-01-01T00:00:00.000Z"
CUT = "2021-01-01T00:00:00.000Z"  # the cut-off: OLD is before it, now is after
AT = "2026-12-01T00:00:00.000Z"


def refs(*records: FileRecord) -> list[FileRef]:
    return [FileRef(id=r.id, name=r.name, size=r.size, content_type=r.content_type) for r in records]


def _audit(pid: str, action: str) -> AuditEntry:
    return AuditEntry(id=f"aud_{action}_{pid}", project_id=pid, actor_id="t1", actor_name="Claire",
                      actor_role="admin", action=action, target_kind="project", target_id=pid, at=AT)


async def _drain(call: object, *args: object) -> int:
    total = 0
    while n := await call(*args):  # type: ignore[operator]
        total += n
    return total


async def test_periods_are_set_with_their_audit_entry_and_find_their_projects(store: DocumentStore) -> None:
    none, forum = project(), project()
    for p in (none, forum):
        await store.create_project(p, [])
    assert await store.projects_with_retention("", 10) == []
    changed = await store.set_retention(forum.id, {"forum_retention_days": 30, "mail_retention_days": None}, AT,
                                        audit=_audit(forum.id, "project.configure"))
    assert changed is not None and changed.forum_retention_days == 30 and changed.chat_retention_days is None
    assert [p.id for p in await store.projects_with_retention("", 10)] == [forum.id]
    assert (await store.get_project(forum.id)).forum_retention_days == 30  # type: ignore[union-attr]
    assert [e.action for e, _ in await store.list_audit(forum.id, None, 10)] == ["project.configure"]
    await store.set_retention(forum.id, {"forum_retention_days": None}, AT)
    assert await store.projects_with_retention("", 10) == []
    assert await store.set_retention("prj_none", {"chat_retention_days": 3}, AT) is None


async def test_expired_messages_lose_text_author_and_files_and_their_files_are_marked(store: DocumentStore) -> None:
    pid = "prj_x"
    kept, gone = file(pid), file(pid)
    for f in (kept, gone):
        await store.add_file(f)
    old, _ = await store.append_message(message("r1", text="secret", created_at=OLD).model_copy(
        update={"attachments": refs(gone)}))
    new, _ = await store.append_message(message("r1", text="fresh").model_copy(update={"attachments": refs(kept)}))
    assert await store.expire_messages(pid, CUT, AT, 10) == 1
    assert await store.expire_messages(pid, CUT, AT, 10) == 0  # already a tombstone: not rewritten
    tomb = await store.get_message("r1", old.id)
    assert tomb is not None and tomb.seq == old.seq and tomb.deleted and tomb.deleted_by == "retention"
    assert tomb.text is None and tomb.author_name == "" and tomb.attachments == []
    assert await store.get_message("r1", new.id) == new
    marked = await store.expiring_files(pid, AT, 10)
    assert [f.id for f in marked] == [gone.id] and marked[0].expired_at == AT
    assert (await store.get_file(kept.id)).expired_at is None  # type: ignore[union-attr]


async def test_posts_expire_then_threads_whose_posts_are_all_gone(store: DocumentStore) -> None:
    pid = "prj_x"
    f1, f2 = file(pid), file(pid)
    for f in (f1, f2):
        await store.add_file(f)
    quiet = await store.create_thread(thread("f1", title="old").model_copy(
        update={"created_at": OLD, "attachments": refs(f1)}))
    lively = await store.create_thread(thread("f1", title="still going").model_copy(update={"created_at": OLD}))
    old_post = await store.add_post(post(quiet.id, "f1").model_copy(
        update={"created_at": OLD, "attachments": refs(f2)}))
    await store.add_post(post(lively.id, "f1").model_copy(update={"created_at": OLD}))
    recent = await store.add_post(post(lively.id, "f1"))
    assert old_post is not None and recent is not None
    assert await _drain(store.expire_posts, pid, CUT, AT, 1) == 2  # one per call
    assert await store.expire_posts(pid, CUT, AT, 10) == 0  # tombstones are not rewritten
    tomb = await store.get_post(old_post.id)
    assert isinstance(tomb, Post) and tomb.deleted and tomb.body is None and tomb.body_html is None
    assert tomb.author_name == "" and tomb.attachments == [] and tomb.deleted_by == "retention"
    assert await store.get_post(recent.id) == recent
    assert await store.expire_threads(pid, CUT, AT, 10) == 1
    assert await store.expire_threads(pid, CUT, AT, 10) == 0
    gone = await store.get_thread(quiet.id)
    assert gone is not None and gone.deleted and gone.title == "" and gone.body == "" and gone.attachments == []
    assert not (await store.get_thread(lively.id)).deleted  # type: ignore[union-attr]  # a kept post keeps it
    assert [t.id for t, _ in await store.list_threads("f1", None, 10)] == [lively.id]
    assert sorted(f.id for f in await store.expiring_files(pid, AT, 10)) == sorted([f1.id, f2.id])


async def test_expired_mails_go_with_every_copy(store: DocumentStore) -> None:
    pid = "prj_x"
    attached = file(pid, owner="u1")
    await store.add_file(attached)
    old, old_copies = mail("u1", ["u2", "u3"])
    old = old.model_copy(update={"created_at": OLD, "attachments": refs(attached)})
    await store.store_mail(old, [c.model_copy(update={"mail": old}) for c in old_copies])
    new, new_copies = mail("u1", ["u2"])
    await store.store_mail(new, new_copies)
    other, other_copies = mail("u1", ["u2"], project_id="prj_other")
    other = other.model_copy(update={"created_at": OLD})
    await store.store_mail(other, [c.model_copy(update={"mail": other}) for c in other_copies])
    assert await store.expire_mails(pid, CUT, AT, 10) == 1
    assert await store.expire_mails(pid, CUT, AT, 10) == 0
    assert await store.get_mail(old.id) is None
    for owner in ("u1", "u2", "u3"):
        assert await store.get_copy(owner, old.id) is None
    assert await store.get_copy("u2", new.id) is not None and await store.get_mail(other.id) is not None
    assert await store.unread_mail("u2") == 2  # the new one and the other project's
    assert [f.id for f in await store.expiring_files(pid, AT, 10)] == [attached.id]


async def test_unattached_uploads_expire_and_a_marked_file_is_never_attached(store: DocumentStore) -> None:
    pid = "prj_x"
    stale, fresh, used = (file(pid).model_copy(update={"created_at": OLD}), file(pid),
                          file(pid).model_copy(update={"created_at": OLD}))
    for f in (stale, fresh, used):
        await store.add_file(f)
    await store.append_message(message("r1").model_copy(update={"attachments": refs(used)}))
    assert await store.expiring_files(pid, AT, 10) == []  # nothing marked, nothing asked
    marked = await store.expiring_files(pid, AT, 10, unattached_before=CUT)
    assert [f.id for f in marked] == [stale.id]  # the attached one stays, however old
    with pytest.raises(NotAttachable):
        await store.append_message(message("r1").model_copy(update={"attachments": refs(stale)}))
    assert await store.delete_file(stale.id)
    assert await store.expiring_files(pid, AT, 10, unattached_before=CUT) == []
    everything = await store.expiring_files(pid, AT, 10, every_file=True)
    assert sorted(f.id for f in everything) == sorted([fresh.id, used.id])
    assert len(await store.expiring_files(pid, AT, 1)) == 1  # a bounded batch


async def test_two_sweepers_at_once_expire_each_message_once(store: DocumentStore) -> None:
    for i in range(30):
        await store.append_message(message(f"r{i % 3}", created_at=OLD))

    async def sweeper() -> int:
        return await _drain(store.expire_messages, "prj_x", CUT, AT, 4)

    assert sum(await asyncio.gather(sweeper(), sweeper(), sweeper())) == 30
    assert await store.expire_messages("prj_x", CUT, AT, 4) == 0


def _report(pid: str) -> Report:
    return Report(id=f"rep_{pid}", project_id=pid,
                  item=Snapshot(kind="message", id="m1", space_id="s1", author_id="p2", author_name="Mats",
                                text="mean", created_at=AT),
                  reason="bullying", reporter_id="p1", reporter_name="Léa", reported_id="p2", created_at=AT,
                  updated_at=AT)


async def _full_project(store: DocumentStore, archived_at: str) -> tuple[str, FileRecord]:
    p = project("validated")
    await store.create_project(p, [member(p.id, "t1"), member(p.id, "p1", "pupil")])
    room, forum = space(p.id), space(p.id, name="Forum")
    await store.add_space(room, 100)
    await store.add_space(forum, 100)
    upload = file(p.id, owner="t1")
    await store.add_file(upload)
    await store.append_message(message(room.id, author="t1", project_id=p.id).model_copy(
        update={"attachments": refs(upload)}))
    await store.append_message(message(room.id, author="p1", project_id=p.id))
    await store.mark_read(room.id, "p1", 2)
    t = await store.create_thread(thread(forum.id).model_copy(update={"project_id": p.id}))
    added = await store.add_post(post(t.id, forum.id, author="p1").model_copy(update={"project_id": p.id}))
    assert added is not None
    await store.mark_thread_read(t.id, "t1", 1)
    sent, copies = mail("t1", ["p1"], project_id=p.id)
    await store.store_mail(sent, copies)
    await store.add_report(_report(p.id))
    await store.remember_contact("t1", "t1@school.example", "fr")
    await store.save_erasure(ErasureState(project_id=p.id, user_id="p9", requested_by="t1", confirmation_hash="0" * 64,
                                          expires_at=AT))
    archived = await store.transition_project(p.id, "validated", "archived", None, archived_at, [],
                                              audit=_audit(p.id, "project.archive"),
                                              changes={"archived_at": archived_at, "delete_after": archived_at})
    assert archived is not None and archived.archived_at == archived_at
    return p.id, upload


async def test_an_ended_project_is_found_unless_held_and_deleted_but_for_its_audit_trail(store: DocumentStore) -> None:
    gone, upload = await _full_project(store, OLD)
    recent, _ = await _full_project(store, AT)  # archived after the cut-off: not yet
    assert [p.id for p in await store.projects_to_delete(CUT, AT, 10)] == [gone]
    held = await store.set_hold(gone, True, "an inquiry", AT, audit=_audit(gone, "project.hold"))
    assert held is not None and held.held and held.hold_reason == "an inquiry"
    assert await store.projects_to_delete(CUT, AT, 10) == []
    released = await store.set_hold(gone, False, None, AT)
    assert released is not None and not released.held and released.hold_reason is None
    assert [p.id for p in await store.projects_to_delete(CUT, AT, 10)] == [gone]
    assert await store.projects_to_delete(CUT, "2019-12-31T00:00:00.000Z", 10) == []  # its announced date is not past
    assert await store.set_hold("prj_none", True, None, AT) is None

    assert await _drain(store.delete_project_batch, gone, 3) > 0
    assert await store.get_project(gone) is not None  # its file's record is still there: the project stays
    for record in await store.expiring_files(gone, AT, 10, every_file=True):
        assert await store.delete_file(record.id)
    assert await store.delete_project_batch(gone, 3) == 1  # the project itself, last
    assert await store.delete_project_batch(gone, 3) == 0
    assert await store.get_project(gone) is None and await store.get_file(upload.id) is None
    assert await store.list_members(gone, 10) == [] and await store.list_spaces(gone, ("members",)) == []
    assert await store.list_projects_of("p1", 10) == [(await store.get_project(recent), "pupil")]  # type: ignore[list-item]
    assert await store.list_copies("p1", "inbox", gone, None, 10) == []
    assert await store.list_supervised_mail(gone, None, 10) == []
    assert await store.list_reports(gone, "open", None, 10) == []
    assert await store.get_erasure(gone, "p9") is None and await store.get_erasure(recent, "p9") is not None
    assert [e.action for e, _ in await store.list_audit(gone, None, 10)] == ["project.hold", "project.archive"]
    assert len(await store.list_members(recent, 10)) == 2  # the other project is untouched
    assert await store.contacts(["t1"])  # per person, not per project: kept


async def test_tombstones_a_person_made_are_cleared_too_once_old(store: DocumentStore) -> None:
    pid = "prj_x"
    photo, drawing = file(pid), file(pid)
    for f in (photo, drawing):
        await store.add_file(f)
    sent, _ = await store.append_message(message("r1", created_at=OLD).model_copy(update={"attachments": refs(photo)}))
    await store.delete_message("r1", sent.id, "u1", AT)  # its author deleted it: name and files still there
    assert await store.expire_messages(pid, CUT, AT, 10) == 1
    tomb = await store.get_message("r1", sent.id)
    assert tomb is not None and tomb.author_name == "" and tomb.attachments == [] and tomb.deleted_by == "retention"
    assert await store.expire_messages(pid, CUT, AT, 10) == 0
    moderated = await store.create_thread(thread("f1", title="rude").model_copy(
        update={"created_at": OLD, "attachments": refs(drawing)}))
    reply = await store.add_post(post(moderated.id, "f1").model_copy(update={"created_at": OLD}))
    assert reply is not None
    await store.update_thread(moderated.id, {"deleted": True})  # a moderator's deletion keeps the text
    await store.update_post(reply.id, {"body": None, "body_html": None, "deleted": True, "deleted_by": "t1"})
    assert await store.expire_posts(pid, CUT, AT, 10) == 1
    assert await store.expire_threads(pid, CUT, AT, 10) == 1
    cleared = await store.get_thread(moderated.id)
    assert cleared is not None and cleared.title == "" and cleared.body == "" and cleared.attachments == []
    assert await store.expire_threads(pid, CUT, AT, 10) == 0
    assert sorted(f.id for f in await store.expiring_files(pid, AT, 10)) == sorted([photo.id, drawing.id])


async def test_a_project_without_an_announced_date_is_never_listed(store: DocumentStore) -> None:
    p = project("validated")
    await store.create_project(p, [])
    await store.transition_project(p.id, "validated", "archived", None, OLD, [])  # archived by an older version
    assert await store.projects_to_delete(CUT, AT, 10) == []


async def test_a_project_with_files_left_to_delete_is_swept_even_without_a_period(store: DocumentStore) -> None:
    p = project("validated")
    await store.create_project(p, [])
    upload = file(p.id)
    await store.add_file(upload)
    assert await store.projects_with_retention("", 10) == []
    await store.expiring_files(p.id, AT, 10, every_file=True)  # marked, then the sweep stopped
    assert [q.id for q in await store.projects_with_retention("", 10)] == [p.id]
    assert await store.delete_file(upload.id)
    assert await store.projects_with_retention("", 10) == []


async def test_two_instances_deleting_one_project_leave_nothing_behind(store: DocumentStore) -> None:
    p = project("validated")
    await store.create_project(p, [member(p.id, "t1")])
    room, forum = space(p.id), space(p.id, name="Forum")
    await store.add_space(room, 100)
    await store.add_space(forum, 100)
    await store.append_message(message(room.id, project_id=p.id))
    for i in range(25):
        await store.mark_read(room.id, f"u{i}", 1)
    t = await store.create_thread(thread(forum.id).model_copy(update={"project_id": p.id}))
    for i in range(15):
        added = await store.add_post(post(t.id, forum.id, author=f"u{i}").model_copy(update={"project_id": p.id}))
        assert added is not None
    await store.transition_project(p.id, "validated", "archived", None, OLD, [], changes={"delete_after": OLD})

    async def instance() -> int:
        return await _drain(store.delete_project_batch, p.id, 4)

    await asyncio.gather(instance(), instance())
    assert await store.get_project(p.id) is None
    assert [await store.read_marker(room.id, f"u{i}") for i in range(25)] == [0] * 25
    assert await store.list_posts(t.id, 0, 100) == [] and await store.get_thread(t.id) is None
    assert await store.thread_markers([t.id], "u3") == {} and await store.last_seq(room.id) == 0
