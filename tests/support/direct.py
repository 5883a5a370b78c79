"""Direct writes to a SQLite document store's file, for what a test needs set and no action sets yet.

Only for settings read fresh on every request (the project's document): a server running on the
file sees the change on its next read.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path


def set_mail_policy(db: Path, project_id: str, policy: str) -> None:
    """Write ``Project.safeguarding.mail_policy`` into the stored project."""
    with sqlite3.connect(db, isolation_level=None) as conn:
        conn.execute("PRAGMA busy_timeout=5000")
        row = conn.execute("SELECT doc FROM projects WHERE id = ?", (project_id,)).fetchone()
        assert row is not None, project_id
        doc = json.loads(row[0])
        doc["safeguarding"]["mail_policy"] = policy
        conn.execute("UPDATE projects SET doc = ? WHERE id = ?", (json.dumps(doc), project_id))
    conn.close()
