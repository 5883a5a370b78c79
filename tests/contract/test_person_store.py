"""The PersonStore contract (a person's items, paged and erased), on every document adapter."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from rooms.audit import entry
from rooms.errors import Conflict
from rooms.ids import new_id, utcnow
from rooms.mail_models import Correspondent
from rooms.models import User
from rooms.ports import DocumentStore
from rooms.privacy_models import ERASED, FORMER_MEMBER, ErasureState, scrubbed_report
from rooms.report_models import Report, Snapshot
from tests.contract.builders import file, mail, member, message, post, project, space, thread
from tests.support.scan import scan_store

PUPIL, OTHER = "pup_lea", "pup_mats"
MARK = "zq-erase-me-7741"  # in everything the pupil wrote


@dataclass
class Seeded:
    project_id: str
    room: str
    forum: str
    messages: list[str]  # the pupil's, in order
    thread_id: str
    others_thread: str


async def _seed(store: DocumentStore) -> Seeded:
    p = project("validated")
    await store.create_project(p, [member(p.id, "t1"), member(p.id, PUPIL, "pupil"), member(p.id, OTHER, "pupil")])
    room, forum = space(p.id), space(p.id, name="Forum").model_copy(update={"kind": "forum"})
    assert await store.add_space(room, 10) and await store.add_space(forum, 10)
    mine = []
    for i in range(5):
        stored, _ = await store.append_message(message(room.id, PUPIL, text=f"{MARK} message {i}", project_id=p.id,
                                                       client_id="same-client" if i == 0 else None))
        mine.append(stored.id)
        await store.append_message(message(room.id, OTHER, text=f"reply {i}", project_id=p.id,
                                           client_id="same-client" if i == 0 else None))
    own = thread(forum.id, title=f"{MARK} title").model_copy(update={
        "project_id": p.id, "author_id": PUPIL, "author_name": f"{MARK} name", "body": f"{MARK} body"})
    theirs = thread(forum.id, title="Other's").model_copy(update={"project_id": p.id, "author_id": OTHER})
    await store.create_thread(own)
    await store.create_thread(theirs)
    for t in (own, theirs):
        for author in (PUPIL, OTHER):
            body = f"{MARK} post" if author == PUPIL else "a post of Mats"
            added = await store.add_post(post(t.id, forum.id, author).model_copy(update={
                "project_id": p.id, "body": body, "body_html": f"<p>{body}</p>"}))
            assert added is not None
    sent, copies = mail(PUPIL, [OTHER, "t1"], project_id=p.id)
    sent = sent.model_copy(update={"subject": f"{MARK} subject", "body": f"{MARK} body"})
    await store.store_mail(sent, [c.model_copy(update={"mail": sent}) for c in copies])
    got, got_copies = mail("t1", [PUPIL], project_id=p.id)
    got = got.model_copy(update={"to": [Correspondent(user_id=PUPIL, name=f"{MARK} name")]})
    await store.store_mail(got, [c.model_copy(update={"mail": got}) for c in got_copies])
    await store.add_file(file(p.id, PUPIL).model_copy(update={"name": f"{MARK}.txt"}))
    await store.add_file(file(p.id, OTHER))
    await store.mark_read(room.id, PUPIL, 3)
    await store.mark_thread_read(theirs.id, PUPIL, 2)
    await store.remember_contact(PUPIL, "lea@example.org", "fr")
    return Seeded(p.id, room.id, forum.id, mine, own.id, theirs.id)


async def test_a_persons_items_page_in_id_order(store: DocumentStore) -> None:
    s = await _seed(store)
    first = await store.messages_by(s.project_id, PUPIL, "", 2)
    rest = await store.messages_by(s.project_id, PUPIL, first[-1].id, 10)
    assert [m.id for m in first + rest] == sorted(s.messages) and all(m.author_id == PUPIL for m in first + rest)
    assert await store.messages_by("prj_other", PUPIL, "", 10) == []
    assert [t.id for t in await store.threads_by(s.project_id, PUPIL, "", 10)] == [s.thread_id]
    posts = await store.posts_by(s.project_id, PUPIL, "", 10)
    assert len(posts) == 2 and {p.author_id for p in posts} == {PUPIL}
    assert len(await store.posts_by(s.project_id, PUPIL, posts[0].id, 10)) == 1
    assert [m.subject for m in await store.mails_from(s.project_id, PUPIL, "", 10)] == [f"{MARK} subject"]
    assert [f.name for f in await store.files_of(s.project_id, PUPIL, "", 10)] == [f"{MARK}.txt"]
    markers = await store.read_markers_of(s.project_id, PUPIL, 10)
    assert {(m.kind, m.id, m.seq) for m in markers} == {("room", s.room, 9), ("thread", s.thread_id, 1),
                                                        ("thread", s.others_thread, 2)}
    counts = await store.count_person(s.project_id, PUPIL)
    assert (counts.messages, counts.threads, counts.posts, counts.mails, counts.mail_copies, counts.files) == (
        5, 1, 2, 1, 2, 1)


async def _erase_all(store: DocumentStore, s: Seeded) -> None:
    at = utcnow()
    while await store.erase_messages(s.project_id, PUPIL, at, 2):
        pass
    assert await store.erase_threads(s.project_id, PUPIL, at, 2) == 1
    assert await store.erase_posts(s.project_id, PUPIL, at, 1) == 1  # one of two: a bounded batch
    assert await store.erase_posts(s.project_id, PUPIL, at, 10) == 1
    assert await store.erase_mails(s.project_id, PUPIL, at, 2) == 1
    assert await store.erase_threads(s.project_id, PUPIL, at, 2) == await store.erase_mails(s.project_id, PUPIL, at,
                                                                                           2) == 0
    while await store.erase_mail_copies(s.project_id, PUPIL, 1):
        pass
    for record in await store.files_of(s.project_id, PUPIL, "", 10):
        assert await store.delete_file(record.id)
    await store.forget_person(s.project_id, PUPIL)


async def test_erasing_leaves_tombstones_and_what_others_wrote(store: DocumentStore) -> None:
    s = await _seed(store)
    assert await store.erase_messages(s.project_id, PUPIL, utcnow(), 3) == 3  # a bounded batch
    await _erase_all(store, s)
    assert await store.erase_messages(s.project_id, PUPIL, utcnow(), 3) == 0  # finished: nothing left of theirs
    room = await store.messages_after(s.room, 0, 100)
    assert [m.seq for m in room] == list(range(1, 11)) and await store.last_seq(s.room) == 10  # gap-free
    erased = [m for m in room if m.id in s.messages]
    assert all(m.text is None and m.author_id == ERASED and m.author_name == "" and m.deleted for m in erased)
    assert [m.text for m in room if m.id not in s.messages] == [f"reply {i}" for i in range(5)]
    assert await store.count_person(s.project_id, PUPIL) == await store.count_person("prj_none", PUPIL)
    own = await store.get_thread(s.thread_id)
    assert own is not None and own.title == "" and own.body == "" and own.author_id == ERASED
    listed = [t.id for t, _ in await store.list_threads(s.forum, None, 10)]
    assert s.thread_id in listed  # still listed: the replies others wrote in it stay readable
    kept = await store.list_posts(s.thread_id, 0, 10)
    assert [p.body for p in kept] == [None, "a post of Mats"]  # the others' replies stay
    assert (await store.get_thread(s.others_thread)).title == "Other's"  # type: ignore[union-attr]
    (sent,) = [c.mail for c, _ in await store.list_copies(OTHER, "inbox", s.project_id, None, 10)]
    assert sent.subject == "" and sent.body == "" and sent.sender.user_id == ERASED
    assert await store.list_copies(PUPIL, "inbox", None, None, 10) == []
    assert await store.list_copies(PUPIL, "sent", None, None, 10) == []
    (got,) = [c.mail for c, _ in await store.list_copies("t1", "sent", s.project_id, None, 10)]
    assert got.to == [Correspondent(user_id=ERASED, name=FORMER_MEMBER)]
    assert await store.read_markers_of(s.project_id, PUPIL, 10) == []
    assert await store.read_marker(s.room, PUPIL) == 0 and await store.contacts([PUPIL]) == {}
    assert [f.owner_id for f in await store.files_of(s.project_id, OTHER, "", 10)] == [OTHER]
    assert scan_store(store, [MARK]) == {}  # every table or collection: nothing of the pupil's text


async def test_reports_are_scrubbed_through_update_report(store: DocumentStore) -> None:
    s = await _seed(store)
    now = utcnow()
    snap = Snapshot(kind="message", id=s.messages[0], space_id=s.room, author_id=PUPIL, author_name="Léa",
                    text=f"{MARK} reported", created_at=now)
    about = Report(id=new_id("rep"), project_id=s.project_id, item=snap, reason="spam", reporter_id=OTHER,
                   reporter_name="Mats", reported_id=PUPIL, created_at=now, updated_at=now)
    by = Report(id=new_id("rep"), project_id=s.project_id, item=snap.model_copy(update={
        "id": "msg_x", "author_id": OTHER, "author_name": "Mats", "text": "mean"}), reason="bullying",
        note=f"{MARK} note", reporter_id=PUPIL, reporter_name="Léa", reported_id=OTHER, created_at=now,
        updated_at=now)
    assert await store.add_report(about) and await store.add_report(by)
    for report in (about, by):
        scrubbed = scrubbed_report(report, PUPIL)
        assert scrubbed is not None
        changes = scrubbed.model_dump(mode="json", include={"item", "context", "reported_id", "reporter_name",
                                                            "note", "resolution"})
        assert await store.update_report(report.id, report.state, changes) is not None
    kept_about, kept_by = await store.get_report(about.id), await store.get_report(by.id)
    assert kept_about is not None and kept_about.item.text is None and kept_about.reporter_name == "Mats"
    assert kept_by is not None and kept_by.reporter_name is None and kept_by.note == "" and kept_by.item.text == "mean"
    assert scan_store(store, [f"{MARK} reported", f"{MARK} note"]) == {}


async def test_an_erasure_state_and_its_beginning(store: DocumentStore) -> None:
    s = await _seed(store)
    assert await store.get_erasure(s.project_id, PUPIL) is None
    state = ErasureState(project_id=s.project_id, user_id=PUPIL, requested_by="t1", confirmation_hash="h" * 64,
                         expires_at=utcnow())
    await store.save_erasure(state)
    assert await store.get_erasure(s.project_id, PUPIL) == state
    began = state.model_copy(update={"started_at": utcnow()})
    t1 = User(id="t1", name="T", role="teacher")
    audit = entry(t1, None, s.project_id, "member.erase", "member", PUPIL, after={"messages": 5})
    assert await store.begin_erasure(began, audit)
    assert await store.get_member(s.project_id, PUPIL) is None  # access is gone with the beginning
    assert await store.get_erasure(s.project_id, PUPIL) == began
    assert [e.action for e, _ in await store.list_audit(s.project_id, None, 10, target_id=PUPIL)] == ["member.erase"]
    assert not await store.begin_erasure(began)  # a retry: nothing more to remove, nothing recorded
    assert len(await store.list_audit(s.project_id, None, 10, target_id=PUPIL)) == 1
    last = ErasureState(project_id=s.project_id, user_id="t1", requested_by="t1", confirmation_hash="h" * 64,
                        expires_at=utcnow())
    with pytest.raises(Conflict):  # t1 is the project's only admin
        await store.begin_erasure(last)
    assert await store.get_member(s.project_id, "t1") is not None
