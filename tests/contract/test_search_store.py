"""The search port, on every adapter: words found case and accents aside, in every script; the
query restricted to the scope (spaces, moderated spaces, one's own mail and files); only live items;
the index kept in step with edits, deletions, retention and erasure; filters, orders and pages;
a rebuilt index finding the same."""

from __future__ import annotations

from rooms.file_models import FileRef
from rooms.ids import utcnow
from rooms.ports import DocumentStore
from rooms.search_models import SEARCH_KINDS, SearchHit, SearchQuery, SearchScope
from rooms.search_text import terms
from tests.contract import builders as b

P = "prj_x"  # the builders' project
ROOM, STAFF, FORUM = "spc_room", "spc_staff", "spc_forum"
PUPIL = SearchScope(project_id=P, spaces=(ROOM, FORUM), mail_owner="p1", files_of="p1")
TEACHER = SearchScope(project_id=P, spaces=(ROOM, STAFF, FORUM), moderated=(ROOM, STAFF, FORUM),
                      mail_owner="t1", files_of="t1")


def q(text: str, **changes: object) -> SearchQuery:
    return SearchQuery(words=tuple(terms(text)), **changes)  # type: ignore[arg-type]


async def found(store: DocumentStore, scope: SearchScope, text: str, limit: int = 50, **changes: object) -> list[str]:
    return [h.id for h in await store.search(scope, q(text, **changes), limit)]


async def test_words_are_found_case_and_accents_aside_in_every_script(store: DocumentStore) -> None:
    fr, _ = await store.append_message(b.message(ROOM, text="Les élèves de Lyon ont visité le Rhône."))
    de, _ = await store.append_message(b.message(ROOM, text="Wir fahren nach München, über die Brücke!"))
    el, _ = await store.append_message(b.message(ROOM, text="Ο ποταμός είναι μεγάλος"))
    ru, _ = await store.append_message(b.message(ROOM, text="Наша река очень длинная"))
    for query, expected in (("eleves", fr.id), ("ÉLÈVES", fr.id), ("rhone", fr.id), ("munchen", de.id),
                            ("München", de.id), ("uber brucke", de.id), ("ποταμος", el.id), ("ΠΟΤΑΜΌΣ", el.id),
                            ("река", ru.id), ("РЕКА", ru.id)):
        assert await found(store, PUPIL, query) == [expected], query
    assert await found(store, PUPIL, "elev") == [fr.id]  # the last word as a prefix
    assert await found(store, PUPIL, "elev", prefix=False) == []
    assert await found(store, PUPIL, "eleves munchen") == []  # every word must match
    (hit,) = await store.search(PUPIL, q("rhone"), 10)
    assert hit == SearchHit(kind="message", id=fr.id, project_id=P, space_id=ROOM, seq=fr.seq, text=fr.text or "",
                            author_id="u1", author_name="u1", created_at=fr.created_at)


async def test_the_query_is_restricted_to_the_scope(store: DocumentStore) -> None:
    await store.append_message(b.message(STAFF, text="secretword in the staff room"))
    await store.append_message(b.message("spc_other_project", text="secretword elsewhere", project_id="prj_other"))
    mail, copies = b.mail("t2", ["t3"])  # between two other teachers: the sender holds a copy too
    await store.store_mail(mail.model_copy(update={"body": "secretword between teachers"}),
                           [c.model_copy(update={"mail": c.mail.model_copy(update={"body": "secretword between teachers"})})
                            for c in copies])
    hidden, _ = await store.append_message(b.message(ROOM, text="secretword hidden by a teacher"))
    await store.hide_message(ROOM, hidden.id, True, "t1", utcnow())
    assert await found(store, PUPIL, "secretword") == []  # no staff room, other project, other's mail, hidden item
    assert len(await found(store, TEACHER, "secretword")) == 2  # the staff room and the hidden message
    assert await found(store, TEACHER.model_copy(update={"mail_owner": "t2"}), "secretword", kinds=("mail",)) == \
        [mail.id]
    other = SearchScope(project_id="prj_other", spaces=(ROOM,))
    assert await found(store, other, "secretword") == []  # the space must be the project's too


async def test_only_live_items_are_found_and_edits_follow(store: DocumentStore) -> None:
    edited, _ = await store.append_message(b.message(ROOM, text="old wording"))
    await store.edit_message(ROOM, edited.id, "new wording", utcnow())
    assert await found(store, PUPIL, "old") == []
    assert await found(store, PUPIL, "new wording") == [edited.id]
    deleted, _ = await store.append_message(b.message(ROOM, text="regrettable words"))
    await store.delete_message(ROOM, deleted.id, "u1", utcnow())
    assert await found(store, PUPIL, "regrettable") == []
    old, _ = await store.append_message(b.message(ROOM, text="ancient history", created_at="2020-01-01T00:00:00.000Z"))
    assert await found(store, PUPIL, "ancient") == [old.id]
    await store.expire_messages(P, "2021-01-01T00:00:00.000Z", utcnow(), 10)
    assert await found(store, PUPIL, "ancient") == []
    mine, _ = await store.append_message(b.message(ROOM, author="p9", text="personal remark"))
    assert await found(store, PUPIL, "personal") == [mine.id]
    await store.erase_messages(P, "p9", utcnow(), 10)
    assert await found(store, PUPIL, "personal") == []


async def test_forum_mail_and_files_are_found(store: DocumentStore) -> None:
    thread = await store.create_thread(b.thread(FORUM, title="Survey about rivers").model_copy(
        update={"body": "Please answer the questionnaire"}))
    post = await store.add_post(b.post(thread.id, FORUM).model_copy(update={"body": "My answer: the Danube"}))
    assert post is not None
    assert await found(store, PUPIL, "survey") == [thread.id]
    assert await found(store, PUPIL, "questionnaire") == [thread.id]
    assert await found(store, PUPIL, "danube") == [post.id]
    await store.update_post(post.id, {"deleted": True, "body": None, "body_html": None})
    assert await found(store, PUPIL, "danube") == []
    await store.update_thread(thread.id, {"deleted": True})
    assert await found(store, PUPIL, "survey") == []
    mail, copies = b.mail("t1", ["p1", "p2"])
    mail = mail.model_copy(update={"subject": "Excursion Tuesday", "body": "Bring boots"})
    await store.store_mail(mail, [c.model_copy(update={"mail": mail}) for c in copies])
    assert await found(store, PUPIL, "excursion") == [mail.id]  # the subject
    assert await found(store, PUPIL, "boots", kinds=("mail",)) == [mail.id]
    await store.delete_copy("p1", mail.id)
    assert await found(store, PUPIL, "boots") == []  # p1 deleted their copy; p2 still finds it
    assert await found(store, PUPIL.model_copy(update={"mail_owner": "p2"}), "boots") == [mail.id]
    own = b.file(P, owner="p1").model_copy(update={"name": "Rapport_Rhône.pdf"})
    await store.add_file(own)
    theirs = b.file(P, owner="p2").model_copy(update={"name": "rhone-photo.jpg"})
    await store.add_file(theirs)
    assert await found(store, PUPIL, "rhone", kinds=("file",)) == [own.id]  # another's unattached upload: not
    shared, _ = await store.append_message(b.message(ROOM, author="p2", text="look").model_copy(
        update={"attachments": [FileRef(id=theirs.id, name=theirs.name, size=theirs.size,
                                        content_type=theirs.content_type)]}))
    assert sorted(await found(store, PUPIL, "rhone", kinds=("file",))) == sorted([own.id, theirs.id])
    assert shared.attachments


async def test_filters_orders_and_pages(store: DocumentStore) -> None:
    ids = []
    for k in range(5):
        m, _ = await store.append_message(b.message(ROOM if k % 2 else FORUM.replace("forum", "room2"),
                                                    author=f"a{k % 2}", text=f"bridge number {k}",
                                                    created_at=f"2026-10-0{k + 1}T10:00:00.000Z"))
        ids.append(m.id)
    scope = PUPIL.model_copy(update={"spaces": (ROOM, "spc_room2")})
    newest = await found(store, scope, "bridge")
    assert newest == ids[::-1]
    assert await found(store, scope, "bridge", space_id=ROOM) == [ids[3], ids[1]]
    assert await found(store, scope, "bridge", author_id="a0") == [ids[4], ids[2], ids[0]]
    assert await found(store, scope, "bridge", since="2026-10-02T00:00:00.000Z", until="2026-10-04T00:00:00.000Z") \
        == [ids[2], ids[1]]
    first = await store.search(scope, q("bridge"), 2)
    after = (first[-1].created_at, first[-1].id)
    assert [h.id for h in await store.search(scope, q("bridge", after=after), 2)] == [ids[2], ids[1]]
    best = await found(store, scope, "bridge", order="best")
    assert sorted(best) == sorted(ids)
    assert await found(store, scope, "bridge", order="best", after=3) == best[3:]
    assert await found(store, scope, "bridge", kinds=("thread", "post")) == []


async def test_a_rebuilt_index_finds_the_same(store: DocumentStore) -> None:
    await store.append_message(b.message(ROOM, text="rebuild me"))
    thread = await store.create_thread(b.thread(FORUM, title="rebuild this thread"))
    before = await found(store, TEACHER, "rebuild")
    assert len(before) == 2 and thread.id in before
    await store.clear_search()
    assert await found(store, TEACHER, "rebuild") == []
    for kind in SEARCH_KINDS:
        after = ""
        while True:
            done, after = await store.reindex(kind, after, 1)
            if done == 0:
                break
    # The same items (both were made in the same millisecond here: which comes first is the store's).
    assert sorted(await found(store, TEACHER, "rebuild")) == sorted(before)
