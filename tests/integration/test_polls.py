"""Polls against a running server: a teacher asks, pupils vote, everyone sees the counts live,
teachers see who chose what when the poll is not anonymous; over Socket.IO and REST."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.support.clients import Api, Project, make_project, ok, realtime
from tests.support.server import ServerProcess

CLOSING_TIMEOUT_SECS = 20  # three seconds ahead, and the sweep runs every 5 s


@pytest.fixture
async def project(server: ServerProcess) -> Project:
    return await make_project(server)


def poll_of(room: str, question: str = "Which river is longest?", options: int = 3, **extra: Any) -> dict[str, Any]:
    return {"room_id": room, "client_id": uuid.uuid4().hex, "question": question,
            "options": [f"River {i}" for i in range(options)], **extra}


def counts(message: dict[str, Any]) -> tuple[list[int], int]:
    return [o["votes"] for o in message["poll"]["options"]], message["poll"]["voters"]


async def test_a_pupils_vote_reaches_the_teacher_live(server: ServerProcess, project: Project) -> None:
    room = project.spaces["general"]
    async with realtime(server, project.admin.token) as teacher, realtime(server, project.pupil.token) as pupil:
        await ok(teacher, "room:join", {"room_id": room})
        await ok(pupil, "room:join", {"room_id": room})
        poll = await ok(teacher, "chat:poll_create", poll_of(room))
        assert poll["text"] == "Which river is longest?" and poll["poll"]["closed"] is False
        heard = await pupil.wait_for("chat:message", lambda m: m["id"] == poll["id"])
        assert heard[0]["poll"]["options"][2]["text"] == "River 2"

        voted = await ok(pupil, "chat:poll_vote", {"room_id": room, "message_id": poll["id"], "choices": [1]})
        assert voted["choices"] == [1] and counts(voted["message"]) == ([0, 1, 0], 1)
        live = await teacher.wait_for("chat:poll_changed", lambda m: m["id"] == poll["id"])
        assert counts(live[-1]) == ([0, 1, 0], 1) and live[-1]["rev"] == voted["message"]["rev"]

        changed = await ok(pupil, "chat:poll_vote", {"room_id": room, "message_id": poll["id"], "choices": [2]})
        assert counts(changed["message"]) == ([0, 0, 1], 1)  # changed, not counted twice
        await teacher.wait_for("chat:poll_changed", lambda m: counts(m) == ([0, 0, 1], 1))
        teachers_vote = await ok(teacher, "chat:poll_vote", {"room_id": room, "message_id": poll["id"],
                                                             "choices": [2]})
        assert counts(teachers_vote["message"]) == ([0, 0, 2], 2)
        await pupil.wait_for("chat:poll_changed", lambda m: counts(m) == ([0, 0, 2], 2))

    async with realtime(server, project.pupil.token) as again:  # one's own choices come with the room
        joined = await ok(again, "room:join", {"room_id": room})
        assert joined["mine"]["votes"] == {poll["id"]: [2]}
        assert [counts(m) for m in joined["messages"] if m["id"] == poll["id"]] == [([0, 0, 2], 2)]


async def test_multiple_choice_and_choices_that_do_not_fit(server: ServerProcess, project: Project) -> None:
    room = project.spaces["general"]
    french = server.token(project.pupil.id, "pupil", name=project.pupil.name, lang="fr")
    async with realtime(server, project.admin.token) as teacher, realtime(server, french) as pupil:
        several = await ok(teacher, "chat:poll_create", poll_of(room, options=4, multiple=True))
        single = await ok(teacher, "chat:poll_create", poll_of(room))
        voted = await ok(pupil, "chat:poll_vote", {"room_id": room, "message_id": several["id"], "choices": [0, 3]})
        assert counts(voted["message"]) == ([1, 0, 0, 1], 1)
        for poll, choices in ((single, [0, 1]), (single, [5]), (several, [1, 1])):
            ack = await pupil.call("chat:poll_vote", {"room_id": room, "message_id": poll["id"], "choices": choices})
            assert ack["ok"] is False and ack["error"]["code"] == "chat.poll_choice_invalid", ack
        ack = await pupil.call("chat:poll_vote", {"room_id": room, "message_id": single["id"], "choices": [0, 2]})
        assert ack["error"]["message"] == "Choisissez 1 parmi les 3 options du sondage."  # the pupil's language
        assert ack["error"]["data"] == {"allowed": "1", "options": 3}
        ack = await pupil.call("chat:poll_vote", {"room_id": room, "message_id": several["id"], "choices": [10]})
        assert ack["error"]["code"] == "request.invalid"  # past the most options a poll may have
        plain = await ok(teacher, "chat:send", {"room_id": room, "client_id": uuid.uuid4().hex, "text": "hi"})
        ack = await pupil.call("chat:poll_vote", {"room_id": room, "message_id": plain["id"], "choices": [0]})
        assert ack["error"]["code"] == "chat.not_a_poll" and ack["error"]["message"] == "Ce message n'est pas un sondage."


async def test_who_may_create_vote_close_and_list_voters(server: ServerProcess, project: Project) -> None:
    room, open_day = project.spaces["general"], project.spaces["open"]
    async with (realtime(server, project.teacher.token) as teacher, realtime(server, project.pupil.token) as pupil,
                realtime(server, project.visitor.token) as visitor):
        ack = await pupil.call("chat:poll_create", poll_of(room))
        assert ack["ok"] is False and ack["error"]["code"] == "permission.denied"
        poll = await ok(teacher, "chat:poll_create", poll_of(open_day))
        ack = await visitor.call("chat:poll_vote", {"room_id": open_day, "message_id": poll["id"], "choices": [0]})
        assert ack["error"]["code"] == "permission.denied"
        await ok(pupil, "chat:poll_vote", {"room_id": open_day, "message_id": poll["id"], "choices": [0]})
        ref = {"room_id": open_day, "message_id": poll["id"]}
        voters = await ok(teacher, "chat:poll_voters", ref)
        assert [[p["user_id"] for p in o["people"]] for o in voters["options"]] == [[project.pupil.id], [], []]
        assert voters["options"][0]["people"][0]["name"] == project.pupil.name
        for who in (pupil, visitor):
            assert (await who.call("chat:poll_voters", ref))["error"]["code"] == "permission.denied"
            assert (await who.call("chat:poll_close", ref))["error"]["code"] == "permission.denied"
        secret = await ok(teacher, "chat:poll_create", poll_of(room, anonymous=True))
        await ok(pupil, "chat:poll_vote", {"room_id": room, "message_id": secret["id"], "choices": [1]})
        ack = await teacher.call("chat:poll_voters", {"room_id": room, "message_id": secret["id"]})
        assert ack["error"]["code"] == "chat.poll_anonymous"

        await ok(visitor, "room:join", {"room_id": open_day})
        closed = await ok(teacher, "chat:poll_close", ref)
        assert closed["poll"]["closed"] is True and counts(closed) == ([1, 0, 0], 1)
        heard = await visitor.wait_for("chat:poll_changed", lambda m: m["id"] == poll["id"])
        assert heard[0]["poll"]["closed"] is True and heard[0]["author_id"] == project.teacher.id
        ack = await pupil.call("chat:poll_vote", {"room_id": open_day, "message_id": poll["id"], "choices": [1]})
        assert ack["error"]["code"] == "chat.poll_closed"
        assert (await teacher.call("chat:poll_close", ref))["error"]["code"] == "chat.poll_closed"


async def test_a_poll_closes_at_its_time(server: ServerProcess, project: Project) -> None:
    room = project.spaces["general"]
    closes_at = (datetime.now(UTC) + timedelta(seconds=3)).isoformat()  # time to vote first
    async with realtime(server, project.admin.token) as teacher, realtime(server, project.pupil.token) as pupil:
        await ok(pupil, "room:join", {"room_id": room})
        poll = await ok(teacher, "chat:poll_create", poll_of(room, closes_at=closes_at))
        assert poll["poll"]["closes_at"].endswith("Z")
        await ok(pupil, "chat:poll_vote", {"room_id": room, "message_id": poll["id"], "choices": [0]})
        heard = await pupil.wait_for("chat:poll_changed", lambda m: m["id"] == poll["id"] and m["poll"]["closed"],
                                     timeout=CLOSING_TIMEOUT_SECS)
        assert counts(heard[0]) == ([1, 0, 0], 1) and heard[0]["poll"]["closed_at"] is not None
        ack = await pupil.call("chat:poll_vote", {"room_id": room, "message_id": poll["id"], "choices": [1]})
        assert ack["error"]["code"] == "chat.poll_closed"
        ack = await teacher.call("chat:poll_create", poll_of(room, closes_at="2020-01-01T00:00:00Z"))
        assert ack["error"]["code"] == "request.invalid"


async def test_polls_over_rest(server: ServerProcess, project: Project) -> None:
    room = project.spaces["general"]
    base = f"/spaces/{room}"
    async with (Api(server, project.admin.token) as teacher, Api(server, project.pupil.token) as pupil,
                realtime(server, project.admin.token) as listening):
        await ok(listening, "room:join", {"room_id": room})
        body = {k: v for k, v in poll_of(room, options=2).items() if k != "room_id"}
        r = await teacher.post(f"{base}/polls", body)
        assert r.status_code == 201, r.text
        poll = r.json()
        await listening.wait_for("chat:message", lambda m: m["id"] == poll["id"])
        again = await teacher.post(f"{base}/polls", body)  # the same client_id: the same poll
        assert again.json()["id"] == poll["id"]
        r = await pupil.post(f"{base}/polls", body | {"client_id": uuid.uuid4().hex})
        assert r.status_code == 403 and r.json()["error"]["code"] == "permission.denied"

        r = await pupil.post(f"{base}/messages/{poll['id']}/vote", {"choices": [1]})
        assert r.status_code == 200 and counts(r.json()["message"]) == ([0, 1], 1), r.text
        await listening.wait_for("chat:poll_changed", lambda m: counts(m) == ([0, 1], 1))
        r = await pupil.post(f"{base}/messages/{poll['id']}/vote", {"choices": [0, 1]})
        assert r.status_code == 400 and r.json()["error"]["code"] == "chat.poll_choice_invalid"
        r = await teacher.get(f"{base}/messages/{poll['id']}/voters")
        assert r.status_code == 200 and r.json()["options"][1]["people"][0]["user_id"] == project.pupil.id
        r = await pupil.get(f"{base}/messages/{poll['id']}/voters")
        assert r.status_code == 403
        r = await teacher.post(f"{base}/messages/{poll['id']}/close")
        assert r.status_code == 200 and r.json()["poll"]["closed"] is True
        r = await pupil.post(f"{base}/messages/{poll['id']}/vote", {"choices": []})
        assert r.status_code == 409 and r.json()["error"]["code"] == "chat.poll_closed"
