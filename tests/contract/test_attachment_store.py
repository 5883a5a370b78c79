"""Attaching files in the write of the item they belong to, on every document adapter.

A message, thread, post or mail attaches the files it lists in the same write
that stores it. A write whose file was taken stores nothing; a write that fails
leaves its files free; and no file is ever left attached to an item that does
not exist.
"""

from __future__ import annotations

import asyncio

import pytest

from rooms.errors import NotAttachable, Unavailable
from rooms.file_models import Attachment, FileRecord, FileRef
from rooms.ports import DocumentStore
from tests.contract.builders import file, mail, message, post, thread
from tests.contract.conftest import FailingInserts


def refs(*records: FileRecord) -> list[FileRef]:
    return [FileRef(id=r.id, name=r.name, size=r.size, content_type=r.content_type) for r in records]


async def files(store: DocumentStore, n: int, owner: str = "u1") -> list[FileRecord]:
    made = [file("prj_x", owner=owner) for _ in range(n)]
    for record in made:
        await store.add_file(record)
    return made


async def attached(store: DocumentStore, record: FileRecord) -> Attachment | None:
    stored = await store.get_file(record.id)
    assert stored is not None
    return stored.attached_to


async def dangling(store: DocumentStore, records: list[FileRecord]) -> list[str]:
    """The files attached to an item the store does not have."""
    missing = []
    for record in records:
        to = await attached(store, record)
        if to is None:
            continue
        if to.kind == "message":
            assert to.space_id is not None
            found: object = await store.get_message(to.space_id, to.id)
        elif to.kind == "thread":
            found = await store.get_thread(to.id)
        elif to.kind == "post":
            found = await store.get_post(to.id)
        else:
            found = await store.get_copy(record.owner_id, to.id)
        if found is None:
            missing.append(record.id)
    return missing


async def gap_free(store: DocumentStore, room: str) -> bool:
    seqs = [m.seq for m in await store.messages_after(room, 0, 100)]
    return seqs == list(range(1, await store.last_seq(room) + 1))


async def test_stored_items_have_their_files_attached(store: DocumentStore) -> None:
    made = await files(store, 5)
    m, created = await store.append_message(message("r1", client_id="c1").model_copy(
        update={"attachments": refs(*made[:2])}))
    assert created and m.attachments == refs(*made[:2])
    for record in made[:2]:
        assert await attached(store, record) == Attachment(kind="message", id=m.id, space_id="r1")
    # The retry of a stored send gets it back; its files are attached to it, and to nothing else.
    again, created = await store.append_message(message("r1", client_id="c1").model_copy(
        update={"attachments": refs(*made[:2])}))
    assert not created and again == m
    t = await store.create_thread(thread("f1").model_copy(update={"attachments": refs(made[2])}))
    assert await attached(store, made[2]) == Attachment(kind="thread", id=t.id, space_id="f1")
    p = await store.add_post(post(t.id, "f1").model_copy(update={"attachments": refs(made[3])}))
    assert p is not None and p.attachments == refs(made[3])
    assert await attached(store, made[3]) == Attachment(kind="post", id=p.id, space_id="f1")
    sent, copies = mail("u1", ["p1"])
    sent = sent.model_copy(update={"attachments": refs(made[4])})
    await store.store_mail(sent, [c.model_copy(update={"mail": sent}) for c in copies])
    assert await attached(store, made[4]) == Attachment(kind="mail", id=sent.id)
    assert (await store.get_copy("p1", sent.id)).mail.attachments == refs(made[4])  # type: ignore[union-attr]
    assert await dangling(store, made) == []


async def test_a_write_whose_file_is_taken_stores_nothing(store: DocumentStore) -> None:
    taken, free, *others = await files(store, 4)
    first, _ = await store.append_message(message("r1").model_copy(update={"attachments": refs(taken)}))
    where = await attached(store, taken)

    # The free file is listed first: its claim is undone when the taken one is refused.
    with pytest.raises(NotAttachable) as refused:
        await store.append_message(message("r1", client_id="c2").model_copy(update={"attachments": refs(free, taken)}))
    assert refused.value.code == "file.not_attachable" and refused.value.data["file_id"] == taken.id
    assert await store.find_message("r1", "u1", "c2") is None
    assert await store.last_seq("r1") == 1 and [m.id for m in await store.messages_after("r1", 0, 10)] == [first.id]
    with pytest.raises(NotAttachable):  # someone else's file
        await store.append_message(message("r1", author="u2").model_copy(update={"attachments": refs(free)}))
    assert await store.read_marker("r1", "u2") == 0 and await store.last_seq("r1") == 1

    with pytest.raises(NotAttachable):
        await store.create_thread(thread("f1").model_copy(update={"attachments": refs(free, taken)}))
    assert await store.list_threads("f1", None, 10) == []

    t = await store.create_thread(thread("f1"))
    refused_post = post(t.id, "f1").model_copy(update={"attachments": refs(free, taken)})
    with pytest.raises(NotAttachable):
        await store.add_post(refused_post)
    assert await store.get_post(refused_post.id) is None and await store.list_posts(t.id, 0, 10) == []
    assert (await store.get_thread(t.id)).post_count == 0  # type: ignore[union-attr]
    assert await store.thread_markers([t.id], "u1") == {}
    await store.update_thread(t.id, {"locked": True})
    assert await store.add_post(post(t.id, "f1").model_copy(update={"attachments": refs(free)})) is None

    sent, copies = mail("u1", ["p1"])
    sent = sent.model_copy(update={"attachments": refs(free, taken)})
    with pytest.raises(NotAttachable):
        await store.store_mail(sent, [c.model_copy(update={"mail": sent}) for c in copies])
    assert await store.get_copy("u1", sent.id) is None and await store.get_copy("p1", sent.id) is None
    assert await store.unread_mail("p1") == 0

    assert await attached(store, free) is None and await attached(store, taken) == where
    assert await dangling(store, [taken, free, *others]) == []
    # The refused send left nothing behind, not even its client_id: sent again without the taken file, it is new.
    again, created = await store.append_message(message("r1", client_id="c2").model_copy(
        update={"attachments": refs(free)}))
    assert created and again.seq == 2 and await gap_free(store, "r1")
    assert await attached(store, free) == Attachment(kind="message", id=again.id, space_id="r1")


async def test_sends_racing_for_one_file_store_one_of_them(store: DocumentStore) -> None:
    (contested,) = await files(store, 1)
    sends = [message("r1").model_copy(update={"attachments": refs(contested)}), message("r1"),
             message("r1").model_copy(update={"attachments": refs(contested)})]
    results = await asyncio.gather(*(store.append_message(m) for m in sends), return_exceptions=True)
    stored = [r[0] for r in results if isinstance(r, tuple)]
    refused = [r for r in results if isinstance(r, BaseException)]
    assert len(stored) == 2 and len(refused) == 1 and isinstance(refused[0], NotAttachable)
    winner = next(m for m in stored if m.attachments)
    assert await attached(store, contested) == Attachment(kind="message", id=winner.id, space_id="r1")
    assert [m.id for m in await store.messages_after("r1", 0, 10) if not m.deleted] == [m.id for m in stored]
    assert await gap_free(store, "r1")


async def test_a_failed_write_leaves_its_files_free_for_the_retry(store: DocumentStore,
                                                                  failing_inserts: FailingInserts) -> None:
    made = await files(store, 4)
    send = message("r1", client_id="c1").model_copy(update={"attachments": refs(made[0])})
    with failing_inserts("messages"), pytest.raises(Unavailable):
        await store.append_message(send)
    assert await attached(store, made[0]) is None and await store.find_message("r1", "u1", "c1") is None
    assert await gap_free(store, "r1")
    retried, created = await store.append_message(message("r1", client_id="c1").model_copy(
        update={"attachments": refs(made[0])}))
    assert created and await attached(store, made[0]) == Attachment(kind="message", id=retried.id, space_id="r1")
    assert await gap_free(store, "r1")

    new_thread = thread("f1").model_copy(update={"attachments": refs(made[1])})
    with failing_inserts("threads"), pytest.raises(Unavailable):
        await store.create_thread(new_thread)
    assert await attached(store, made[1]) is None and await store.get_thread(new_thread.id) is None
    t = await store.create_thread(thread("f1").model_copy(update={"attachments": refs(made[1])}))

    new_post = post(t.id, "f1").model_copy(update={"attachments": refs(made[2])})
    with failing_inserts("posts"), pytest.raises(Unavailable):
        await store.add_post(new_post)
    assert await attached(store, made[2]) is None and await store.get_post(new_post.id) is None
    assert await store.add_post(post(t.id, "f1").model_copy(update={"attachments": refs(made[2])})) is not None

    for table in ("mails", "mail_copies"):  # the mail itself, then its copies after it
        sent, copies = mail("u1", ["p1"])
        sent = sent.model_copy(update={"attachments": refs(made[3])})
        with failing_inserts(table), pytest.raises(Unavailable):
            await store.store_mail(sent, [c.model_copy(update={"mail": sent}) for c in copies])
        assert await attached(store, made[3]) is None
        assert await store.get_copy("u1", sent.id) is None and await store.get_copy("p1", sent.id) is None
    sent, copies = mail("u1", ["p1"])
    sent = sent.model_copy(update={"attachments": refs(made[3])})
    await store.store_mail(sent, [c.model_copy(update={"mail": sent}) for c in copies])
    assert await attached(store, made[3]) == Attachment(kind="mail", id=sent.id)
    assert await dangling(store, made) == []
