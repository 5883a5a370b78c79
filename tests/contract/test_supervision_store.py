"""The supervision half of the MailStore contract, on every document adapter: supervised mails by
project and by conversation, one mail by id, and a moderator's removal from every copy."""

from __future__ import annotations

from rooms.audit_models import AuditEntry
from rooms.file_models import FileRef
from rooms.mail_models import Mail, MailCopy
from rooms.ports import DocumentStore
from tests.contract.builders import file, mail


def _supervised(sender: str, to: list[str], project_id: str = "prj_a", conversation_id: str | None = None,
                supervised: bool = True) -> tuple[Mail, list[MailCopy]]:
    sent, copies = mail(sender, to, project_id=project_id)
    changes: dict[str, object] = {"supervised": supervised}
    if conversation_id is not None:
        changes["conversation_id"] = conversation_id
    sent = sent.model_copy(update=changes)
    return sent, [c.model_copy(update={"mail": sent}) for c in copies]


def _audit(n: int, target: str) -> AuditEntry:
    return AuditEntry(id=f"aud_rm{n}", project_id="prj_a", actor_id="t1", actor_name="Teacher", actor_role="teacher",
                      action="mail.remove", target_kind="mail", target_id=target, at="2026-12-01T10:00:00.000Z")


async def test_supervised_mails_newest_first_with_a_cursor(store: DocumentStore) -> None:
    ids = []
    for i in range(5):
        sent, copies = _supervised("p1", ["p2"], supervised=i != 2)
        await store.store_mail(sent, copies)
        ids.append(sent.id)
    other, copies = _supervised("p1", ["p2"], project_id="prj_b")
    await store.store_mail(other, copies)
    staff, copies = _supervised("t1", ["t2"], supervised=False)
    await store.store_mail(staff, copies)
    expected = [ids[4], ids[3], ids[1], ids[0]]
    page = await store.list_supervised_mail("prj_a", None, 2)
    assert [m.id for m, _ in page] == expected[:2]
    rest = await store.list_supervised_mail("prj_a", page[-1][1], 10)
    assert [m.id for m, _ in rest] == expected[2:]
    assert rest[0][0].supervised and rest[0][0].subject == "s"  # the mail as sent
    assert [m.id for m, _ in await store.list_supervised_mail("prj_b", None, 10)] == [other.id]
    assert await store.list_supervised_mail("prj_none", None, 10) == []


async def test_a_conversation_holds_only_its_supervised_mails_in_order(store: DocumentStore) -> None:
    first, copies = _supervised("p1", ["p2"], conversation_id="conv_1")
    await store.store_mail(first, copies)
    staff_reply, copies = _supervised("t1", ["t2"], conversation_id="conv_1", supervised=False)
    await store.store_mail(staff_reply, copies)
    reply, copies = _supervised("p2", ["p1"], conversation_id="conv_1")
    await store.store_mail(reply, copies)
    elsewhere, copies = _supervised("p1", ["p2"], conversation_id="conv_2")
    await store.store_mail(elsewhere, copies)
    assert [m.id for m in await store.conversation_mails("prj_a", "conv_1", 10)] == [first.id, reply.id]
    assert [m.id for m in await store.conversation_mails("prj_a", "conv_1", 1)] == [first.id]
    assert await store.conversation_mails("prj_b", "conv_1", 10) == []  # another project's id: nothing
    assert await store.conversation_mails("prj_a", "conv_none", 10) == []


async def test_get_mail_whoever_holds_copies(store: DocumentStore) -> None:
    sent, copies = _supervised("p1", ["p2"])
    await store.store_mail(sent, copies)
    assert await store.get_mail(sent.id) == sent
    assert await store.delete_copy("p1", sent.id) and await store.delete_copy("p2", sent.id)
    assert await store.get_mail(sent.id) == sent  # the mail outlives its copies (supervision, reports)
    assert await store.get_mail("mail_none") is None


async def test_removal_clears_every_copy_once_with_its_audit_entry(store: DocumentStore) -> None:
    record = file("prj_a", owner="p1")
    await store.add_file(record)
    sent, copies = _supervised("p1", ["p2", "p3"])
    sent = sent.model_copy(update={"attachments": [FileRef(id=record.id, name=record.name, size=record.size,
                                                           content_type=record.content_type)]})
    copies = [c.model_copy(update={"mail": sent}) for c in copies]
    await store.store_mail(sent, copies)
    assert (await store.get_mail(sent.id)).attachments == sent.attachments  # type: ignore[union-attr]
    removed = await store.remove_mail(sent.id, "t1", "2026-12-01T10:00:00.000Z", audit=_audit(1, sent.id))
    assert removed is not None
    assert (removed.subject, removed.body, removed.body_html, removed.attachments) == ("", "", "", [])
    assert (removed.removed_by, removed.removed_at) == ("t1", "2026-12-01T10:00:00.000Z")
    assert (removed.sender, removed.to, removed.created_at) == (sent.sender, sent.to, sent.created_at)
    for owner, folder in (("p1", "sent"), ("p2", "inbox"), ("p3", "inbox")):
        copy = await store.get_copy(owner, sent.id)
        assert copy is not None and copy.mail == removed and copy.folder == folder  # still listed, as removed
    assert await store.get_mail(sent.id) == removed
    assert [m.id for m, _ in await store.list_supervised_mail("prj_a", None, 10)] == [sent.id]
    # A second removal changes nothing and records nothing.
    assert await store.remove_mail(sent.id, "t2", "2026-12-01T11:00:00.000Z", audit=_audit(2, sent.id)) is None
    assert (await store.get_mail(sent.id)) == removed
    assert await store.remove_mail("mail_none", "t1", "2026-12-01T10:00:00.000Z", audit=_audit(3, "x")) is None
    assert [e.id for e, _ in await store.list_audit("prj_a", None, 10)] == ["aud_rm1"]
