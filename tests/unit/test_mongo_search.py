"""The MongoDB adapter's search where it differs from a transaction, on the stand-in: the index is
written after its item, so an entry may be missing or stale; a stale one never reveals more than the
item allows now, a page is still filled, and ``reindex`` repairs. Also its prefixes and its ranking."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import mongomock
import pytest

from rooms.file_models import FileRef
from rooms.ids import utcnow
from rooms.search_models import SEARCH_KINDS, SearchQuery, SearchScope
from rooms.search_text import terms
from storage.documents.mongo import MongoDocumentStore
from storage.documents.mongo_search import _escaped, rank
from tests.contract import builders as b
from tests.support.mongo_standin import Faults, StandInClient

P, ROOM = "prj_x", "spc_room"
PUPIL = SearchScope(project_id=P, spaces=(ROOM,), mail_owner="p1", files_of="p1")


@pytest.fixture
def faults() -> Faults:
    return Faults()


@pytest.fixture
async def store(faults: Faults) -> AsyncIterator[MongoDocumentStore]:
    backing: Any = mongomock.MongoClient()
    opened = MongoDocumentStore("mongodb://stand-in/search", client_factory=lambda url: StandInClient(backing, faults))
    await opened.open()
    yield opened
    await opened.aclose()


async def found(store: MongoDocumentStore, text: str, scope: SearchScope = PUPIL, limit: int = 50,
                **changes: object) -> list[str]:
    query = SearchQuery(words=tuple(terms(text)), **changes)
    return [h.id for h in await store.search(scope, query, limit)]


async def reindex_all(store: MongoDocumentStore) -> None:
    for kind in SEARCH_KINDS:
        after = ""
        while (step := await store.reindex(kind, after, 100))[0]:
            after = step[1]


async def test_the_last_word_is_an_anchored_prefix(store: MongoDocumentStore) -> None:
    river, _ = await store.append_message(b.message(ROOM, text="Ο ποταμός river Rhein-Main 2026"))
    assert await found(store, "ποτ") == [river.id]
    assert await found(store, "riv") == [river.id]
    assert await found(store, "ver") == []  # the start of a word only
    assert await found(store, "tamos") == []
    assert await found(store, "rhein ma") == [river.id]  # every word; the last as a prefix
    assert await found(store, "ma rhein") == []  # only the last is a prefix
    assert await found(store, "202") == [river.id]
    assert _escaped("a.b*") == "a\\.b\\*"  # nothing of a word is read as a pattern


async def test_a_stale_entry_reveals_nothing_and_reindex_repairs_it(store: MongoDocumentStore,
                                                                    faults: Faults) -> None:
    hidden, _ = await store.append_message(b.message(ROOM, text="gossip about a classmate"))
    edited, _ = await store.append_message(b.message(ROOM, text="first draft"))
    faults.failing[("search", "replace_one")] = 2  # the hide and the edit land; their entries do not
    assert await store.hide_message(ROOM, hidden.id, True, "t1", utcnow()) is not None  # the write still answers
    assert await store.edit_message(ROOM, edited.id, "final version", utcnow()) is not None
    assert await found(store, "gossip") == []  # the entry still says "not hidden": the stored message wins
    assert await found(store, "draft") == []  # the old words are not found (nor their text shown)
    assert await found(store, "final") == []  # the new ones are missing until the index is repaired
    teacher = PUPIL.model_copy(update={"moderated": (ROOM,)})
    assert await found(store, "gossip", teacher) == [hidden.id]
    await reindex_all(store)
    assert await found(store, "final") == [edited.id]
    assert await found(store, "gossip") == []


async def test_a_stale_mail_entry_and_a_page_still_filled(store: MongoDocumentStore, faults: Faults) -> None:
    mail, copies = b.mail("t1", ["p1"])
    mail = mail.model_copy(update={"subject": "marks", "body": "your marks"})
    await store.store_mail(mail, [c.model_copy(update={"mail": mail}) for c in copies])
    assert await found(store, "marks") == [mail.id]
    faults.failing[("search", "update_many")] = 1  # the copy goes; the entry keeps p1 as an owner
    await store.delete_copy("p1", mail.id)
    assert await found(store, "marks") == []
    # A page skips the stale candidates and takes the next ones.
    kept = [(await store.append_message(b.message(ROOM, text=f"lesson {k}",
                                                  created_at=f"2026-10-0{k}T10:00:00.000Z")))[0] for k in (1, 2, 3)]
    faults.failing[("search", "replace_one")] = 1
    await store.delete_message(ROOM, kept[2].id, "u1", utcnow())  # the newest: its entry stays
    assert await found(store, "lesson", limit=2) == [kept[1].id, kept[0].id]
    assert await found(store, "lesson", limit=1, order="best") == [kept[1].id]
    assert await found(store, "lesson", limit=1, order="best", after=1) == [kept[0].id]


async def test_a_retry_indexes_a_send_whose_entry_was_lost(store: MongoDocumentStore, faults: Faults) -> None:
    sent = b.message(ROOM, text="homework for monday", client_id="c1")
    faults.failing[("search", "replace_one")] = 1
    first, created = await store.append_message(sent)
    assert created and await found(store, "homework") == []
    again, created = await store.append_message(sent)
    assert not created and again.id == first.id
    assert await found(store, "homework") == [first.id]


def test_best_ranks_the_rarer_word_and_the_shorter_item_first() -> None:
    def entry(i: str, words: list[str], length: int) -> dict[str, object]:
        return {"id": i, "kind": "message", "words": words, "length": length, "created_at": i}
    newest_first = [entry("4", ["bridge"], 30), entry("3", ["bridge", "rhine"], 30),
                    entry("2", ["bridge"], 3), entry("1", ["bridge", "rhine"], 3)]
    ranked = rank(newest_first, SearchQuery(words=("bridge", "rh")))
    assert [e["id"] for e in ranked] == ["1", "3", "2", "4"]
    assert [e["id"] for e in rank(newest_first, SearchQuery(words=("bridge",)))] == ["2", "1", "4", "3"]


async def test_a_file_is_found_through_its_item_as_it_is_read(store: MongoDocumentStore) -> None:
    upload = b.file(P, owner="p2").model_copy(update={"name": "volcano.png"})
    await store.add_file(upload)
    ref = FileRef(id=upload.id, name=upload.name, size=upload.size, content_type=upload.content_type)
    sent, _ = await store.append_message(b.message(ROOM, author="p2", text="look").model_copy(
        update={"attachments": [ref]}))
    teacher = PUPIL.model_copy(update={"moderated": (ROOM,), "mail_owner": "t1", "files_of": "t1"})
    uploader = PUPIL.model_copy(update={"mail_owner": "p2", "files_of": "p2"})
    assert await found(store, "volcano") == [upload.id]
    await store.hide_message(ROOM, sent.id, True, "t1", utcnow())
    assert await found(store, "volcano") == []  # hidden with its message
    assert await found(store, "volcano", teacher) == [upload.id]
    await store.delete_message(ROOM, sent.id, "p2", utcnow())
    assert await found(store, "volcano", teacher) == []
    assert await found(store, "volcano", uploader) == [upload.id]  # their own upload, whatever its item
