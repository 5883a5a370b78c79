"""Plumbing of the MongoDB document store: the client, indexes, counters, error translation.

PyMongo's async API (``AsyncMongoClient``), created in :meth:`open`, which
runs inside the server's lifespan and so on its event loop. Every driver
error becomes ``Unavailable`` at this package's edge.

Without multi-document transactions, a few writes that SQLite makes in one
transaction are here a sequence of single-document atomic steps; each
module says where, and why what remains is safe.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar
from urllib.parse import urlsplit

from pydantic import BaseModel
from pymongo import ASCENDING, DESCENDING, AsyncMongoClient, ReturnDocument
from pymongo.errors import OperationFailure, PyMongoError

from rooms.errors import Unavailable

SERVER_SELECTION_MS = 5_000  # a MongoDB that does not answer in 5 s is down for a chat server

P = ParamSpec("P")
R = TypeVar("R")
M = TypeVar("M", bound=BaseModel)

# collection -> indexes: (keys, unique). Created at start; create_index is idempotent.
INDEXES: dict[str, list[tuple[list[tuple[str, int]], bool]]] = {
    "projects": [([("status", ASCENDING), ("created_at", ASCENDING)], False),
                 ([("chat_retention_days", ASCENDING), ("_id", ASCENDING)], False)],
    "members": [([("project_id", ASCENDING), ("user_id", ASCENDING)], True),
                ([("project_id", ASCENDING), ("order", ASCENDING)], False),
                ([("user_id", ASCENDING)], False)],
    "spaces": [([("project_id", ASCENDING), ("order", ASCENDING)], False)],
    "messages": [([("room_id", ASCENDING), ("seq", ASCENDING)], True),
                 ([("room_id", ASCENDING), ("author_id", ASCENDING), ("client_id", ASCENDING)], True),
                 ([("project_id", ASCENDING), ("created_at", ASCENDING)], False),
                 ([("room_id", ASCENDING), ("rev", ASCENDING)], False),  # the change feed
                 ([("room_id", ASCENDING), ("mention_ids", ASCENDING), ("seq", ASCENDING)], False),
                 ([("room_id", ASCENDING), ("pinned_at", DESCENDING)], False),
                 ([("poll_closes_at", ASCENDING)], False)],
    # Reactions: a message's (its counts, who reacted), a person's in a room (their own marks on a page)
    # and in a project (erasure).
    "reactions": [([("message_id", ASCENDING), ("at", ASCENDING)], False),
                  ([("room_id", ASCENDING), ("user_id", ASCENDING), ("message_id", ASCENDING)], False),
                  ([("user_id", ASCENDING), ("project_id", ASCENDING)], False)],
    "threads": [([("forum_id", ASCENDING), ("deleted", ASCENDING), ("pinned", DESCENDING),
                  ("activity", DESCENDING)], False)],
    "posts": [([("thread_id", ASCENDING), ("seq", ASCENDING)], True)],
    "mail_copies": [([("owner_id", ASCENDING), ("folder", ASCENDING), ("order", DESCENDING)], False),
                    ([("owner_id", ASCENDING), ("folder", ASCENDING), ("read", ASCENDING)], False)],
    "files": [([("project_id", ASCENDING)], False)],
    "quota_reservations": [([("project_id", ASCENDING), ("expires_at", ASCENDING)], False)],
    "audit_log": [([("project_id", ASCENDING), ("order", DESCENDING)], False)],
    "reports": [([("project_id", ASCENDING), ("state", ASCENDING), ("order", DESCENDING)], False),
                ([("reporter_id", ASCENDING), ("item_key", ASCENDING)], True),  # one report per person per item
                ([("reporter_id", ASCENDING), ("order", DESCENDING)], False),
                ([("state", ASCENDING), ("escalated", ASCENDING), ("created_at", ASCENDING)], False),
                ([("escalated", ASCENDING), ("order", DESCENDING)], False)],
    "poll_votes": [([("message_id", ASCENDING), ("at", ASCENDING)], False),  # a poll's voters, oldest first
                   ([("project_id", ASCENDING), ("user_id", ASCENDING)], False)],  # a person's, for an erasure
    "mails": [([("project_id", ASCENDING), ("supervised", ASCENDING), ("order", DESCENDING)], False),
              ([("conversation_id", ASCENDING), ("order", ASCENDING)], False)],
}
# A person's items found by author, for an export or an erasure (storage/documents/mongo_people.py).
for _name, _keys in (("messages", ["author_id", "project_id", "_id"]),
                     ("threads", ["doc.author_id", "doc.project_id", "_id"]),
                     ("posts", ["doc.author_id", "doc.project_id", "_id"]),
                     ("mails", ["doc.sender.user_id", "project_id", "_id"]),
                     ("mails", ["project_id", "doc.to.user_id"]),
                     ("mail_copies", ["owner_id", "project_id"]),
                     ("files", ["owner_id", "project_id", "_id"]),
                     ("thread_markers", ["user_id"])):
    INDEXES.setdefault(_name, []).append(([(k, ASCENDING) for k in _keys], False))


# What the retention sweeps and the deletion of ended projects look up by project and age.
INDEXES["posts"] = INDEXES["posts"] + [([("doc.project_id", ASCENDING), ("doc.created_at", ASCENDING)], False)]
INDEXES["threads"] = INDEXES["threads"] + [([("doc.project_id", ASCENDING), ("doc.created_at", ASCENDING)], False)]
INDEXES["mails"] = INDEXES["mails"] + [([("project_id", ASCENDING), ("doc.created_at", ASCENDING)], False)]
INDEXES["files"] = INDEXES["files"] + [([("project_id", ASCENDING), ("doc.expired_at", ASCENDING)], False)]
INDEXES["mail_copies"] = INDEXES["mail_copies"] + [([("project_id", ASCENDING)], False)]
INDEXES["thread_markers"] = [([("thread_id", ASCENDING)], False)]
# Search (storage/documents/mongo_search.py): the words (multikey) of a project's items, newest first;
# a thread's entry and its posts' (a thread's deletion), a mail's and its files' (a copy's deletion).
INDEXES["search"] = [([("project_id", ASCENDING), ("words", ASCENDING), ("created_at", DESCENDING)], False),
                     ([("thread_id", ASCENDING)], False),
                     ([("mail_id", ASCENDING)], False),
                     ([("project_id", ASCENDING), ("owners", ASCENDING)], False)]


def translated(method: Callable[P, Coroutine[Any, Any, R]]) -> Callable[P, Coroutine[Any, Any, R]]:
    """Driver errors leave as ``Unavailable``."""
    @functools.wraps(method)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await method(*args, **kwargs)
        except OperationFailure as exc:  # its text holds the documents written ("full error: {... 'op': ...}"):
            # the code only, and not as the cause, so no log line or traceback carries a message's text
            raise Unavailable("backend.unavailable", backend="mongodb",
                              detail=f"{type(exc).__name__} (code {exc.code})") from None
        except PyMongoError as exc:
            raise Unavailable("backend.unavailable", backend="mongodb", detail=str(exc)) from exc
    return wrapper


def load(cls: type[M], record: dict[str, Any]) -> M:
    return cls.model_validate(record["doc"])


def dump(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json")


def doc_set(changes: dict[str, Any]) -> dict[str, Any]:
    """``$set`` for changes to the model kept under ``doc``."""
    return {f"doc.{k}": (v.model_dump(mode="json") if isinstance(v, BaseModel) else v) for k, v in changes.items()}


def database_name(url: str) -> str:
    return urlsplit(url).path.strip("/") or "twinspace"


class MongoBase:
    def __init__(self, url: str, client_factory: Callable[[str], Any] | None = None) -> None:
        self._url = url
        self._factory = client_factory or (
            lambda u: AsyncMongoClient(u, serverSelectionTimeoutMS=SERVER_SELECTION_MS))
        self._client: Any = None
        self._db: Any = None

    async def open(self) -> None:
        try:
            self._client = self._factory(self._url)
            self._db = self._client[database_name(self._url)]
            await self._client.admin.command("ping")
            for name, indexes in INDEXES.items():
                for keys, unique in indexes:
                    await self._db[name].create_index(keys, unique=unique)
        except PyMongoError as exc:
            await self.aclose()
            raise Unavailable("backend.unavailable", backend="mongodb", detail=str(exc)) from exc

    async def aclose(self) -> None:
        """Close the client; safe to call more than once."""
        client, self._client, self._db = self._client, None, None
        if client is not None:
            await client.close()

    @translated
    async def ping(self) -> None:
        if self._client is None:
            raise Unavailable("backend.unavailable", backend="mongodb")
        await self._client.admin.command("ping")

    def _c(self, name: str) -> Any:
        if self._db is None:
            raise Unavailable("backend.unavailable", backend="mongodb")
        return self._db[name]

    async def _next(self, counter: str) -> int:
        """The next number of a counter, atomically (one document, ``$inc``)."""
        record = await self._c("counters").find_one_and_update(
            {"_id": counter}, {"$inc": {"n": 1}}, upsert=True, return_document=ReturnDocument.AFTER)
        return int(record["n"])

    async def _peek(self, counter: str) -> int:
        record = await self._c("counters").find_one({"_id": counter})
        return int(record["n"]) if record else 0
