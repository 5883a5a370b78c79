"""Scans of everything a store holds, for the erasure tests: which of some markers are still anywhere?

Every SQLite table (every row, every column, JSON documents included), every collection of the
MongoDB stand-in, every object of the local files folder or of an S3 bucket.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from storage.documents.mongo import MongoDocumentStore
from storage.documents.sqlite import SqliteDocumentStore


def _found(haystack: str | bytes, markers: Iterable[str | bytes]) -> set[str | bytes]:
    hits: set[str | bytes] = set()
    for marker in markers:
        if isinstance(haystack, bytes):
            needle = marker if isinstance(marker, bytes) else marker.encode()
            if needle in haystack:
                hits.add(marker)
        elif isinstance(marker, str) and marker in haystack:
            hits.add(marker)
    return hits


def scan_sqlite(path: Path, markers: Iterable[str | bytes]) -> dict[str, set[str | bytes]]:
    """table -> the markers found in its rows."""
    markers = list(markers)
    found: dict[str, set[str | bytes]] = {}
    with sqlite3.connect(path) as conn:
        tables = [name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            for row in conn.execute(f'SELECT * FROM "{table}"'):
                for cell in row:
                    if isinstance(cell, str | bytes):
                        hits = _found(cell, markers)
                        if hits:
                            found.setdefault(table, set()).update(hits)
    return found


def scan_mongo_standin(store: MongoDocumentStore, markers: Iterable[str | bytes]) -> dict[str, set[str | bytes]]:
    """collection -> the markers found in its documents (the stand-in's own mongomock database)."""
    markers = list(markers)
    database: Any = store._db._database  # noqa: SLF001 - the stand-in's backing database
    found: dict[str, set[str | bytes]] = {}
    for name in database.list_collection_names():
        for record in database[name].find():
            hits = _found(json.dumps(record, default=str, ensure_ascii=False), markers)
            if hits:
                found.setdefault(name, set()).update(hits)
    return found


def scan_store(store: object, markers: Iterable[str | bytes]) -> dict[str, set[str | bytes]]:
    if isinstance(store, SqliteDocumentStore):
        return scan_sqlite(store._path, markers)  # noqa: SLF001
    assert isinstance(store, MongoDocumentStore)
    return scan_mongo_standin(store, markers)


def scan_folder(root: Path, markers: Iterable[str | bytes]) -> dict[str, set[str | bytes]]:
    """file (relative path) -> the markers found in its name or bytes."""
    markers = list(markers)
    found: dict[str, set[str | bytes]] = {}
    for path in root.rglob("*"):
        if path.is_file():
            hits = _found(path.read_bytes(), markers) | _found(str(path.relative_to(root)), markers)
            if hits:
                found[str(path.relative_to(root))] = hits
    return found


def scan_bucket(client: Any, bucket: str, markers: Iterable[str | bytes]) -> dict[str, set[str | bytes]]:
    """object key -> the markers found in its key or bytes (a ``minio.Minio`` client)."""
    markers = list(markers)
    found: dict[str, set[str | bytes]] = {}
    for obj in client.list_objects(bucket, recursive=True):
        response = client.get_object(bucket, obj.object_name)
        try:
            data = response.read()
        finally:
            response.close()
            response.release_conn()
        hits = _found(data, markers) | _found(str(obj.object_name), markers)
        if hits:
            found[str(obj.object_name)] = hits
    return found
