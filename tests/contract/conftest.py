"""The document port's adapters, for every contract test.

- ``sqlite``: always;
- ``mongo-standin``: always, the MongoDB adapter on an in-process stand-in (mongomock), so that
  every query it issues runs in CI;
- ``mongo``: the MongoDB adapter on a real server, when ``TWINSPACE_TEST_MONGODB_URL`` is set
  (each test in a database of its own, dropped afterwards).

``failing_inserts(table)`` makes the item write that inserts into one table (SQLite) or
collection (MongoDB) fail while its block runs, for the tests of what a failed write leaves
behind: on SQLite a trigger aborts every insert into the table (the write is rolled back, so
nothing else is tried); on the stand-in the connection drops on the next ``insert_one`` and the
next ``insert_many`` into the collection, and what the adapter does next to clean up goes
through. A real server has no such hook: those tests are skipped there.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, AbstractContextManager, asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import mongomock
import pytest

import storage
from rooms.ports import DocumentStore
from storage.documents.mongo import MongoDocumentStore
from tests.support.mongo_standin import Faults, StandInClient

Opener = Callable[[], AbstractAsyncContextManager[DocumentStore]]
FailingInserts = Callable[[str], AbstractContextManager[None]]
REAL_MONGODB = os.environ.get("TWINSPACE_TEST_MONGODB_URL")


@dataclass(frozen=True)
class Adapter:
    opener: Opener
    failing_inserts: FailingInserts | None  # None: this adapter cannot be broken on purpose


def _sqlite(tmp_path: Path) -> Iterator[Adapter]:
    path = tmp_path / "contract.db"

    @contextmanager
    def failing_inserts(table: str) -> Iterator[None]:
        # Another connection adds the trigger: the store's own connections stay untouched.
        with sqlite3.connect(path, isolation_level=None) as conn:
            conn.execute(f"CREATE TRIGGER injected_fault BEFORE INSERT ON {table} "
                         "BEGIN SELECT RAISE(ABORT, 'injected fault'); END")
        try:
            yield
        finally:
            with sqlite3.connect(path, isolation_level=None) as conn:
                conn.execute("DROP TRIGGER injected_fault")

    yield Adapter(lambda: storage.open_documents(f"sqlite://{path}"), failing_inserts)


def _mongo_standin(tmp_path: Path) -> Iterator[Adapter]:
    backing = mongomock.MongoClient()  # one backing client: data survives closing and reopening
    faults = Faults()

    @asynccontextmanager
    async def opened() -> AsyncIterator[DocumentStore]:
        store = MongoDocumentStore("mongodb://stand-in/contract",
                                   client_factory=lambda url: StandInClient(backing, faults))
        await store.open()
        try:
            yield store
        finally:
            await store.aclose()

    @contextmanager
    def failing_inserts(collection: str) -> Iterator[None]:
        for method in ("insert_one", "insert_many"):
            faults.failing[(collection, method)] = 1
        try:
            yield
        finally:
            faults.failing.clear()

    yield Adapter(opened, failing_inserts)


def _mongo(tmp_path: Path) -> Iterator[Adapter]:
    assert REAL_MONGODB is not None
    name = f"twinspace_contract_{uuid.uuid4().hex[:12]}"
    base = REAL_MONGODB.rstrip("/")
    url = f"{base}/{name}" if base.count("/") == 2 else base.rsplit("/", 1)[0] + f"/{name}"
    yield Adapter(lambda: storage.open_documents(url), None)
    from pymongo import MongoClient

    with MongoClient(REAL_MONGODB) as client:
        client.drop_database(name)


ADAPTERS = {"sqlite": _sqlite, "mongo-standin": _mongo_standin, **({"mongo": _mongo} if REAL_MONGODB else {})}


@pytest.fixture(params=sorted(ADAPTERS))
def adapter(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Adapter]:
    yield from ADAPTERS[request.param](tmp_path)


@pytest.fixture
def opener(adapter: Adapter) -> Opener:
    return adapter.opener


@pytest.fixture
def failing_inserts(adapter: Adapter) -> FailingInserts:
    if adapter.failing_inserts is None:
        pytest.skip("this adapter has no way to inject a fault")
    return adapter.failing_inserts


@pytest.fixture
async def store(opener: Opener) -> AsyncIterator[DocumentStore]:
    async with opener() as s:
        yield s
