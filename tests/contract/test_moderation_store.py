"""The restriction writes of the document port, on every adapter: mutes, room rules, safeguarding
settings, hiding, and moderators' deletions, each stored with its audit entry (and without one
when nothing was changed)."""

from __future__ import annotations

from rooms.audit_models import AuditEntry
from rooms.ids import new_id, utcnow
from rooms.ports import DocumentStore
from rooms.safeguarding_models import ChatHours, Mute, Safeguarding
from tests.contract import builders as b


def _entry(project_id: str, action: str, target_id: str) -> AuditEntry:
    return AuditEntry(id=new_id("aud"), project_id=project_id, actor_id="t1", actor_name="Teacher",
                      actor_role="teacher", action=action, target_kind="x", target_id=target_id,
                      before={"n": 0}, after={"n": 1}, at=utcnow())


async def _logged(store: DocumentStore, project_id: str) -> list[tuple[str, str]]:
    return [(e.action, e.target_id) for e, _ in await store.list_audit(project_id, None, 50)][::-1]


async def test_mutes_replace_the_members_and_are_read_with_the_space(store: DocumentStore) -> None:
    p = b.project("validated")
    await store.create_project(p, [b.member(p.id, "t1"), b.member(p.id, "p1", "pupil")])
    room = b.space(p.id)
    await store.add_space(room, 10)
    mutes = [Mute(room_id=None, until="2026-12-01T11:00:00.000Z", by="t1"),
             Mute(room_id=room.id, until="2026-12-02T11:00:00.000Z", by="t1")]
    member = await store.set_mutes(p.id, "p1", mutes, audit=_entry(p.id, "member.mute", "p1"))
    assert member is not None and member.mutes == mutes and member.role == "pupil"
    assert await store.get_member(p.id, "p1") == member
    found = await store.get_space_access(room.id, "p1")  # what every send reads: the mutes come with it
    assert found is not None and found[2] == member
    again = await store.set_mutes(p.id, "p1", mutes[1:])
    assert again is not None and again.mutes == mutes[1:]
    assert await store.set_mutes(p.id, "nobody", mutes, audit=_entry(p.id, "member.mute", "nobody")) is None
    assert await _logged(store, p.id) == [("member.mute", "p1")]  # none for the member that is not there


async def test_room_rules_change_the_space_and_nothing_else(store: DocumentStore) -> None:
    p = b.project("validated")
    await store.create_project(p, [b.member(p.id, "t1")])
    room = b.space(p.id, "teachers")
    await store.add_space(room, 10)
    updated = await store.update_space(room.id, {"read_only": True, "slow_mode_secs": 30},
                                       audit=_entry(p.id, "space.configure", room.id))
    assert updated == room.model_copy(update={"read_only": True, "slow_mode_secs": 30})
    assert await store.get_space(room.id) == updated
    found = await store.get_space_access(room.id, "t1")
    assert found is not None and found[0] == updated
    assert await store.list_spaces(p.id, ("teachers",)) == [updated]  # still listed by its visibility
    assert await store.update_space("spc_none", {"read_only": True}, audit=_entry(p.id, "space.configure", "x")) is None
    assert await _logged(store, p.id) == [("space.configure", room.id)]


async def test_safeguarding_settings_are_the_projects(store: DocumentStore) -> None:
    p = b.project("validated")
    await store.create_project(p, [b.member(p.id, "t1")])
    room = b.space(p.id)
    await store.add_space(room, 10)
    rules = Safeguarding(chat_hours=ChatHours(timezone="Europe/Paris", days=[1, 2, 3, 4, 5], start="08:00",
                                              end="17:00"), word_filter="block", custom_words=["idiot"],
                         mail_policy="teachers_only")
    project = await store.set_safeguarding(p.id, rules, audit=_entry(p.id, "project.safeguard", p.id))
    assert project == p.model_copy(update={"safeguarding": rules})
    assert await store.get_project(p.id) == project
    found = await store.get_space_access(room.id, "t1")
    assert found is not None and found[1].safeguarding == rules
    off = await store.set_safeguarding(p.id, rules.model_copy(update={"chat_hours": None}))
    assert off is not None and off.safeguarding.chat_hours is None
    assert await store.set_safeguarding("prj_none", rules, audit=_entry(p.id, "project.safeguard", "x")) is None
    assert await _logged(store, p.id) == [("project.safeguard", p.id)]


async def test_a_hidden_message_keeps_its_text_and_seq(store: DocumentStore) -> None:
    first, _ = await store.append_message(b.message("r1", project_id="prj_h"))
    second, _ = await store.append_message(b.message("r1", project_id="prj_h", text="keep"))
    hidden = await store.hide_message("r1", first.id, True, "t1", utcnow(),
                                      audit=_entry("prj_h", "message.hide", first.id))
    assert hidden == first.model_copy(update={"hidden": True, "hidden_by": "t1", "rev": hidden.rev})
    assert hidden.rev > second.rev  # the room's latest change
    assert await store.get_message("r1", first.id) == hidden
    assert [m.id for m in await store.messages_after("r1", 0, 10)] == [first.id, second.id]
    shown = await store.hide_message("r1", first.id, False, "t2", utcnow(),
                                     audit=_entry("prj_h", "message.unhide", first.id))
    assert shown == first.model_copy(update={"rev": shown.rev}) and shown.rev > hidden.rev  # shown again: as it was
    await store.delete_message("r1", second.id, "t1", utcnow(), audit=_entry("prj_h", "message.delete", second.id))
    assert await store.hide_message("r1", second.id, True, "t1", utcnow(),
                                    audit=_entry("prj_h", "message.hide", second.id)) is None  # a tombstone
    assert await store.hide_message("r2", first.id, True, "t1", utcnow()) is None  # another room's
    assert await _logged(store, "prj_h") == [("message.hide", first.id), ("message.unhide", first.id),
                                             ("message.delete", second.id)]


async def test_a_moderators_deletion_is_recorded_with_it(store: DocumentStore) -> None:
    message, _ = await store.append_message(b.message("r1", project_id="prj_d"))
    assert await store.delete_message("r1", message.id, "t1", utcnow(),
                                      audit=_entry("prj_d", "message.delete", message.id)) is not None
    assert await store.delete_message("r1", message.id, "t1", utcnow(),
                                      audit=_entry("prj_d", "message.delete", message.id)) is None  # gone already
    t = b.thread("f1")
    await store.create_thread(t)
    post = await store.add_post(b.post(t.id, "f1"))
    assert post is not None
    hidden = await store.update_post(post.id, {"hidden": True, "hidden_by": "t1"},
                                     audit=_entry("prj_d", "post.hide", post.id))
    assert hidden is not None and hidden.hidden and hidden.body == "p"
    assert await store.update_post(post.id, {"body": None, "deleted": True},
                                   audit=_entry("prj_d", "post.delete", post.id)) is not None
    assert await store.update_post(post.id, {"deleted": True}, audit=_entry("prj_d", "post.delete", post.id)) is None
    assert await store.update_thread(t.id, {"deleted": True}, audit=_entry("prj_d", "thread.delete", t.id))
    assert await store.update_thread(t.id, {"deleted": True}, audit=_entry("prj_d", "thread.delete", t.id)) is None
    f = b.file("prj_d")
    await store.add_file(f)
    assert await store.delete_file(f.id, audit=_entry("prj_d", "file.delete", f.id))
    assert not await store.delete_file(f.id, audit=_entry("prj_d", "file.delete", f.id))
    assert await _logged(store, "prj_d") == [("message.delete", message.id), ("post.hide", post.id),
                                             ("post.delete", post.id), ("thread.delete", t.id),
                                             ("file.delete", f.id)]
