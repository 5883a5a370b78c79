"""Internal mail against a running server, over Socket.IO and REST."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from tests.support.clients import Api, Project, make_project, ok, realtime, until
from tests.support.server import ServerProcess


@pytest.fixture
async def project(server: ServerProcess) -> Project:
    return await make_project(server)


async def inbox(server: ServerProcess, token: str, folder: str = "inbox") -> list[dict[str, Any]]:
    async with Api(server, token) as api:
        r = await api.get("/mail", params={"folder": folder})
        assert r.status_code == 200, r.text
        return r.json()["copies"]  # type: ignore[no-any-return]


async def test_three_recipients_three_inbox_copies_one_sent(server: ServerProcess, project: Project) -> None:
    to = [project.pupil, project.partner, project.visitor]
    async with realtime(server, project.pupil.token) as pupil, realtime(server, project.pupil.token) as pupil_tab:
        heard, heard_tab = pupil.pushes, pupil_tab.pushes
        async with realtime(server, project.teacher.token) as teacher:
            sent = await ok(teacher, "mail:send", {"project_id": project.id, "to": [p.id for p in to],
                                                   "subject": "Trip to Cologne", "body": "Forms by **Friday**."})
        assert sent["folder"] == "sent" and sent["read"] is True
        assert [c["user_id"] for c in sent["mail"]["to"]] == [p.id for p in to]
        await until(lambda: heard["mail:received"] and heard_tab["mail:received"] and heard["mail:unread"])
        assert heard["mail:received"][0]["mail"]["id"] == sent["mail"]["id"]
        assert heard["mail:received"][0]["owner_id"] == project.pupil.id
        assert heard["mail:unread"][-1] == {"unread": 1}
    for person in to:
        copies = await inbox(server, person.token)
        assert [(c["mail"]["subject"], c["folder"], c["read"]) for c in copies] == [("Trip to Cologne", "inbox", False)]
    assert [c["mail"]["id"] for c in await inbox(server, project.teacher.token, "sent")] == [sent["mail"]["id"]]
    assert await inbox(server, project.teacher.token) == []
    assert await inbox(server, project.admin.token) == []


async def test_per_person_state_and_delete(server: ServerProcess, project: Project) -> None:
    async with realtime(server, project.teacher.token) as teacher:
        sent = await ok(teacher, "mail:send", {"project_id": project.id, "to": [project.pupil.id, project.partner.id],
                                               "subject": "Homework", "body": "Page 12"})
    mail_id = sent["mail"]["id"]
    async with realtime(server, project.pupil.token) as pupil:
        assert (await ok(pupil, "mail:unread_count", {}))["unread"] == 1
        assert (await ok(pupil, "mail:read", {"mail_id": mail_id}))["read"] is True
        assert (await ok(pupil, "mail:unread_count", {}))["unread"] == 0
        assert (await ok(pupil, "mail:move", {"mail_id": mail_id, "folder": "archived"}))["folder"] == "archived"
        assert (await pupil.call("mail:move", {"mail_id": mail_id, "folder": "sent"}))["error"]["code"] == \
            "request.invalid"
        await ok(pupil, "mail:delete", {"mail_id": mail_id})
        assert (await pupil.call("mail:get", {"mail_id": mail_id}))["error"]["code"] == "mail.not_found"
        assert (await pupil.call("mail:delete", {"mail_id": mail_id}))["error"]["code"] == "mail.not_found"
    # The others keep their copies, in their own state.
    partner = await inbox(server, project.partner.token)
    assert [(c["mail"]["id"], c["read"]) for c in partner] == [(mail_id, False)]
    assert [c["mail"]["id"] for c in await inbox(server, project.teacher.token, "sent")] == [mail_id]
    # Nobody reads someone else's copy.
    async with realtime(server, project.visitor.token) as visitor:
        assert (await visitor.call("mail:get", {"mail_id": mail_id}))["error"]["code"] == "mail.not_found"


async def test_replies_keep_the_conversation(server: ServerProcess, project: Project) -> None:
    async with realtime(server, project.teacher.token) as teacher:
        first = (await ok(teacher, "mail:send", {"project_id": project.id, "subject": "Ideas",
                                                 "to": [project.pupil.id, project.partner.id],
                                                 "body": "Any ideas for the logo?"}))["mail"]
    async with realtime(server, project.pupil.token) as pupil:
        reply = (await ok(pupil, "mail:send", {"reply_to": first["id"], "body": "A bridge!"}))["mail"]
    assert reply["conversation_id"] == first["conversation_id"] and reply["reply_to"] == first["id"]
    assert reply["subject"] == "Re: Ideas" and [c["user_id"] for c in reply["to"]] == [project.teacher.id]
    async with realtime(server, project.partner.token) as partner:
        everyone = (await ok(partner, "mail:send", {"reply_to": first["id"], "reply_all": True,
                                                    "body": "A river"}))["mail"]
    assert sorted(c["user_id"] for c in everyone["to"]) == sorted([project.teacher.id, project.pupil.id])
    assert everyone["conversation_id"] == first["conversation_id"] and everyone["subject"] == "Re: Ideas"
    async with realtime(server, project.teacher.token) as teacher:
        again = (await ok(teacher, "mail:send", {"reply_to": reply["id"], "body": "Nice"}))["mail"]
        assert again["subject"] == "Re: Ideas" and [c["user_id"] for c in again["to"]] == [project.pupil.id]
        ack = await teacher.call("mail:send", {"reply_to": "mail_unknown", "body": "?"})
        assert ack["error"]["code"] == "mail.not_found"


async def test_pupils_mail_nobody_outside_their_projects(server: ServerProcess, project: Project) -> None:
    elsewhere = await make_project(server)
    async with realtime(server, project.pupil.token) as pupil:
        ack = await pupil.call("mail:send", {"project_id": project.id, "to": [elsewhere.pupil.id],
                                             "subject": "Hi", "body": "Want to be friends?"})
        assert ack["ok"] is False and ack["error"]["code"] == "mail.recipient_not_member"
        ack = await pupil.call("mail:send", {"project_id": elsewhere.id, "to": [elsewhere.pupil.id],
                                             "subject": "Hi", "body": "Hello?"})
        assert ack["error"]["code"] == "project.not_found"
        ack = await pupil.call("mail:send", {"project_id": project.id, "to": [project.teacher.id, "nobody"],
                                             "subject": "Hi", "body": "Half outside"})
        assert ack["error"]["code"] == "mail.recipient_not_member"
        assert await inbox(server, project.pupil.token, "sent") == []
    assert await inbox(server, elsewhere.pupil.token) == []
    assert await inbox(server, project.teacher.token) == []  # nothing half-sent


async def test_visitors_receive_but_never_send(server: ServerProcess, project: Project) -> None:
    async with realtime(server, project.visitor.token) as visitor:
        ack = await visitor.call("mail:send", {"project_id": project.id, "to": [project.teacher.id],
                                               "subject": "Question", "body": "When is the trip?"})
        assert ack["error"]["code"] == "permission.denied"
    async with Api(server, project.visitor.token) as api:
        r = await api.post("/mail", {"project_id": project.id, "to": [project.teacher.id], "subject": "Q", "body": "?"})
        assert r.status_code == 403
    assert await inbox(server, project.teacher.token) == []


async def test_limits(make_server: Callable[..., ServerProcess]) -> None:
    server = make_server("--mail-rate-messages", "2", "--mail-rate-window-secs", "60").start()
    project = await make_project(server)
    async with realtime(server, project.teacher.token) as teacher:
        too_many = [f"u{i}" for i in range(51)]
        ack = await teacher.call("mail:send", {"project_id": project.id, "to": too_many, "subject": "s", "body": "b"})
        assert ack["error"]["code"] == "request.invalid" and "at most 50" in ack["error"]["message"]
        for payload in ({"project_id": project.id, "to": [project.pupil.id, project.pupil.id], "subject": "s",
                         "body": "b"},
                        {"project_id": project.id, "to": [project.pupil.id], "subject": "", "body": "b"},
                        {"project_id": project.id, "to": [project.pupil.id], "subject": "s", "body": "   "},
                        {"project_id": project.id, "to": [project.teacher.id], "subject": "s", "body": "me"},
                        {"project_id": project.id, "subject": "s", "body": "no one"},
                        {"project_id": project.id, "to": [project.pupil.id], "subject": "s", "body": "b", "cc": []}):
            ack = await teacher.call("mail:send", payload)
            assert ack["error"]["code"] == "request.invalid", payload
        for k in range(2):
            await ok(teacher, "mail:send", {"project_id": project.id, "to": [project.pupil.id], "subject": f"{k}",
                                            "body": "b"})
        ack = await teacher.call("mail:send", {"project_id": project.id, "to": [project.pupil.id], "subject": "3",
                                               "body": "b"})
        assert ack["error"]["code"] == "rate.limited" and ack["error"]["data"]["retry_after_secs"] > 0
    assert len(await inbox(server, project.pupil.token)) == 2


async def test_paging_every_mail_once_while_new_mail_arrives(server: ServerProcess, project: Project) -> None:
    async with realtime(server, project.teacher.token) as teacher:
        existing = [(await ok(teacher, "mail:send", {"project_id": project.id, "to": [project.pupil.id],
                                                     "subject": f"#{i}", "body": "b"}))["mail"]["id"]
                    for i in range(23)]

        async def more() -> None:
            for i in range(10):
                await ok(teacher, "mail:send", {"project_id": project.id, "to": [project.pupil.id],
                                                "subject": f"late {i}", "body": "b"})

        sending = asyncio.create_task(more())
        seen: list[str] = []
        async with realtime(server, project.pupil.token) as pupil:
            cursor = None
            while True:
                page = await ok(pupil, "mail:list", {"limit": 5, **({"cursor": cursor} if cursor else {})})
                seen += [c["mail"]["id"] for c in page["copies"]]
                cursor = page["next_cursor"]
                await asyncio.sleep(0.01)  # let the late mails land between pages: the point
                if cursor is None:
                    break
        await asyncio.wait_for(sending, 30)
    assert len(seen) == len(set(seen))
    assert set(existing) <= set(seen)


async def test_rest_and_socketio_agree_and_mail_survives_restart(make_server: Callable[..., ServerProcess]) -> None:
    server = make_server().start()
    project = await make_project(server)
    async with Api(server, project.admin.token) as api:
        r = await api.post("/mail", {"project_id": project.id, "to": [project.pupil.id], "subject": "Welcome",
                                     "body": "Hello from the portal"})
        assert r.status_code == 201
        mail_id = r.json()["mail"]["id"]
    async with Api(server, project.pupil.token) as api, realtime(server, project.pupil.token) as rt:
        r = await api.get("/mail")
        assert r.json() == await ok(rt, "mail:list", {})
        r = await api.get(f"/mail/{mail_id}")
        assert r.json() == await ok(rt, "mail:get", {"mail_id": mail_id})
        assert (await api.get("/mail/unread")).json() == {"unread": 1}
        r = await api.post(f"/mail/{mail_id}/read", {"read": True})
        assert r.json()["read"] is True
        r = await api.get("/mail", params={"folder": "trash"})
        assert r.status_code == 400
    server.stop()
    again = make_server(data_dir=server.data_dir).start()
    copies = await inbox(again, project.pupil.token)
    assert [(c["mail"]["id"], c["read"]) for c in copies] == [(mail_id, True)]
    assert [c["mail"]["id"] for c in await inbox(again, project.admin.token, "sent")] == [mail_id]
