"""The document port's adapters, for every contract test.

- ``sqlite``: always;
- ``mongo-standin``: always, the MongoDB adapter on an in-process stand-in (mongomock), so that
  every query it issues runs in CI;
- ``mongo``: the MongoDB adapter on a real server, when ``TWINSPACE_TEST_MONGODB_URL`` is set
  (each test in a database of its own, dropped afterwards).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import mongomock
import pytest

import storage
from rooms.ports import DocumentStore
from storage.documents.mongo import MongoDocumentStore
from tests.support.mongo_standin import StandInClient

Opener = Callable[[], AbstractAsyncContextManager[DocumentStore]]
REAL_MONGODB = os.environ.get("TWINSPACE_TEST_MONGODB_URL")


def _sqlite(tmp_path: Path) -> Iterator[Opener]:
    yield lambda: storage.open_documents(f"sqlite://{tmp_path / 'contract.db'}")


def _mongo_standin(tmp_path: Path) -> Iterator[Opener]:
    backing = mongomock.MongoClient()  # one backing client: data survives closing and reopening

    @asynccontextmanager
    async def opened() -> AsyncIterator[DocumentStore]:
        store = MongoDocumentStore("mongodb://stand-in/contract", client_factory=lambda url: StandInClient(backing))
        await store.open()
        try:
            yield store
        finally:
            await store.aclose()

    yield opened


def _mongo(tmp_path: Path) -> Iterator[Opener]:
    assert REAL_MONGODB is not None
    name = f"twinspace_contract_{uuid.uuid4().hex[:12]}"
    base = REAL_MONGODB.rstrip("/")
    url = f"{base}/{name}" if base.count("/") == 2 else base.rsplit("/", 1)[0] + f"/{name}"
    yield lambda: storage.open_documents(url)
    from pymongo import MongoClient

    with MongoClient(REAL_MONGODB) as client:
        client.drop_database(name)


ADAPTERS = {"sqlite": _sqlite, "mongo-standin": _mongo_standin, **({"mongo": _mongo} if REAL_MONGODB else {})}


@pytest.fixture(params=sorted(ADAPTERS))
def opener(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Opener]:
    yield from ADAPTERS[request.param](tmp_path)


@pytest.fixture
async def store(opener: Opener) -> AsyncIterator[DocumentStore]:
    async with opener() as s:
        yield s
