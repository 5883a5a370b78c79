"""Chat over REST, for portals that post from their own servers: a send (with mentions) reaches the
room's connections and the people it names, history and the change feed read as over Socket.IO."""

from __future__ import annotations

from tests.support.clients import Api, make_project, ok, realtime
from tests.support.server import ServerProcess


async def test_a_message_sent_over_rest_reaches_the_room_and_who_it_mentions(server: ServerProcess) -> None:
    project = await make_project(server)
    room = project.spaces["general"]
    async with realtime(server, project.teacher.token) as teacher, realtime(server, project.admin.token) as admin:
        await ok(teacher, "room:join", {"room_id": room})
        async with Api(server, project.pupil.token) as api:
            body = {"client_id": "rest-1", "text": "@Claire look at this", "mentions": [project.admin.id],
                    "mention_teachers": False}
            r = await api.post(f"/spaces/{room}/messages", body)
            assert r.status_code == 201, r.text
            sent = r.json()
            assert [m["user_id"] for m in sent["mentions"]] == [project.admin.id] and sent["rev"] >= 1
            again = await api.post(f"/spaces/{room}/messages", body)  # a retry: the same message, stored once
            assert again.status_code == 201 and again.json() == sent
            (heard,) = await teacher.wait_for("chat:message", lambda m: m["id"] == sent["id"])
            assert heard == sent
            (told,) = await admin.wait_for("chat:mention")
            assert told["message"]["id"] == sent["id"] and told["room_id"] == room
            history = await api.get(f"/spaces/{room}/messages", params={"after_seq": 0})
            assert history.status_code == 200 and [m["id"] for m in history.json()["messages"]] == [sent["id"]]
            await ok(teacher, "chat:delete", {"room_id": room, "message_id": sent["id"]})
            changes = await api.get(f"/spaces/{room}/changes", params={"after_rev": sent["rev"]})
            assert changes.status_code == 200, changes.text
            page = changes.json()
            assert [(m["id"], m["deleted"]) for m in page["messages"]] == [(sent["id"], True)]
            assert page["last_rev"] == page["messages"][0]["rev"] and not page["has_more"]
            wrong = await api.post(f"/spaces/{room}/messages", {"client_id": "rest-2", "text": "hi",
                                                                 "mentions": [project.outsider.id]})
            assert wrong.status_code == 400 and wrong.json()["error"]["code"] == "chat.mention_invalid"
            bad = await api.get(f"/spaces/{room}/changes", params={"after_rev": "soon"})
            assert bad.status_code == 400 and bad.json()["error"]["code"] == "request.invalid"
    french = server.token(project.pupil.id, "pupil", lang="fr")
    async with Api(server, french) as api:
        wrong = await api.post(f"/spaces/{room}/messages", {"client_id": "rest-3", "text": "salut",
                                                             "mentions": [project.outsider.id]})
        assert wrong.json()["error"]["message"] == "1 des personnes mentionnées ne peuvent pas lire ce salon."
    async with Api(server, project.visitor.token) as api:
        r = await api.post(f"/spaces/{project.spaces['open']}/messages", {"client_id": "v-1", "text": "hello"})
        assert r.status_code == 403 and r.json()["error"]["code"] == "permission.denied"
        r = await api.get(f"/spaces/{room}/messages")
        assert r.status_code in (403, 404)  # a members' room: not the visitor's to read
