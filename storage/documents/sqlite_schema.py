"""Versioned schema of the SQLite document store.

``MIGRATIONS[n]`` takes a database from version ``n`` to ``n + 1``
(``PRAGMA user_version``). Append only: a migration that has shipped is
never edited, because databases in the field have already run it.
"""

MIGRATIONS: list[str] = [
    # 0 -> 1: projects, members, spaces
    """
    CREATE TABLE projects (
        id TEXT PRIMARY KEY,
        status TEXT NOT NULL,
        created_at TEXT NOT NULL,
        doc TEXT NOT NULL
    );
    CREATE INDEX projects_by_status ON projects (status, created_at);
    CREATE TABLE members (
        project_id TEXT NOT NULL REFERENCES projects (id),
        user_id TEXT NOT NULL,
        role TEXT NOT NULL,
        joined_order INTEGER NOT NULL,
        doc TEXT NOT NULL,
        PRIMARY KEY (project_id, user_id)
    );
    CREATE INDEX members_by_user ON members (user_id);
    CREATE INDEX members_by_order ON members (project_id, joined_order);
    CREATE TABLE spaces (
        id TEXT PRIMARY KEY,
        project_id TEXT NOT NULL REFERENCES projects (id),
        visibility TEXT NOT NULL,
        created_order INTEGER NOT NULL,
        doc TEXT NOT NULL
    );
    CREATE INDEX spaces_by_project ON spaces (project_id, created_order);
    """,
    # 1 -> 2: chat messages (gap-free seq per room), read markers, chat retention
    """
    CREATE TABLE room_counters (
        room_id TEXT PRIMARY KEY,
        last_seq INTEGER NOT NULL
    );
    CREATE TABLE messages (
        room_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        id TEXT NOT NULL UNIQUE,
        project_id TEXT NOT NULL,
        author_id TEXT NOT NULL,
        client_id TEXT NOT NULL,
        created_at TEXT NOT NULL,
        deleted INTEGER NOT NULL DEFAULT 0,
        doc TEXT NOT NULL,
        PRIMARY KEY (room_id, seq),
        UNIQUE (room_id, author_id, client_id)
    );
    CREATE INDEX messages_by_project_age ON messages (project_id, created_at);
    CREATE TABLE read_markers (
        room_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        PRIMARY KEY (room_id, user_id)
    );
    ALTER TABLE projects ADD COLUMN chat_retention_days INTEGER;
    CREATE INDEX projects_with_retention ON projects (id) WHERE chat_retention_days IS NOT NULL;
    """,
    # 2 -> 3: forum threads and posts, thread read markers
    """
    CREATE TABLE forum_counters (
        forum_id TEXT PRIMARY KEY,
        last_activity INTEGER NOT NULL
    );
    CREATE TABLE threads (
        id TEXT PRIMARY KEY,
        forum_id TEXT NOT NULL,
        pinned INTEGER NOT NULL DEFAULT 0,
        activity INTEGER NOT NULL,
        deleted INTEGER NOT NULL DEFAULT 0,
        locked INTEGER NOT NULL DEFAULT 0,
        doc TEXT NOT NULL
    );
    CREATE INDEX threads_listing ON threads (forum_id, deleted, pinned DESC, activity DESC);
    CREATE TABLE posts (
        thread_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        id TEXT NOT NULL UNIQUE,
        deleted INTEGER NOT NULL DEFAULT 0,
        doc TEXT NOT NULL,
        PRIMARY KEY (thread_id, seq)
    );
    CREATE TABLE thread_markers (
        thread_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        PRIMARY KEY (user_id, thread_id)
    );
    """,
    # 3 -> 4: internal mail, one copy per person
    """
    CREATE TABLE mails (
        id TEXT PRIMARY KEY,
        project_id TEXT NOT NULL,
        conversation_id TEXT NOT NULL,
        doc TEXT NOT NULL
    );
    CREATE INDEX mails_by_conversation ON mails (conversation_id);
    CREATE TABLE mail_copies (
        ord INTEGER PRIMARY KEY AUTOINCREMENT,
        owner_id TEXT NOT NULL,
        mail_id TEXT NOT NULL REFERENCES mails (id),
        project_id TEXT NOT NULL,
        folder TEXT NOT NULL,
        read INTEGER NOT NULL,
        UNIQUE (owner_id, mail_id)
    );
    CREATE INDEX mail_copies_by_folder ON mail_copies (owner_id, folder, ord DESC);
    CREATE INDEX mail_copies_unread ON mail_copies (owner_id, folder, read);
    """,
    # 4 -> 5: shared file records
    """
    CREATE TABLE files (
        id TEXT PRIMARY KEY,
        project_id TEXT NOT NULL,
        owner_id TEXT NOT NULL,
        size INTEGER NOT NULL,
        attached INTEGER NOT NULL DEFAULT 0,
        doc TEXT NOT NULL
    );
    CREATE INDEX files_by_project ON files (project_id);
    """,
    # 5 -> 6: safeguarding: the audit log (append-only), reports, contacts, supervised mail
    """
    CREATE TABLE audit_log (
        ord INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        project_id TEXT,
        actor_id TEXT NOT NULL,
        action TEXT NOT NULL,
        target_id TEXT NOT NULL,
        at TEXT NOT NULL,
        doc TEXT NOT NULL
    );
    CREATE INDEX audit_by_project ON audit_log (project_id, ord);
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TABLE reports (
        ord INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        project_id TEXT NOT NULL,
        item_key TEXT NOT NULL,
        reporter_id TEXT,
        state TEXT NOT NULL,
        serious INTEGER NOT NULL DEFAULT 0,
        escalated INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        doc TEXT NOT NULL,
        UNIQUE (reporter_id, item_key)
    );
    CREATE INDEX reports_queue ON reports (project_id, state, ord);
    CREATE INDEX reports_by_reporter ON reports (reporter_id, ord);
    CREATE INDEX reports_due ON reports (state, escalated, created_at);
    CREATE TABLE contacts (
        user_id TEXT PRIMARY KEY,
        doc TEXT NOT NULL
    );
    ALTER TABLE mails ADD COLUMN supervised INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX mails_supervised ON mails (project_id, supervised);
    """,
    # 6 -> 7: retention of forum, mail and files, and the deletion of ended projects: what the sweeps
    # look up by project and age (expressions on the documents, so no write path changes)
    """
    CREATE INDEX messages_to_expire ON messages (project_id, created_at)
        WHERE json_extract(doc, '$.deleted_by') IS NOT 'retention';
    CREATE INDEX posts_to_expire ON posts (json_extract(doc, '$.project_id'), json_extract(doc, '$.created_at'))
        WHERE json_extract(doc, '$.deleted_by') IS NOT 'retention';
    CREATE INDEX threads_to_expire ON threads (json_extract(doc, '$.project_id'), json_extract(doc, '$.created_at'))
        WHERE json_extract(doc, '$.title') != '';
    CREATE INDEX mails_by_project_age ON mails (project_id, json_extract(doc, '$.created_at'));
    CREATE INDEX mail_copies_by_project ON mail_copies (project_id);
    CREATE INDEX files_expired ON files (project_id) WHERE json_extract(doc, '$.expired_at') IS NOT NULL;
    CREATE INDEX thread_markers_by_thread ON thread_markers (thread_id);
    """,
    # 7 -> 8: a person's items found by author (export, erasure), and the erasures under way or done
    """
    CREATE INDEX messages_by_author ON messages (author_id, project_id, id);
    CREATE INDEX threads_by_author ON threads (json_extract(doc, '$.author_id'), json_extract(doc, '$.project_id'), id);
    CREATE INDEX posts_by_author ON posts (json_extract(doc, '$.author_id'), json_extract(doc, '$.project_id'), id);
    CREATE INDEX mails_by_sender ON mails (json_extract(doc, '$.sender.user_id'), project_id, id);
    CREATE INDEX files_by_owner ON files (owner_id, project_id, id);
    CREATE TABLE erasures (
        project_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        doc TEXT NOT NULL,
        PRIMARY KEY (project_id, user_id)
    );
    """,
    # 8 -> 9: the quota held by uploads under way (FileStore.reserve_quota)
    """
    CREATE TABLE quota_reservations (
        id TEXT PRIMARY KEY,
        project_id TEXT NOT NULL,
        bytes INTEGER NOT NULL,
        expires_at TEXT NOT NULL
    );
    CREATE INDEX quota_reservations_by_project ON quota_reservations (project_id, expires_at);
    """,
    # 9 -> 10: classroom chat. Every change to a message takes the room's next rev (messages.rev, the
    # change feed's order); pins, open polls with a closing time, reactions, poll votes and mentions.
    # Messages stored before count as changed when they were sent (rev = seq).
    """
    ALTER TABLE messages ADD COLUMN rev INTEGER;
    UPDATE messages SET rev = seq, doc = json_set(doc, '$.rev', seq);
    CREATE UNIQUE INDEX messages_by_rev ON messages (room_id, rev);
    ALTER TABLE room_counters ADD COLUMN last_rev INTEGER NOT NULL DEFAULT 0;
    UPDATE room_counters SET last_rev = last_seq;
    ALTER TABLE messages ADD COLUMN pinned_at TEXT;
    CREATE INDEX messages_pinned ON messages (room_id, pinned_at) WHERE pinned_at IS NOT NULL;
    ALTER TABLE messages ADD COLUMN poll_closes_at TEXT;
    CREATE INDEX polls_due ON messages (poll_closes_at) WHERE poll_closes_at IS NOT NULL;
    CREATE TABLE reactions (
        room_id TEXT NOT NULL,
        message_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        emoji TEXT NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (message_id, user_id, emoji)
    );
    CREATE INDEX reactions_by_user ON reactions (room_id, user_id);
    CREATE TABLE poll_votes (
        room_id TEXT NOT NULL,
        message_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        choices TEXT NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (message_id, user_id)
    );
    CREATE INDEX poll_votes_by_user ON poll_votes (room_id, user_id);
    CREATE TABLE mentions (
        room_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        PRIMARY KEY (room_id, user_id, seq)
    );
    """,
]

# 10 -> 11: full-text search (storage/documents/sqlite_search.py). ``search_items`` holds one row per
# live item, keyed by ``pos`` (its created_at in milliseconds << 20, plus a tie-breaker: newest first
# is ``pos`` descending), with its folded words (``body``: rooms.search_text.terms joined by spaces,
# so the ``ascii`` tokenizer only splits on spaces) and its scope tags; ``search_fts`` indexes both
# (external content). Triggers on every indexed table keep it in step in the writer's own transaction,
# whatever the write path (``search_terms`` and ``search_pos`` are registered on the writer's
# connection: a connection without them cannot write these tables). An update that leaves the
# document as it was (``SET doc = doc``) indexes the item again: that is how the migration backfills
# and how ``reindex`` works. Each item's values are computed once, in a subquery that ``LIMIT 1``
# keeps from being flattened (flattened, the Python functions ran once per use of their result).
_SEARCH_POS = "COALESCE((SELECT MAX(pos) + 1 FROM search_items WHERE pos >= x.b AND pos < x.b + 1048576), x.b)"
_SEARCH_INSERT = "INSERT INTO search_items (pos, kind, item_id, project_id, space_id, thread_id, ref, author_id, " \
                 "hidden, body, tags) SELECT " + _SEARCH_POS + ", "


def _search_message(new: str) -> str:
    return (_SEARCH_INSERT + f"'message', {new}.id, {new}.project_id, {new}.room_id, NULL, NULL, {new}.author_id, "
            f"x.hidden, x.body, search_tag(CASE WHEN x.hidden THEN 'h' ELSE 'v' END, {new}.project_id, "
            f"{new}.room_id) FROM (SELECT search_pos({new}.created_at) AS b, "
            f"search_terms(json_extract({new}.doc, '$.text')) AS body, "
            f"COALESCE(json_extract({new}.doc, '$.hidden'), 0) AS hidden LIMIT 1) AS x "
            f"WHERE {new}.deleted = 0 AND x.body != '';")


def _search_thread(new: str) -> str:
    return (_SEARCH_INSERT + f"'thread', {new}.id, x.project_id, {new}.forum_id, {new}.id, NULL, x.author_id, 0, "
            f"x.body, search_tag('v', x.project_id, {new}.forum_id) FROM (SELECT "
            f"search_pos(json_extract({new}.doc, '$.created_at')) AS b, json_extract({new}.doc, '$.project_id') "
            f"AS project_id, json_extract({new}.doc, '$.author_id') AS author_id, "
            f"search_terms(json_extract({new}.doc, '$.title') || ' ' || json_extract({new}.doc, '$.body')) AS body LIMIT 1) "
            f"AS x WHERE {new}.deleted = 0 AND x.body != '';")


def _search_post(new: str) -> str:
    return (_SEARCH_INSERT + f"'post', {new}.id, x.project_id, x.forum_id, {new}.thread_id, NULL, x.author_id, "
            f"x.hidden, x.body, search_tag(CASE WHEN x.hidden THEN 'h' ELSE 'v' END, x.project_id, x.forum_id) "
            f"FROM (SELECT search_pos(json_extract({new}.doc, '$.created_at')) AS b, "
            f"json_extract({new}.doc, '$.project_id') AS project_id, json_extract({new}.doc, '$.forum_id') AS forum_id, "
            f"json_extract({new}.doc, '$.author_id') AS author_id, "
            f"COALESCE(json_extract({new}.doc, '$.hidden'), 0) AS hidden, "
            f"search_terms(json_extract({new}.doc, '$.body')) AS body LIMIT 1) AS x "
            f"WHERE {new}.deleted = 0 AND x.body != '' "
            f"AND EXISTS (SELECT 1 FROM threads t WHERE t.id = {new}.thread_id AND t.deleted = 0);")


def _search_mail(new: str) -> str:
    return (_SEARCH_INSERT + f"'mail', {new}.id, {new}.project_id, NULL, NULL, NULL, "
            f"json_extract({new}.doc, '$.sender.user_id'), 0, x.body, search_tag('m', {new}.project_id, '') FROM (SELECT "
            f"search_pos(json_extract({new}.doc, '$.created_at')) AS b, search_terms(json_extract({new}.doc, "
            f"'$.subject') || ' ' || json_extract({new}.doc, '$.body')) AS body LIMIT 1) AS x "
            f"WHERE json_extract({new}.doc, '$.removed_by') IS NULL AND x.body != '';")


def _search_file(new: str) -> str:
    return (_SEARCH_INSERT + f"'file', {new}.id, {new}.project_id, x.space_id, NULL, x.ref, {new}.owner_id, 0, "
            f"x.body, search_tag('f', {new}.project_id, {new}.owner_id) "
            f"|| CASE WHEN x.space_id IS NOT NULL THEN ' ' || search_tag('v', {new}.project_id, x.space_id) ELSE '' END "
            f"|| CASE WHEN x.ref IS NOT NULL THEN ' ' || search_tag('m', {new}.project_id, '') ELSE '' END "
            f"FROM (SELECT search_pos(json_extract({new}.doc, '$.created_at')) AS b, "
            f"json_extract({new}.doc, '$.attached_to.space_id') AS space_id, "
            f"CASE WHEN json_extract({new}.doc, '$.attached_to.kind') = 'mail' "
            f"THEN json_extract({new}.doc, '$.attached_to.id') END AS ref, "
            f"search_terms(json_extract({new}.doc, '$.name')) AS body LIMIT 1) AS x "
            f"WHERE json_extract({new}.doc, '$.expired_at') IS NULL AND x.body != '';")


def _search_forget(kind: str, old: str) -> str:
    return f"DELETE FROM search_items WHERE item_id = {old}.id AND kind = '{kind}';"


def _search_triggers(table: str, kind: str, insert: str, changed: str, extra: str = "") -> str:
    """Insert, update (when what is indexed changed, or the document was rewritten as it was) and delete.
    ``created_at`` never changes, so an item keeps its position."""
    columns = "doc, deleted" if "OLD.deleted" in changed else "doc"
    return (f"CREATE TRIGGER search_{table}_insert AFTER INSERT ON {table} BEGIN {insert} END;\n"
            f"CREATE TRIGGER search_{table}_update AFTER UPDATE OF {columns} ON {table} "
            f"WHEN OLD.doc = NEW.doc OR {changed} "
            f"BEGIN {_search_forget(kind, 'OLD')} {extra} {insert} END;\n"
            f"CREATE TRIGGER search_{table}_delete AFTER DELETE ON {table} BEGIN {_search_forget(kind, 'OLD')} "
            f"{extra.replace('NEW.', 'OLD.')} END;\n")


def _json_changed(*paths: str) -> str:
    return " OR ".join(f"json_extract(OLD.doc, '{p}') IS NOT json_extract(NEW.doc, '{p}')" for p in paths)


MIGRATIONS.append(
    """
    CREATE TABLE search_items (
        pos INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        item_id TEXT NOT NULL,
        project_id TEXT NOT NULL,
        space_id TEXT,
        thread_id TEXT,
        ref TEXT,
        author_id TEXT NOT NULL,
        hidden INTEGER NOT NULL,
        body TEXT NOT NULL,
        tags TEXT NOT NULL,
        UNIQUE (item_id, kind)
    );
    CREATE INDEX search_items_by_thread ON search_items (thread_id) WHERE kind = 'post';
    CREATE VIRTUAL TABLE search_fts USING fts5(body, tags, content = 'search_items', content_rowid = 'pos',
        tokenize = 'ascii', detail = 'column');
    CREATE TRIGGER search_items_insert AFTER INSERT ON search_items BEGIN
        INSERT INTO search_fts (rowid, body, tags) VALUES (NEW.pos, NEW.body, NEW.tags); END;
    CREATE TRIGGER search_items_delete AFTER DELETE ON search_items BEGIN
        INSERT INTO search_fts (search_fts, rowid, body, tags) VALUES ('delete', OLD.pos, OLD.body, OLD.tags); END;
    """
    + _search_triggers("messages", "message", _search_message("NEW"),
                       "OLD.deleted != NEW.deleted OR " + _json_changed("$.text", "$.hidden"))
    + _search_triggers("threads", "thread", _search_thread("NEW"),
                       "OLD.deleted != NEW.deleted OR " + _json_changed("$.title", "$.body"),
                       "DELETE FROM search_items WHERE thread_id = NEW.id AND kind = 'post' AND NEW.deleted = 1;")
    + _search_triggers("posts", "post", _search_post("NEW"),
                       "OLD.deleted != NEW.deleted OR " + _json_changed("$.body", "$.hidden"))
    + _search_triggers("mails", "mail", _search_mail("NEW"), _json_changed("$.removed_by", "$.subject", "$.body"))
    + _search_triggers("files", "file", _search_file("NEW"), _json_changed("$.name", "$.attached_to", "$.expired_at"))
    + """
    UPDATE messages SET doc = doc;
    UPDATE threads SET doc = doc;
    UPDATE posts SET doc = doc;
    UPDATE mails SET doc = doc;
    UPDATE files SET doc = doc;
    """
)

# 11 -> 12: chat messages are indexed in batches after their send, not in its transaction: a send only
# notes its message in ``search_backlog`` (one small row), and ``SearchTables`` indexes the backlog
# within a second, and before every search (so a search still finds every message stored before it).
# Indexed in the send's transaction, a message cost the store twice its CPU (docs/performance.md).
# Edits, deletions, hiding, retention and erasure of messages stay indexed in their own transaction.
MIGRATIONS.append(
    """
    DROP TRIGGER search_messages_insert;
    CREATE TABLE search_backlog (message_id TEXT PRIMARY KEY) WITHOUT ROWID;
    CREATE TRIGGER search_messages_noted AFTER INSERT ON messages BEGIN
        INSERT OR IGNORE INTO search_backlog (message_id) VALUES (NEW.id); END;
    """
)

# 12 -> 13: the messages a retention sweep has left, and a project's messages, found by one plain index.
# ``expired`` is 1 once retention has cleared a message (``deleted_by`` "retention"). The partial index
# that sweeps used parsed every message's document on its insert (``json_extract`` in its condition),
# and ``messages_by_project_age`` was a second index on the same columns: one index on columns serves
# a sweep (a project's unexpired messages before a date) and a project's deletion (its messages), and
# a send maintains one index fewer (docs/performance.md).
MIGRATIONS.append(
    """
    ALTER TABLE messages ADD COLUMN expired INTEGER NOT NULL DEFAULT 0;
    UPDATE messages SET expired = 1 WHERE json_extract(doc, '$.deleted_by') IS 'retention';
    DROP INDEX messages_to_expire;
    DROP INDEX messages_by_project_age;
    CREATE INDEX messages_by_project ON messages (project_id, expired, created_at);
    """
)

# 13 -> 14: a number that moves with every write to projects, spaces and members, whoever writes
# (this process, another one, a command): what a send reads of its room, its project and its sender's
# membership is kept in memory and read again only when that number moved (sqlite_projects.py,
# ``get_space_access``), so a send reads one small row, not three documents (docs/performance.md).
MIGRATIONS.append(
    """
    CREATE TABLE access_version (v INTEGER NOT NULL);
    INSERT INTO access_version (v) VALUES (0);
    """
    + "".join(f"CREATE TRIGGER access_{table}_{verb.lower()} AFTER {verb} ON {table} BEGIN "
              f"UPDATE access_version SET v = v + 1; END;\n"
              for table in ("projects", "spaces", "members") for verb in ("INSERT", "UPDATE", "DELETE"))
)
