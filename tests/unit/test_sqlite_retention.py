"""Retention on SQLite beyond the contract: a database of the version before ``messages.expired``
(migration 13) keeps what its sweeps did, and the sweeps and a project's deletion find messages by
the one plain index a send maintains."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from storage.documents.sqlite import SqliteDocumentStore
from storage.documents.sqlite_base import _statements, register_search_functions
from storage.documents.sqlite_schema import MIGRATIONS
from tests.contract import builders as b

OLD = "2020-01-01T00:00:00.000Z"


def _insert(raw: sqlite3.Connection, seq: int, **changes: object) -> str:
    message = b.message("spc_room", created_at=OLD).model_copy(update={"seq": seq, "rev": seq, **changes})
    raw.execute("INSERT INTO messages (room_id, seq, id, project_id, author_id, client_id, created_at, doc, rev, "
                "deleted) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (message.room_id, seq, message.id, message.project_id, message.author_id, message.client_id,
                 message.created_at, message.model_dump_json(), seq, int(message.deleted)))
    return message.id


async def test_messages_retention_cleared_before_the_migration_stay_cleared(tmp_path: Path) -> None:
    path = tmp_path / "docs.sqlite3"
    raw = sqlite3.connect(path, isolation_level=None)
    register_search_functions(raw)  # the search triggers (migration 11) call them
    for version, script in enumerate(MIGRATIONS[:12], start=1):
        for statement in _statements(script):
            raw.execute(statement)
        raw.execute(f"PRAGMA user_version={version}")
    raw.execute("INSERT INTO room_counters (room_id, last_seq, last_rev) VALUES ('spc_room', 3, 3)")
    swept = _insert(raw, 1, text=None, author_name="", deleted=True, deleted_by="retention")
    live = _insert(raw, 2)
    by_author = _insert(raw, 3, text=None, deleted=True, deleted_by="u1")  # still names its author: retention clears it
    raw.close()
    store = SqliteDocumentStore(path)
    await store.open()
    try:
        assert await store.expire_messages("prj_x", "2021-01-01T00:00:00.000Z", "2026-01-01T00:00:00.000Z", 10) == 2
        assert await store.expire_messages("prj_x", "2021-01-01T00:00:00.000Z", "2026-01-01T00:00:00.000Z", 10) == 0
        for message_id in (live, by_author):
            message = await store.get_message("spc_room", message_id)
            assert message is not None and message.deleted_by == "retention" and message.author_name == ""
        kept = await store.get_message("spc_room", swept)
        assert kept is not None and kept.rev == 1  # not cleared a second time: no new rev
        plans = {sql: " ".join(row[-1] for row in store._rows(f"EXPLAIN QUERY PLAN {sql}")) for sql in (
            "SELECT id FROM messages WHERE project_id = 'prj_x' AND expired = 0 AND created_at < 'x' LIMIT 5",
            "SELECT rowid FROM messages WHERE project_id = 'prj_x' LIMIT 5")}
        assert all("USING INDEX messages_by_project" in plan or "USING COVERING INDEX messages_by_project" in plan
                   for plan in plans.values()), plans
    finally:
        await store.aclose()
