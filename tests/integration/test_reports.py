"""Reports against a running server with real clients: live to both teachers, never naming the reporter to
the reported pupil; kept as reported; refused twice; rate-limited; decided; the word filter; e-mail notices."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from tests.support.clients import Api, Person, Project, make_project, ok, realtime, safeguard, uid, until
from tests.support.server import ServerProcess
from tests.support.smtp import mail_catcher


async def add_pupil(server: ServerProcess, project: Project, name: str) -> Person:
    who = Person(uid("pupil"), "pupil", "", name)
    async with Api(server, project.admin.token) as api:
        r = await api.post(f"/projects/{project.id}/members", {"user_id": who.id, "role": "pupil",
                                                                "display_name": name})
        assert r.status_code == 201, r.text
    who.token = server.token(who.id, "pupil", name=name)
    return who


async def send(server: ServerProcess, who: Person, room_id: str, text: str) -> dict[str, Any]:
    async with realtime(server, who.token) as rt:
        return await ok(rt, "chat:send", {"room_id": room_id, "client_id": uid("c"), "text": text})


def report_of(message: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"kind": "message", "item_id": message["id"], "room_id": message["room_id"], "reason": "bullying", **extra}


async def test_a_report_reaches_both_teachers_live_and_never_names_the_reporter_to_the_reported(
        server: ServerProcess) -> None:
    project = await make_project(server)
    mats = await add_pupil(server, project, "Mats")
    general = project.spaces["general"]
    async with (realtime(server, project.admin.token) as admin, realtime(server, project.partner.token) as partner,
                realtime(server, mats.token) as reported, realtime(server, project.pupil.token) as reporter):
        await ok(reported, "room:join", {"room_id": general})
        message = await ok(reported, "chat:send", {"room_id": general, "client_id": uid("c"),
                                                   "text": "nobody wants you here"})
        mine = await ok(reporter, "report:create", report_of(message, note="every day"))
        assert mine["state"] == "open" and mine["item_id"] == message["id"]
        assert "reporter_id" not in mine and "note" not in mine
        for teacher in (admin, partner):
            (created,) = await teacher.wait_for("report:created", lambda r: r["id"] == mine["id"])
            assert (created["reporter_id"], created["item"]["text"]) == (project.pupil.id, "nobody wants you here")
            assert created["context"] == [] and created["reported_id"] == mats.id
        # A message after the teachers were told: whatever the server sent the reported pupil about the
        # report, it sent before this one.
        marker_message = await ok(admin, "chat:send", {"room_id": general, "client_id": uid("c"), "text": "marker"})
        (marker,) = await reported.wait_for("chat:message", lambda m: m["id"] == marker_message["id"])
        for k, (name, data) in enumerate(reported.arrivals):
            if data is marker:
                break
            assert not name.startswith("report:"), name
            assert project.pupil.id not in json.dumps(data), (name, data)
        assert (await ok(reported, "report:mine", {}))["reports"] == []
        refused = await reported.call("report:get", {"report_id": mine["id"]})
        assert refused["error"]["code"] == "permission.denied"
        assert (await ok(reporter, "report:mine", {}))["reports"][0]["id"] == mine["id"]


async def test_an_edited_then_deleted_reported_message_is_shown_as_it_was_reported(server: ServerProcess) -> None:
    project = await make_project(server)
    mats = await add_pupil(server, project, "Mats")
    general = project.spaces["general"]
    before = await send(server, project.pupil, general, "are we meeting today?")
    message = await send(server, mats, general, "you are so stupid")
    after = await send(server, project.pupil, general, "why do you say that")
    async with Api(server, project.pupil.token) as api:
        r = await api.post("/reports", report_of(message))
        assert r.status_code == 201, r.text
        report_id = r.json()["id"]
        again = await api.post("/reports", report_of(message, reason="spam"))
        assert again.status_code == 409 and again.json()["error"]["code"] == "report.duplicate"
    async with realtime(server, mats.token) as rt:
        await ok(rt, "chat:edit", {"room_id": general, "message_id": message["id"], "text": "sorry"})
        await ok(rt, "chat:delete", {"room_id": general, "message_id": message["id"]})
    async with Api(server, project.partner.token) as api:
        r = await api.get(f"/reports/{report_id}")
        assert r.status_code == 200, r.text
        shown = r.json()
        queue = (await api.get(f"/projects/{project.id}/reports", params={"state": "open"})).json()
    assert shown["item"]["text"] == "you are so stupid" and shown["item"]["author_id"] == mats.id
    assert [c["id"] for c in shown["context"]] == [before["id"], after["id"]]
    assert [r["id"] for r in queue["reports"]] == [report_id]
    async with Api(server, mats.token) as api:
        deleted = await api.post("/reports", report_of(message))  # reported by someone else, now a tombstone
        assert deleted.json()["error"]["code"] == "report.not_reportable"


async def test_reporting_is_rate_limited(make_server: Callable[..., ServerProcess]) -> None:
    server = make_server("--report-rate", "2").start()
    project = await make_project(server)
    messages = [await send(server, project.partner, project.spaces["general"], f"note {n}") for n in range(3)]
    async with Api(server, project.pupil.token) as api:
        codes = [(await api.post("/reports", report_of(m))).status_code for m in messages]
        last = await api.post("/reports", report_of(messages[2]))
    assert codes == [201, 201, 429]
    assert last.json()["error"]["code"] == "rate.limited" and "Retry-After" in last.headers


async def test_a_decision_reaches_the_reporter_and_the_other_teachers(server: ServerProcess) -> None:
    project = await make_project(server)
    mats = await add_pupil(server, project, "Mats")
    message = await send(server, mats, project.spaces["general"], "give me your address")
    async with realtime(server, project.pupil.token) as reporter, realtime(server, project.partner.token) as partner:
        mine = await ok(reporter, "report:create", report_of(message, reason="personal_data"))
        async with Api(server, project.admin.token) as api:
            r = await api.post(f"/reports/{mine['id']}/decision",
                               {"state": "resolved", "action": "deleted", "note": "spoke to his teacher"})
            assert r.status_code == 200, r.text
            assert r.json()["resolution"]["note"] == "spoke to his teacher"
            again = await api.post(f"/reports/{mine['id']}/decision", {"state": "dismissed"})
            assert again.status_code == 409 and again.json()["error"]["code"] == "report.bad_state"
        (handled,) = await reporter.wait_for("report:handled")
        assert handled["state"] == "resolved" and handled["handled_at"]
        assert "note" not in json.dumps(handled) and project.admin.id not in json.dumps(handled)
        (updated,) = await partner.wait_for("report:updated", lambda v: v["id"] == mine["id"])
        assert updated["resolution"]["action"] == "deleted"
    async with Api(server, project.pupil.token) as api:
        r = await api.post(f"/reports/{mine['id']}/decision", {"state": "dismissed"})
        assert r.status_code == 403


async def test_a_serious_report_reaches_the_support_officers_at_once(server: ServerProcess) -> None:
    project = await make_project(server)
    message = await send(server, project.partner, project.spaces["general"], "meet me after school alone")
    async with realtime(server, project.support.token) as support:
        async with Api(server, project.pupil.token) as api:
            r = await api.post("/reports", report_of(message, serious=True))
            assert r.status_code == 201, r.text
        (escalated,) = await support.wait_for("report:escalated", lambda v: v["id"] == r.json()["id"])
        assert escalated["escalated_at"] and escalated["serious"]
        page = await ok(support, "report:escalated", {})
        assert r.json()["id"] in [v["id"] for v in page["reports"]]
        decided = await ok(support, "report:decide", {"report_id": r.json()["id"], "state": "resolved",
                                                      "action": "warned"})
        assert decided["resolution"]["by"] == project.support.id


async def test_the_word_filter_blocks_or_flags_per_project(server: ServerProcess) -> None:
    blocking, flagging = await make_project(server), await make_project(server)  # flag is the default
    await safeguard(server, blocking, word_filter="block")
    async with realtime(server, blocking.pupil.token) as pupil:
        ack = await pupil.call("chat:send", {"room_id": blocking.spaces["general"], "client_id": uid("c"),
                                             "text": "quel CONNÀRD"})
        assert ack["ok"] is False and ack["error"]["code"] == "content.blocked"
        history = await ok(pupil, "chat:history", {"room_id": blocking.spaces["general"]})
        assert history["messages"] == []
    async with realtime(server, flagging.admin.token) as admin, realtime(server, flagging.pupil.token) as pupil:
        sent = await ok(pupil, "chat:send", {"room_id": flagging.spaces["general"], "client_id": uid("c"),
                                             "text": "t'es un c0nnard"})
        (created,) = await admin.wait_for("report:created", lambda v: v["item"]["id"] == sent["id"])
        assert created["automatic"] and created["reporter_id"] is None and created["reason"] == "inappropriate"
        clean = await ok(pupil, "chat:send", {"room_id": flagging.spaces["general"], "client_id": uid("c"),
                                              "text": "a classic assessment"})
        assert clean["text"] == "a classic assessment"


async def test_an_away_teacher_is_told_by_e_mail_without_the_content(
        make_server: Callable[..., ServerProcess]) -> None:
    with mail_catcher() as catcher:
        server = make_server("--smtp-url", f"smtp://127.0.0.1:{catcher.port}").start()
        project = await make_project(server)
        mats = await add_pupil(server, project, "Mats Reported")
        away = Person(uid("teacher_be"), "teacher", "", "Els")
        async with Api(server, project.admin.token) as api:
            r = await api.post(f"/projects/{project.id}/members", {"user_id": away.id, "role": "teacher",
                                                                    "display_name": "Els", "email": "els@school.be"})
            assert r.status_code == 201, r.text
        admin_token = server.token(project.admin.id, "teacher", school="École A", email="admin@school.fr")
        partner_token = server.token(project.partner.id, "teacher", email="giulia@scuola.it", lang="fr")
        async with realtime(server, partner_token) as partner:  # remembered at connection, then away
            sid = partner.sio.get_sid()
        await until(lambda: f"disconnected sid={sid}" in server.log())
        message = await send(server, mats, project.spaces["general"], "SECRET-TEXT of the message")
        async with realtime(server, admin_token) as admin:  # connected: told live, not by e-mail
            async with Api(server, project.pupil.token) as api:
                r = await api.post("/reports", report_of(message))
                assert r.status_code == 201, r.text
            await admin.wait_for("report:created")
            french = await catcher.wait_for("giulia@scuola.it")
            english = await catcher.wait_for("els@school.be")  # the last of the staff: the admin's turn came before
        assert catcher.to("admin@school.fr") == []
        assert "signalement" in french.subject and "Water in our towns" in french.subject
        assert english.subject == "Twinspace: a new report in “Water in our towns”"
        for mail in (french, english):
            assert f"{server.url}/demo/?project={project.id}#moderation" in mail.text
            for secret in ("SECRET-TEXT", "Mats Reported", project.pupil.id, mats.id):
                assert secret not in mail.text and secret not in mail.subject
