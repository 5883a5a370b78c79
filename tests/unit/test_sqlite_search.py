"""Search on SQLite beyond the contract: a database of the previous version gets its items indexed
by the migration, a write that bypasses the store cannot skip the index, a project's deletion
empties its part of the index, and a page of equal times resumes where it stopped."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from rooms.search_models import SearchQuery, SearchScope
from rooms.search_text import terms
from storage.documents.sqlite import SqliteDocumentStore
from storage.documents.sqlite_base import _statements, register_search_functions
from storage.documents.sqlite_schema import MIGRATIONS
from tests.contract import builders as b

SCOPE = SearchScope(project_id="prj_x", spaces=("spc_room", "spc_forum"), mail_owner="p1", files_of="p1")


def q(text: str) -> SearchQuery:
    return SearchQuery(words=tuple(terms(text)))


async def ids(store: SqliteDocumentStore, text: str, scope: SearchScope = SCOPE) -> set[str]:
    return {h.id for h in await store.search(scope, q(text), 50)}


async def test_the_migration_indexes_what_a_database_of_the_previous_version_holds(tmp_path: Path) -> None:
    path = tmp_path / "docs.sqlite3"
    raw = sqlite3.connect(path, isolation_level=None)
    for version, script in enumerate(MIGRATIONS[:10], start=1):
        for statement in _statements(script):
            raw.execute(statement)
        raw.execute(f"PRAGMA user_version={version}")
    message = b.message("spc_room", text="Les élèves chantent")
    thread = b.thread("spc_forum", title="Ποταμός")
    post = b.post(thread.id, "spc_forum").model_copy(update={"body": "Brücke über den Fluss"})
    mail, _ = b.mail("t1", ["p1"])
    mail = mail.model_copy(update={"subject": "Sortie au musée"})
    file = b.file("prj_x", owner="p1").model_copy(update={"name": "carte_Łódź.png"})
    raw.execute("INSERT INTO messages (room_id, seq, id, project_id, author_id, client_id, created_at, doc, rev) "
                "VALUES (?, 1, ?, ?, ?, ?, ?, ?, 1)", (message.room_id, message.id, message.project_id,
                                                       message.author_id, message.client_id, message.created_at,
                                                       message.model_dump_json()))
    raw.execute("INSERT INTO threads (id, forum_id, pinned, activity, deleted, locked, doc) VALUES (?, ?, 0, 1, 0, 0, ?)",
                (thread.id, thread.forum_id, thread.model_dump_json()))
    raw.execute("INSERT INTO posts (thread_id, seq, id, doc) VALUES (?, 1, ?, ?)",
                (thread.id, post.id, post.model_dump_json()))
    raw.execute("INSERT INTO mails (id, project_id, conversation_id, doc) VALUES (?, ?, ?, ?)",
                (mail.id, mail.project_id, mail.conversation_id, mail.model_dump_json()))
    raw.execute("INSERT INTO mail_copies (owner_id, mail_id, project_id, folder, read) VALUES ('p1', ?, ?, 'inbox', 0)",
                (mail.id, mail.project_id))
    raw.execute("INSERT INTO files (id, project_id, owner_id, size, doc) VALUES (?, ?, ?, ?, ?)",
                (file.id, file.project_id, file.owner_id, file.size, file.model_dump_json()))
    raw.close()
    store = SqliteDocumentStore(path)
    await store.open()
    try:
        assert await ids(store, "eleves") == {message.id}
        assert await ids(store, "ποταμος") == {thread.id}
        assert await ids(store, "brucke") == {post.id}
        assert await ids(store, "musee") == {mail.id}
        assert await ids(store, "łódź") == {file.id}  # Ł has no decomposition: fold keeps it (ł)
    finally:
        await store.aclose()


async def test_a_write_outside_the_store_cannot_skip_the_index(tmp_path: Path) -> None:
    path = tmp_path / "docs.sqlite3"
    store = SqliteDocumentStore(path)
    await store.open()
    try:
        message = b.message("spc_room", text="written by hand")
        insert = ("INSERT INTO messages (room_id, seq, id, project_id, author_id, client_id, created_at, doc, rev) "
                  "VALUES (?, 1, ?, ?, ?, ?, ?, ?, 1)")
        row = (message.room_id, message.id, message.project_id, message.author_id, message.client_id,
               message.created_at, message.model_dump_json())
        other = sqlite3.connect(path, isolation_level=None)
        other.execute(insert, row)  # a new message is only noted (migration 12): the store indexes it
        assert await ids(store, "hand") == {message.id}  # before the search answers
        edited = message.model_copy(update={"text": "rewritten by hand"}).model_dump_json()
        with pytest.raises(sqlite3.OperationalError, match="no such function"):  # refused, not written unindexed
            other.execute("UPDATE messages SET doc = ? WHERE id = ?", (edited, message.id))
        register_search_functions(other)  # what every writing connection of the store does
        other.execute("UPDATE messages SET doc = ? WHERE id = ?", (edited, message.id))
        other.close()
        assert await ids(store, "rewritten") == {message.id}
    finally:
        await store.aclose()


async def test_a_projects_deletion_empties_its_index(tmp_path: Path) -> None:
    store = SqliteDocumentStore(tmp_path / "docs.sqlite3")
    await store.open()
    try:
        await store.create_project(b.project(pid="prj_x"), [b.member("prj_x", "u1")])
        forum = b.space("prj_x").model_copy(update={"id": "spc_forum", "kind": "forum"})
        assert await store.add_space(forum, 10)
        await store.append_message(b.message("spc_room", text="doomed words"))
        thread = await store.create_thread(b.thread("spc_forum", title="doomed thread"))
        await store.add_post(b.post(thread.id, "spc_forum").model_copy(update={"body": "doomed reply"}))
        assert len(await ids(store, "doomed")) == 3
        while await store.delete_project_batch("prj_x", 100):
            pass
        assert await ids(store, "doomed") == set()
        assert store._rows("SELECT COUNT(*) FROM search_items") == [(0,)]
    finally:
        await store.aclose()


async def test_pages_of_equal_times_resume_where_they_stopped(tmp_path: Path) -> None:
    store = SqliteDocumentStore(tmp_path / "docs.sqlite3")
    await store.open()
    try:
        same = "2026-10-01T10:00:00.000Z"
        sent = [(await store.append_message(b.message("spc_room", text=f"tie {k}", created_at=same)))[0].id
                for k in range(5)]
        seen: list[str] = []
        query = q("tie")
        while page := await store.search(SCOPE, query, 2):
            seen += [h.id for h in page]
            query = query.model_copy(update={"after": (page[-1].created_at, page[-1].id)})
        assert sorted(seen) == sorted(sent) and len(seen) == 5
    finally:
        await store.aclose()


async def test_a_scope_of_many_spaces_is_checked_on_the_side_table_alone(tmp_path: Path) -> None:
    store = SqliteDocumentStore(tmp_path / "docs.sqlite3")
    await store.open()
    try:
        sent, _ = await store.append_message(b.message("spc_room", text="needle"))
        await store.append_message(b.message("spc_elsewhere", text="needle"))
        many = SCOPE.model_copy(update={"spaces": tuple(f"spc_{k}" for k in range(100)) + ("spc_room",)})
        assert await ids(store, "needle", many) == {sent.id}
    finally:
        await store.aclose()
