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
]
