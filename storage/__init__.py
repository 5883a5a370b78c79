"""Adapters behind the domain's ports, picked by URL.

- documents: ``sqlite:///path`` (embedded default) or ``mongodb://HOST/DB`` (``mongodb+srv://`` too)
- objects: ``file:///path`` (embedded default);
  ``s3://KEY:SECRET@HOST:PORT/BUCKET?secure=false&region=R`` (``minio://`` too)
- fan-out: ``memory://`` (one process), ``redis://`` (many instances; see ``storage.ephemeral``) or
  ``redis+cluster://HOST:PORT,HOST:PORT`` (many instances on a Redis Cluster)

``open_documents`` and ``open_objects`` are async context managers: they
open a store and close it exactly once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from rooms.ports import DocumentStore, ObjectStore

if TYPE_CHECKING:
    from storage.documents.mongo import MongoDocumentStore
    from storage.documents.sqlite import SqliteDocumentStore
    from storage.objects.localfs import LocalObjectStore
    from storage.objects.s3 import S3ObjectStore

DOCUMENT_SCHEMES = ("sqlite", "mongodb", "mongodb+srv")
OBJECT_SCHEMES = ("file", "s3", "minio")
FANOUT_SCHEMES = ("memory", "redis", "rediss", "redis+cluster", "rediss+cluster")


def url_path(url: str) -> Path:
    """The filesystem path of ``sqlite:///x`` or ``file:///x`` URLs."""
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        raise ValueError(f"{url!r}: a local path URL has no host (use three slashes)")
    if not parts.path:
        raise ValueError(f"{url!r}: the path is missing")
    return Path("/" + parts.path.lstrip("/"))


@asynccontextmanager
async def open_documents(url: str) -> AsyncIterator[DocumentStore]:
    scheme = urlsplit(url).scheme
    store: SqliteDocumentStore | MongoDocumentStore
    if scheme == "sqlite":
        from storage.documents.sqlite import SqliteDocumentStore

        store = SqliteDocumentStore(url_path(url))
    elif scheme in ("mongodb", "mongodb+srv"):
        from storage.documents.mongo import MongoDocumentStore

        store = MongoDocumentStore(url)
    else:
        raise ValueError(f"unsupported document store scheme {scheme!r} (supported: {DOCUMENT_SCHEMES})")
    await store.open()
    try:
        yield store
    finally:
        await store.aclose()


@asynccontextmanager
async def open_objects(url: str) -> AsyncIterator[ObjectStore]:
    scheme = urlsplit(url).scheme
    store: LocalObjectStore | S3ObjectStore
    if scheme == "file":
        from storage.objects.localfs import LocalObjectStore

        store = LocalObjectStore(url_path(url))
    elif scheme in ("s3", "minio"):
        from storage.objects.s3 import S3ObjectStore, parse_s3_url

        store = S3ObjectStore(parse_s3_url(url))
    else:
        raise ValueError(f"unsupported object store scheme {scheme!r} (supported: {OBJECT_SCHEMES})")
    try:
        await store.open()
    except BaseException:
        await store.aclose()  # threads and connections made before the service was found down
        raise
    try:
        yield store
    finally:
        await store.aclose()
