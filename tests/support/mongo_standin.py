"""An in-process stand-in for MongoDB: mongomock behind the slice of PyMongo's async API the adapter uses.

No MongoDB server can be installed from the package sources these machines
reach; this runs every query the MongoDB adapter issues, in CI. Against a
real server, set ``TWINSPACE_TEST_MONGODB_URL``. What it does not emulate:
real concurrency (each call runs at once, in the event loop's thread),
server selection and network errors (a test injects those it needs
through :class:`Faults`).
"""

from __future__ import annotations

import asyncio
from typing import Any

import mongomock
from pymongo.errors import AutoReconnect


class Faults:
    """Calls to break on purpose: ``(collection, method)`` -> how many of the next calls fail.

    A failing call raises ``AutoReconnect`` (the connection dropped) without reaching the data.
    With ``interleave``, every call first yields to the event loop, so that concurrent writes
    interleave between their steps as they would against a server.
    """

    def __init__(self, interleave: bool = False) -> None:
        self.failing: dict[tuple[str, str], int] = {}
        self.interleave = interleave

    def check(self, collection: str, method: str) -> None:
        left = self.failing.get((collection, method), 0)
        if left > 0:
            self.failing[(collection, method)] = left - 1
            raise AutoReconnect(f"injected fault: {collection}.{method}")


class _Cursor:
    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor

    def sort(self, keys: list[tuple[str, int]]) -> _Cursor:
        self._cursor = self._cursor.sort(keys)
        return self

    def limit(self, n: int) -> _Cursor:
        self._cursor = self._cursor.limit(n)
        return self

    async def to_list(self, length: int | None = None) -> list[dict[str, Any]]:
        items = list(self._cursor)
        return items if length is None else items[:length]


class _Collection:
    def __init__(self, collection: Any, faults: Faults | None) -> None:
        self._collection = collection
        self._faults = faults

    def find(self, *args: Any, **kwargs: Any) -> _Cursor:
        return _Cursor(self._collection.find(*args, **kwargs))

    async def aggregate(self, pipeline: list[dict[str, Any]]) -> _Cursor:
        return _Cursor(self._collection.aggregate(pipeline))

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._collection, name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            if self._faults is not None:
                if self._faults.interleave:
                    await asyncio.sleep(0)
                self._faults.check(self._collection.name, name)
            return method(*args, **kwargs)
        return call


class _Database:
    def __init__(self, database: Any, faults: Faults | None) -> None:
        self._database = database
        self._faults = faults

    def __getitem__(self, name: str) -> _Collection:
        return _Collection(self._database[name], self._faults)


class _Admin:
    async def command(self, name: str) -> dict[str, Any]:
        assert name == "ping"
        return {"ok": 1.0}


class StandInClient:
    """What ``AsyncMongoClient(url)`` gives, backed by one mongomock client (shared to survive reopening)."""

    def __init__(self, backing: mongomock.MongoClient, faults: Faults | None = None) -> None:
        self._backing = backing
        self._faults = faults
        self.admin = _Admin()

    def __getitem__(self, name: str) -> _Database:
        return _Database(self._backing[name], self._faults)

    async def close(self) -> None:
        return None
