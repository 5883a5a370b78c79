""""Seen by" and mentions against a running server with real clients: counts pushed live as pupils read
(counts only, never names), who may list the readers (Socket.IO and REST, in French too), mentions told
to the people mentioned and refused for those who cannot be, and the e-mail notice to an away teacher.

The project's choice ``names_to_members`` is tested in tests/unit/test_seen_mentions.py (this branch
has no API to change a project's chat features).
"""

from __future__ import annotations

import json
from collections.abc import Callable

from tests.support.clients import Api, Person, Project, make_project, ok, realtime, uid, until
from tests.support.server import ServerProcess
from tests.support.smtp import mail_catcher


async def add_pupil(server: ServerProcess, project: Project, name: str, lang: str = "en") -> Person:
    who = Person(uid("pupil"), "pupil", "", name)
    async with Api(server, project.admin.token) as api:
        r = await api.post(f"/projects/{project.id}/members", {"user_id": who.id, "role": "pupil",
                                                                "display_name": name})
        assert r.status_code == 201, r.text
    who.token = server.token(who.id, "pupil", name=name, lang=lang)
    return who


async def test_counts_are_pushed_live_and_only_staff_list_the_readers(server: ServerProcess) -> None:
    project = await make_project(server)
    general = project.spaces["general"]
    amelie = await add_pupil(server, project, "Amélie", lang="fr")
    mats = await add_pupil(server, project, "Mats")
    pupils = (project.pupil, amelie, mats)
    async with (realtime(server, project.admin.token) as teacher, realtime(server, project.pupil.token) as a,
                realtime(server, amelie.token) as b, realtime(server, mats.token) as c):
        for rt in (teacher, a, b, c):
            await ok(rt, "room:join", {"room_id": general})
        message = await ok(teacher, "chat:send", {"room_id": general, "client_id": uid("c"), "text": "Read p. 12"})
        seq = message["seq"]
        for rt in (a, b, c):  # a class reading at once
            await ok(rt, "chat:read", {"room_id": general, "seq": seq})

        def all_read(push: dict[str, object]) -> bool:
            return {"seq": seq, "seen": 3} in push["counts"]  # type: ignore[operator]

        for rt in (teacher, a, b, c):
            await rt.wait_for("chat:seen", all_read)
            for push in rt.pushes["chat:seen"]:  # counts only: no one's id, no name
                assert push["room_id"] == general
                text = json.dumps(push)
                assert not any(p.id in text or p.name in text for p in pupils)
        listed = await ok(teacher, "chat:seen_by", {"room_id": general, "message_id": message["id"]})
        assert listed["seen"] == 3
        assert sorted(r["name"] for r in listed["readers"]) == sorted(p.name for p in pupils)
        assert {r["user_id"] for r in listed["readers"]} == {p.id for p in pupils}
        hidden = await a.call("chat:seen_by", {"room_id": general, "message_id": message["id"]})
        assert hidden["error"]["code"] == "chat.seen_by_hidden"
        french = await b.call("chat:seen_by", {"room_id": general, "message_id": message["id"]})
        assert french["error"]["code"] == "chat.seen_by_hidden"
        assert french["error"]["message"] == "Ce projet n'affiche pas qui a lu un message."
    path = f"/spaces/{general}/messages/{message['id']}/seen"
    async with Api(server, project.partner.token) as api:
        r = await api.get(path)
        assert r.status_code == 200, r.text
        assert r.json()["seen"] == 3 and len(r.json()["readers"]) == 3
    async with Api(server, mats.token) as api:
        r = await api.get(path)
        assert r.status_code == 403 and r.json()["error"]["code"] == "chat.seen_by_hidden"
    async with Api(server, project.visitor.token) as api:
        r = await api.get(path)
        assert r.status_code == 403 and r.json()["error"]["code"] == "permission.denied"  # as for its history
    async with realtime(server, mats.token) as c:  # joining again: the counts come with the page
        joined = await ok(c, "room:join", {"room_id": general})
        assert {"seq": seq, "seen": 3} in joined["seen"]


async def test_mentions_reach_who_is_named_and_an_away_teacher_by_e_mail(
        make_server: Callable[..., ServerProcess]) -> None:
    with mail_catcher() as catcher:
        server = make_server("--smtp-url", f"smtp://127.0.0.1:{catcher.port}").start()
        project = await make_project(server)
        general, staff, open_room = project.spaces["general"], project.spaces["staff"], project.spaces["open"]
        amelie = await add_pupil(server, project, "Amélie", lang="fr")
        partner_token = server.token(project.partner.id, "teacher", email="giulia@scuola.it", lang="fr")
        async with realtime(server, partner_token) as partner:  # her address is remembered, then she is away
            sid = partner.sio.get_sid()
        await until(lambda: f"disconnected sid={sid}" in server.log())
        async with (realtime(server, project.admin.token) as admin, realtime(server, project.pupil.token) as pupil,
                    realtime(server, amelie.token) as named, realtime(server, project.visitor.token) as visitor):
            refused = await named.call("chat:send", {"room_id": general, "client_id": uid("c"), "text": "@x",
                                                     "mentions": [project.visitor.id, "nobody"]})
            assert refused["error"]["code"] == "chat.mention_invalid" and refused["error"]["data"]["count"] == 2
            assert refused["error"]["message"] == "2 des personnes mentionnées ne peuvent pas lire ce salon."
            sent = await ok(pupil, "chat:send", {"room_id": general, "client_id": uid("c"),
                                                 "text": "SECRET-TEXT @Amélie @teachers",
                                                 "mentions": [amelie.id], "mention_teachers": True})
            assert sent["mentions"] == [{"user_id": amelie.id, "name": "Amélie", "role": "pupil"}]
            assert sent["mentions_teachers"] is True
            for rt in (named, admin):
                (told,) = await rt.wait_for("chat:mention", lambda p: p["message"]["id"] == sent["id"])
                assert told["room_id"] == general and told["project_id"] == project.id
            french = await catcher.wait_for("giulia@scuola.it")
            assert french.subject == "Twinspace : on vous a mentionné dans « Water in our towns »"
            assert f"{server.url}/demo/?project={project.id}&room={general}" in french.text
            for secret in ("SECRET-TEXT", project.pupil.id, amelie.id, "Amélie"):
                assert secret not in french.text and secret not in french.subject
            again = await ok(pupil, "chat:send", {"room_id": general, "client_id": uid("c"), "text": "@teachers",
                                                  "mention_teachers": True})
            await admin.wait_for("chat:mention", lambda p: p["message"]["id"] == again["id"])
            # Another room: a notice of its own; by then the second one of the general room was not sent.
            await ok(admin, "chat:send", {"room_id": staff, "client_id": uid("c"), "text": "@teachers",
                                          "mention_teachers": True})
            await until(lambda: len(catcher.to("giulia@scuola.it")) == 2)
            assert f"room={staff}" in catcher.to("giulia@scuola.it")[1].text
            # The author is not told of their own mention; a visitor never sees a pupil's id in one.
            await ok(visitor, "room:join", {"room_id": open_room})
            shown = await ok(pupil, "chat:send", {"room_id": open_room, "client_id": uid("c"), "text": "@Amélie",
                                                  "mentions": [amelie.id, project.pupil.id]})
            (seen_by_visitor,) = await visitor.wait_for("chat:message", lambda m: m["id"] == shown["id"])
            assert [m["user_id"] for m in seen_by_visitor["mentions"]] == [None, None]
            assert amelie.id not in json.dumps(seen_by_visitor) and project.pupil.id not in json.dumps(seen_by_visitor)
            await named.wait_for("chat:mention", lambda p: p["message"]["id"] == shown["id"])
            await ok(pupil, "chat:history", {"room_id": open_room})  # after any mention push sent to the author
            assert pupil.pushes["chat:mention"] == []
            joined = await ok(named, "room:join", {"room_id": general})
            assert joined["mentions"] == 1  # mentioned once in this room while she had read nothing
            await ok(named, "chat:read", {"room_id": general, "seq": joined["last_seq"]})
            assert (await ok(named, "room:join", {"room_id": general}))["mentions"] == 0
            assert (await ok(admin, "room:join", {"room_id": general}))["mentions"] == 2  # @teachers, twice
