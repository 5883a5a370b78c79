"""Stored, then answered, then told: on every path the acting client has its answer before any push.

The server sends on one connection in order, and the client handles what arrived in that order, so
a push recorded before the ack returned was sent before the ack.
"""

from __future__ import annotations

import uuid

from tests.support.clients import Api, Realtime, make_project, realtime
from tests.support.server import ServerProcess


async def answered_before_told(rt: Realtime, event: str, payload: dict[str, object], push: str) -> dict[str, object]:
    ack = await rt.call(event, payload)
    assert ack["ok"], ack
    assert rt.pushes[push] == [], f"{push} arrived before the answer to {event}"
    await rt.wait_for(push)
    return ack["data"]  # type: ignore[no-any-return]


async def test_chat_forum_and_mail_answer_before_they_push(server: ServerProcess) -> None:
    project = await make_project(server)
    room, forum = project.spaces["general"], project.spaces["forum"]
    async with realtime(server, project.teacher.token) as teacher:
        assert (await teacher.call("room:join", {"room_id": room}))["ok"]
        await answered_before_told(teacher, "chat:send", {"room_id": room, "client_id": uuid.uuid4().hex,
                                                          "text": "Bonjour"}, "chat:message")
        thread = await answered_before_told(teacher, "forum:thread_create",
                                            {"forum_id": forum, "title": "Rivers", "body": "Photos!"},
                                            "forum:thread_created")
        await answered_before_told(teacher, "forum:post_create", {"thread_id": thread["id"], "body": "Mine"},
                                   "forum:post_created")
        async with realtime(server, project.pupil.token) as pupil:
            mail = await pupil.call("mail:send", {"project_id": project.id, "to": [project.teacher.id],
                                                  "subject": "Question", "body": "When is the visit?"})
            assert mail["ok"], mail
        await teacher.wait_for("mail:unread")
        teacher.pushes["mail:unread"].clear()
        await answered_before_told(teacher, "mail:read", {"mail_id": mail["data"]["mail"]["id"]}, "mail:unread")


async def test_a_rest_change_is_pushed_to_socket_clients(server: ServerProcess) -> None:
    project = await make_project(server)
    async with realtime(server, project.pupil.token) as pupil, Api(server, project.teacher.token) as api:
        r = await api.post(f"/projects/{project.id}/forums/{project.spaces['forum']}/threads",
                           json={"title": "From the portal", "body": "Posted over REST"})
        assert r.status_code == 201
        (pushed,) = await pupil.wait_for("forum:thread_created")
        assert pushed == r.json()
