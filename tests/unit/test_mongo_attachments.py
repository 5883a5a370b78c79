"""The MongoDB adapter's claims on files, where they differ from a transaction: on the stand-in.

Without multi-document transactions, a chat send claims its files, then inserts its message
(``storage/documents/mongo_files.py``). These are the cases a transaction never meets: a send
that died between the two, and a retry that overtakes its first send.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import mongomock
import pytest

from rooms.errors import NotAttachable, Unavailable
from rooms.file_models import Attachment, FileRef
from storage.documents.mongo import MongoDocumentStore
from tests.contract.builders import file, message
from tests.support.mongo_standin import Faults, StandInClient


@pytest.fixture
def faults() -> Faults:
    return Faults()


@pytest.fixture
async def store(faults: Faults) -> AsyncIterator[MongoDocumentStore]:
    backing = mongomock.MongoClient()
    opened = MongoDocumentStore("mongodb://stand-in/claims", client_factory=lambda url: StandInClient(backing, faults))
    await opened.open()
    yield opened
    await opened.aclose()


async def a_file(store: MongoDocumentStore) -> FileRef:
    record = file("prj_x")
    await store.add_file(record)
    return FileRef(id=record.id, name=record.name, size=record.size, content_type=record.content_type)


async def test_a_retry_takes_over_the_claim_of_a_send_that_died(store: MongoDocumentStore, faults: Faults) -> None:
    ref = await a_file(store)
    # The insert fails and so does the release: the file stays claimed for a message that never came.
    faults.failing[("messages", "insert_one")] = 1
    faults.failing[("files", "update_many")] = 1
    with pytest.raises(Unavailable):
        await store.append_message(message("r1", client_id="c1").model_copy(update={"attachments": [ref]}))
    stuck = (await store.get_file(ref.id)).attached_to  # type: ignore[union-attr]
    assert stuck is not None and await store.get_message("r1", stuck.id) is None

    # Another send cannot take it; the retry of that send (same client_id) can.
    with pytest.raises(NotAttachable):
        await store.append_message(message("r1", client_id="c2").model_copy(update={"attachments": [ref]}))
    retried, created = await store.append_message(message("r1", client_id="c1").model_copy(
        update={"attachments": [ref]}))
    assert created
    assert (await store.get_file(ref.id)).attached_to == Attachment(  # type: ignore[union-attr]
        kind="message", id=retried.id, space_id="r1")
    seqs = [m.seq for m in await store.messages_after("r1", 0, 10)]
    assert seqs == list(range(1, await store.last_seq("r1") + 1))  # the failed send's seq is a tombstone


async def test_a_retry_racing_its_first_send_leaves_the_files_with_the_stored_message(
        store: MongoDocumentStore, faults: Faults) -> None:
    ref = await a_file(store)
    faults.interleave = True
    first = message("r1", client_id="c1").model_copy(update={"attachments": [ref]})
    retry = message("r1", client_id="c1").model_copy(update={"attachments": [ref]})
    (a, a_created), (b, b_created) = await asyncio.gather(store.append_message(first), store.append_message(retry))
    assert a == b and [a_created, b_created].count(True) == 1
    assert (await store.get_file(ref.id)).attached_to == Attachment(  # type: ignore[union-attr]
        kind="message", id=a.id, space_id="r1")
    stored = await store.messages_after("r1", 0, 10)
    assert [m.seq for m in stored] == list(range(1, await store.last_seq("r1") + 1))
    assert [m.id for m in stored if not m.deleted] == [a.id]


async def test_sends_of_different_client_ids_racing_for_a_file_store_one(store: MongoDocumentStore,
                                                                         faults: Faults) -> None:
    ref = await a_file(store)
    faults.interleave = True
    sends = [message("r1", client_id=f"c{i}").model_copy(update={"attachments": [ref]}) for i in range(3)]
    results = await asyncio.gather(*(store.append_message(m) for m in sends), return_exceptions=True)
    stored = [r[0] for r in results if isinstance(r, tuple)]
    assert len(stored) == 1 and sum(isinstance(r, NotAttachable) for r in results) == 2
    assert (await store.get_file(ref.id)).attached_to == Attachment(  # type: ignore[union-attr]
        kind="message", id=stored[0].id, space_id="r1")
    assert [m.seq for m in await store.messages_after("r1", 0, 10)] == [1] and await store.last_seq("r1") == 1
