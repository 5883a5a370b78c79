"""Supervised mail, mail moderation and the audit log against a running server, over Socket.IO and REST.

The project's mail policy is set through ``PATCH …/safeguarding``, as a teacher sets it.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.clients import (
    Api,
    Person,
    Project,
    make_project,
    ok,
    person,
    realtime,
    safeguard,
    without_request_id,
)
from tests.support.server import ServerProcess


@pytest.fixture
async def project(server: ServerProcess) -> Project:
    return await make_project(server)


async def _partner_pupil(server: ServerProcess, project: Project) -> Person:
    """A pupil of the partner school, given access by the partner teacher."""
    pupil = person(server, "pupil_it", "pupil")
    async with Api(server, project.partner.token) as api:
        r = await api.post(f"/projects/{project.id}/members",
                           {"user_id": pupil.id, "role": "pupil", "display_name": "Marco"})
        assert r.status_code == 201, r.text
    return pupil


async def _folder(server: ServerProcess, token: str, folder: str = "inbox") -> list[dict[str, Any]]:
    async with Api(server, token) as api:
        r = await api.get("/mail", params={"folder": folder})
        assert r.status_code == 200, r.text
        return r.json()["copies"]  # type: ignore[no-any-return]


async def test_teachers_of_both_schools_read_a_pupil_to_pupil_conversation(server: ServerProcess,
                                                                           project: Project) -> None:
    marco = await _partner_pupil(server, project)
    async with realtime(server, project.pupil.token) as pupil:
        first = (await ok(pupil, "mail:send", {"project_id": project.id, "to": [marco.id], "subject": "Rivers",
                                               "body": "Our river is the Rhône."}))["mail"]
    async with realtime(server, marco.token) as pupil_it:
        reply = (await ok(pupil_it, "mail:send", {"reply_to": first["id"], "body": "Ours is the Po."}))["mail"]
    assert first["supervised"] is True and reply["supervised"] is True
    conversation = first["conversation_id"]
    for teacher in (project.admin, project.partner, project.teacher):  # both schools, admins and teachers
        async with realtime(server, teacher.token) as rt:
            page = await ok(rt, "mail:supervised", {"project_id": project.id})
            assert [m["id"] for m in page["mails"]] == [reply["id"], first["id"]] and page["next_cursor"] is None
            seen = await ok(rt, "mail:conversation", {"project_id": project.id, "conversation_id": conversation})
        assert [(m["sender"]["user_id"], [c["user_id"] for c in m["to"]], m["subject"], m["body"])
                for m in seen["mails"]] == [(project.pupil.id, [marco.id], "Rivers", "Our river is the Rhône."),
                                            (marco.id, [project.pupil.id], "Re: Rivers", "Ours is the Po.")]
    async with Api(server, project.partner.token) as api:
        r = await api.get(f"/projects/{project.id}/mail/supervised", params={"limit": 1})
        assert r.status_code == 200 and [m["id"] for m in r.json()["mails"]] == [reply["id"]], r.text
        r = await api.get(f"/projects/{project.id}/mail/supervised", params={"cursor": r.json()["next_cursor"]})
        assert [m["id"] for m in r.json()["mails"]] == [first["id"]]
        r = await api.get(f"/projects/{project.id}/mail/conversations/{conversation}")
        assert r.status_code == 200 and len(r.json()["mails"]) == 2, r.text
    # The readings are in the audit log, as the admin sees it.
    async with Api(server, project.admin.token) as api:
        r = await api.get(f"/projects/{project.id}/audit", params={"action": "mail.supervise_read",
                                                                    "target_id": conversation})
        assert r.status_code == 200, r.text
        readers = [e["actor_id"] for e in r.json()["entries"]]
    assert readers == [project.partner.id, project.teacher.id, project.partner.id, project.admin.id]
    # Pupils and visitors do not supervise.
    for who in (project.pupil, project.visitor):
        async with realtime(server, who.token) as rt:
            ack = await rt.call("mail:conversation", {"project_id": project.id, "conversation_id": conversation})
        assert ack["error"]["code"] == "permission.denied", ack


async def test_a_pupils_mail_to_a_visitor_is_refused_and_nothing_is_stored(server: ServerProcess,
                                                                           project: Project) -> None:
    async with realtime(server, project.pupil.token) as pupil:
        ack = await pupil.call("mail:send", {"project_id": project.id, "to": [project.admin.id, project.visitor.id],
                                             "subject": "Hello", "body": "Hi"})
    assert ack["ok"] is False and ack["error"]["code"] == "mail.recipient_not_allowed", ack
    assert ack["error"]["data"] == {"count": 1, "policy": "supervised"}
    async with Api(server, project.pupil.token) as api:
        r = await api.post("/mail", {"project_id": project.id, "to": [project.visitor.id], "subject": "Hello",
                                     "body": "Hi"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "mail.recipient_not_allowed", r.text
    assert await _folder(server, project.pupil.token, "sent") == []
    assert await _folder(server, project.visitor.token) == [] and await _folder(server, project.admin.token) == []
    async with Api(server, project.admin.token) as api:
        assert (await api.get(f"/projects/{project.id}/mail/supervised")).json()["mails"] == []


async def test_teachers_only_refuses_pupil_to_pupil(server: ServerProcess, project: Project) -> None:
    marco = await _partner_pupil(server, project)
    await safeguard(server, project, mail_policy="teachers_only")
    async with realtime(server, project.pupil.token) as pupil:
        ack = await pupil.call("mail:send", {"project_id": project.id, "to": [marco.id], "subject": "Hi",
                                             "body": "Ciao"})
        assert ack["error"]["code"] == "mail.recipient_not_allowed", ack
        assert ack["error"]["data"] == {"count": 1, "policy": "teachers_only"}
        sent = await ok(pupil, "mail:send", {"project_id": project.id, "to": [project.partner.id, project.teacher.id],
                                             "subject": "Question", "body": "When is the visit?"})
    assert sent["mail"]["supervised"] is True
    assert await _folder(server, marco.token) == []


async def test_removal_clears_every_copy_and_tells_only_the_owners(server: ServerProcess, project: Project) -> None:
    marco = await _partner_pupil(server, project)
    async with (realtime(server, project.pupil.token) as pupil, realtime(server, marco.token) as pupil_it,
                realtime(server, project.admin.token) as admin):
        mail = (await ok(pupil, "mail:send", {"project_id": project.id, "to": [marco.id, project.teacher.id],
                                              "subject": "Rude", "body": "Something unkind"}))["mail"]
        async with Api(server, project.partner.token) as api:
            r = await api.delete(f"/projects/{project.id}/mail/{mail['id']}")
        assert r.status_code == 200, r.text
        removed = r.json()
        assert (removed["subject"], removed["body"], removed["attachments"], removed["removed_by"]) == \
            ("", "", [], project.partner.id)
        told = {"mail_id": mail["id"], "project_id": project.id}
        assert await pupil.wait_for("mail:removed") == [told]
        assert await pupil_it.wait_for("mail:removed") == [told]
        # The admin holds no copy: a mail sent to them after the removal arrives with nothing before it.
        async with Api(server, project.teacher.token) as api:
            r = await api.post("/mail", {"project_id": project.id, "to": [project.admin.id], "subject": "Marker",
                                         "body": "m"})
            assert r.status_code == 201, r.text
        marker = (await admin.wait_for("mail:received"))[0]
        assert admin.before(marker, "mail:removed") == []
        for owner in (pupil, pupil_it):
            copy = await ok(owner, "mail:get", {"mail_id": mail["id"]})
            assert (copy["mail"]["body"], copy["mail"]["removed_by"]) == ("", project.partner.id)
    for token, folder in ((project.pupil.token, "sent"), (marco.token, "inbox"), (project.teacher.token, "inbox")):
        listed = [c for c in await _folder(server, token, folder) if c["mail"]["id"] == mail["id"]]
        assert len(listed) == 1 and listed[0]["mail"]["body"] == "" and listed[0]["mail"]["removed_by"]  # no gap
    async with realtime(server, project.pupil.token) as pupil:  # a pupil does not moderate
        ack = await pupil.call("mail:remove", {"mail_id": mail["id"]})
    assert ack["error"]["code"] == "permission.denied", ack


async def test_the_audit_log_holds_every_action_in_order(server: ServerProcess, project: Project) -> None:
    p = f"/projects/{project.id}"
    async with Api(server, project.admin.token) as api:
        r = await api.post(p + "/members", {"role": "pupil", "display_name": "Zoé"})
        assert r.status_code == 201, r.text
        zoe = r.json()["user_id"]
        assert (await api.patch(p + f"/members/{project.teacher.id}", {"role": "admin"})).status_code == 200
        assert (await api.patch(p + "/settings", {"chat_retention_days": 60})).status_code == 200
        assert (await api.delete(p + f"/members/{zoe}")).status_code == 204
        r = await api.post(p + "/spaces", {"name": "Photos"})
        assert r.status_code == 201, r.text
        photos = r.json()["id"]
    async with realtime(server, project.admin.token) as admin:
        page = await ok(admin, "audit:list", {"project_id": project.id, "limit": 200})
        entries = list(reversed(page["entries"]))
        assert [e["action"] for e in entries] == [
            "project.register", "project.validate", "member.add", "member.add", "member.add", "space.create",
            "member.add", "member.role", "project.configure", "member.remove", "space.create"]
        assert [(e["actor_id"], e["target_id"], e["before"], e["after"]) for e in entries[6:]] == [
            (project.admin.id, zoe, None, {"role": "pupil"}),
            (project.admin.id, project.teacher.id, {"role": "teacher"}, {"role": "admin"}),
            (project.admin.id, project.id, {"chat_retention_days": None}, {"chat_retention_days": 60}),
            (project.admin.id, zoe, None, None),
            (project.admin.id, photos, None, {"kind": "chat", "name": "Photos", "visibility": "members"})]
        assert entries[1]["actor_id"] == project.support.id and entries[1]["actor_role"] == "support"
        assert [e["at"] for e in entries] == sorted(e["at"] for e in entries)
        about_zoe = await ok(admin, "audit:list", {"project_id": project.id, "target_id": zoe})
        assert [e["action"] for e in about_zoe["entries"]] == ["member.remove", "member.add"]
        roles = await ok(admin, "audit:list", {"project_id": project.id, "action": "member.role"})
        assert [e["target_id"] for e in roles["entries"]] == [project.teacher.id]
        by_support = await ok(admin, "audit:list", {"project_id": project.id, "actor_id": project.support.id})
        assert [e["action"] for e in by_support["entries"]] == ["project.validate"]
        first = await ok(admin, "audit:list", {"project_id": project.id, "limit": 4})
        rest = await ok(admin, "audit:list", {"project_id": project.id, "cursor": first["next_cursor"], "limit": 200})
        assert first["entries"] + rest["entries"] == page["entries"]
    async with Api(server, project.support.token) as api:  # a support officer reads it over REST
        r = await api.get(p + "/audit", params={"action": "member.add"})
        assert r.status_code == 200 and len(r.json()["entries"]) == 4, r.text
    for who in (project.partner, project.pupil, project.visitor):  # the partner is an admin: allowed
        async with Api(server, who.token) as api:
            r = await api.get(p + "/audit")
        if who is project.partner:
            assert r.status_code == 200, r.text
        else:
            assert r.status_code == 403 and r.json()["error"]["code"] == "permission.denied", r.text
    async with realtime(server, project.by_role("teacher").token) as teacher:  # now an admin (the role change)
        assert (await teacher.call("audit:list", {"project_id": project.id}))["ok"] is True
    async with Api(server, project.outsider.token) as api:
        r = await api.get(p + "/audit")
    assert r.status_code == 404 and r.json()["error"]["code"] == "project.not_found"


async def test_a_teacher_who_is_not_admin_cannot_read_the_log(server: ServerProcess, project: Project) -> None:
    async with realtime(server, project.teacher.token) as teacher:
        ack = await teacher.call("audit:list", {"project_id": project.id})
    assert without_request_id(ack["error"]) == {"code": "permission.denied", "message": ack["error"]["message"],
                            "data": {"action": "audit.read"}}


async def test_nobody_edits_or_deletes_the_log(server: ServerProcess, project: Project) -> None:
    async with Api(server, project.admin.token) as api:
        for method in ("PUT", "PATCH", "DELETE", "POST"):
            r = await api.request(method, f"/projects/{project.id}/audit", json={"entries": []})
            assert r.status_code == 405 and r.json()["error"]["code"] == "request.method_not_allowed", (method, r.text)
        r = await api.get(f"/projects/{project.id}/audit")
        assert r.status_code == 200 and len(r.json()["entries"]) == 6, r.text
    async with realtime(server, project.admin.token) as admin:
        ack = await admin.call("audit:delete", {"project_id": project.id})
    assert ack["error"]["code"] == "request.invalid", ack  # no such event


async def test_bad_input_is_refused_clearly(server: ServerProcess, project: Project) -> None:
    async with realtime(server, project.admin.token) as admin:
        for event, payload in (("audit:list", {"project_id": project.id, "limit": 0}),
                               ("audit:list", {"project_id": project.id, "cursor": "not a cursor"}),
                               ("audit:list", {"project_id": project.id, "colour": "red"}),
                               ("mail:supervised", {"project_id": project.id, "limit": 1000}),
                               ("mail:conversation", {"project_id": project.id}),
                               ("mail:remove", {})):
            ack = await admin.call(event, payload)
            assert ack["ok"] is False and ack["error"]["code"] == "request.invalid", (event, payload, ack)
        ack = await admin.call("mail:remove", {"mail_id": "mail_none"})
        assert ack["error"]["code"] == "mail.not_found", ack
        ack = await admin.call("mail:conversation", {"project_id": project.id, "conversation_id": "conv_none"})
        assert ack["error"]["code"] == "mail.not_found", ack
    async with Api(server, project.admin.token) as api:
        r = await api.get(f"/projects/{project.id}/audit", params={"limit": "many"})
        assert r.status_code == 400 and r.json()["error"]["code"] == "request.invalid", r.text
        r = await api.delete(f"/projects/{project.id}/mail/mail_none")
        assert r.status_code == 404 and r.json()["error"]["code"] == "mail.not_found", r.text
