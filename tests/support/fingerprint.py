"""A cheap fingerprint of what a server stored: the row count of every table of its SQLite database."""

from __future__ import annotations

import sqlite3

from tests.support.server import ServerProcess


def row_counts(server: ServerProcess) -> dict[str, int]:
    """Rows per table, read through a connection of its own (the server writes in WAL mode meanwhile)."""
    db = sqlite3.connect(f"file:{server.data_dir / 'twinspace.db'}?mode=ro", uri=True, timeout=10)
    try:
        tables = [name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {t: db.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}
    finally:
        db.close()
