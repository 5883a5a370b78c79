"""Reactions, pinned messages and the project's chat features against running servers, with real
clients over Socket.IO and REST: counts pushed to the room with their rev, refusals with their codes
(once in French), pins in room:join, the features told to every member and enforced from then on."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from tests.support.clients import Api, Project, Realtime, make_project, ok, realtime
from tests.support.server import ServerProcess


async def _message(rt: Realtime, room: str, text: str = "hello") -> dict[str, Any]:
    return await ok(rt, "chat:send", {"room_id": room, "client_id": uuid.uuid4().hex, "text": text})  # type: ignore[no-any-return]


def _react(room: str, message_id: str, emoji: str = "👍", on: bool = True) -> dict[str, Any]:
    return {"room_id": room, "message_id": message_id, "emoji": emoji, "on": on}


def _counts(message: dict[str, Any]) -> list[tuple[str, int]]:
    return [(r["emoji"], r["count"]) for r in message["reactions"]]


async def test_reactions_over_socketio_and_rest_reach_the_room(server: ServerProcess) -> None:
    project = await make_project(server)
    room = project.spaces["general"]
    async with realtime(server, project.pupil.token) as pupil, realtime(server, project.teacher.token) as teacher:
        await ok(teacher, "room:join", {"room_id": room})
        await ok(pupil, "room:join", {"room_id": room})
        sent = await _message(teacher, room)
        reacted = await ok(pupil, "chat:react", _react(room, sent["id"]))
        assert _counts(reacted) == [("👍", 1)] and reacted["rev"] > sent["rev"]
        heard = await teacher.wait_for("chat:reactions_changed", lambda m: m["rev"] == reacted["rev"])
        assert heard[0] == reacted
        again = await ok(pupil, "chat:react", _react(room, sent["id"]))  # a repeat: same rev, no push
        assert again["rev"] == reacted["rev"]
        async with Api(server, project.teacher.token) as api:
            r = await api.post(f"/spaces/{room}/messages/{sent['id']}/reactions", {"emoji": "🎉"})
            assert r.status_code == 200, r.text
            by_rest = r.json()
        assert _counts(by_rest) == [("👍", 1), ("🎉", 1)]
        marker = (await pupil.wait_for("chat:reactions_changed", lambda m: m["rev"] == by_rest["rev"]))[0]
        assert [m["rev"] for m in pupil.before(marker, "chat:reactions_changed")] == [reacted["rev"]]  # none for the repeat
        back = await ok(pupil, "chat:react", _react(room, sent["id"], on=False))
        assert _counts(back) == [("🎉", 1)]
        await teacher.wait_for("chat:reactions_changed", lambda m: m["rev"] == back["rev"])
        joined = await ok(pupil, "room:join", {"room_id": room})
        assert joined["mine"]["reactions"] == {}
        joined = await ok(teacher, "room:join", {"room_id": room})
        assert joined["mine"]["reactions"] == {sent["id"]: ["🎉"]}
        async with Api(server, project.pupil.token) as api:
            r = await api.get(f"/spaces/{room}/messages/{sent['id']}/reactions")
        assert r.status_code == 200, r.text
        assert [(e["emoji"], [p["user_id"] for p in e["people"]]) for e in r.json()["reactions"]] == [
            ("🎉", [project.teacher.id])]


async def test_refusals_not_offered_visitors_muted(server: ServerProcess) -> None:
    project = await make_project(server)
    room, open_room = project.spaces["general"], project.spaces["open"]
    french = server.token(project.pupil.id, "pupil", lang="fr")
    async with (realtime(server, project.teacher.token) as teacher, realtime(server, french) as pupil,
                realtime(server, project.visitor.token) as visitor):
        sent = await _message(teacher, room)
        ack = await pupil.call("chat:react", _react(room, sent["id"], "🤔"))  # not offered by default
        assert ack["error"]["code"] == "chat.reaction_not_offered", ack
        assert ack["error"]["message"] == "Ce projet ne propose pas la réaction 🤔.", ack
        async with Api(server, project.pupil.token) as api:
            r = await api.post(f"/spaces/{room}/messages/{sent['id']}/reactions", {"emoji": "🤔"})
        assert r.status_code == 400 and r.json()["error"]["code"] == "chat.reaction_not_offered", r.text
        open_sent = await _message(teacher, open_room)
        ack = await visitor.call("chat:react", _react(open_room, open_sent["id"]))
        assert ack["error"]["code"] == "permission.denied", ack
        async with Api(server, project.teacher.token) as api:
            r = await api.post(f"/projects/{project.id}/members/{project.pupil.id}/mutes", {"minutes": 10})
            assert r.status_code == 200, r.text
        ack = await pupil.call("chat:react", _react(room, sent["id"]))
        assert ack["error"]["code"] == "chat.muted", ack


async def test_reactions_are_rate_limited(make_server: Callable[..., ServerProcess]) -> None:
    server = make_server("--reaction-rate", "2", "--reaction-rate-window-secs", "600").start()
    project = await make_project(server)
    room = project.spaces["general"]
    async with realtime(server, project.pupil.token) as pupil:
        sent = await _message(pupil, room)
        await ok(pupil, "chat:react", _react(room, sent["id"], "👍"))
        await ok(pupil, "chat:react", _react(room, sent["id"], "🎉"))
        ack = await pupil.call("chat:react", _react(room, sent["id"], "✅"))
        assert ack["error"]["code"] == "rate.limited" and 590 <= ack["error"]["data"]["retry_after_secs"] <= 600, ack


async def test_teachers_pin_and_pins_come_with_room_join(server: ServerProcess) -> None:
    project = await make_project(server)
    room = project.spaces["general"]
    async with realtime(server, project.pupil.token) as pupil, realtime(server, project.teacher.token) as teacher:
        await ok(pupil, "room:join", {"room_id": room})
        sent = [await _message(teacher, room, f"notice {n}") for n in range(6)]
        ack = await pupil.call("chat:pin", {"room_id": room, "message_id": sent[0]["id"]})
        assert ack["error"]["code"] == "permission.denied", ack
        pinned = await ok(teacher, "chat:pin", {"room_id": room, "message_id": sent[0]["id"]})
        assert pinned["pinned"] and pinned["pinned_by"] == project.teacher.id
        heard = await pupil.wait_for("chat:pin_changed", lambda m: m["rev"] == pinned["rev"])
        assert heard[0]["pinned"]
        async with Api(server, project.teacher.token) as api:
            for message in sent[1:5]:
                r = await api.post(f"/spaces/{room}/messages/{message['id']}/pin", {"pinned": True})
                assert r.status_code == 200, r.text
            r = await api.post(f"/spaces/{room}/messages/{sent[5]['id']}/pin", {"pinned": True})
            assert r.status_code == 409 and r.json()["error"]["code"] == "chat.pins_full", r.text
            assert r.json()["error"]["data"] == {"max": 5}
        joined = await ok(pupil, "room:join", {"room_id": room})
        assert [m["id"] for m in joined["pinned"]] == [m["id"] for m in reversed(sent[:5])]
        unpinned = await ok(teacher, "chat:pin", {"room_id": room, "message_id": sent[0]["id"], "pinned": False})
        assert not unpinned["pinned"]
        await pupil.wait_for("chat:pin_changed", lambda m: m["rev"] == unpinned["rev"])
        joined = await ok(pupil, "room:join", {"room_id": room})
        assert sent[0]["id"] not in [m["id"] for m in joined["pinned"]]


async def _features(project: Project, server: ServerProcess, **changes: Any) -> Any:
    async with Api(server, project.teacher.token) as api:
        r = await api.patch(f"/projects/{project.id}/chat-features", changes)
    assert r.status_code == 200, r.text
    return r.json()


async def test_chat_features_are_told_to_members_and_enforced(server: ServerProcess) -> None:
    project = await make_project(server)
    room = project.spaces["general"]
    async with realtime(server, project.pupil.token) as pupil, realtime(server, project.visitor.token) as visitor:
        sent = await _message(pupil, room)
        await ok(pupil, "chat:react", _react(room, sent["id"], "👍"))
        ack = await pupil.call("project:chat_features", {"project_id": project.id, "reactions": ["👍"]})
        assert ack["error"]["code"] == "permission.denied", ack
        features = await _features(project, server, reactions=["🤔", "✅"])
        assert features == {"reactions": ["🤔", "✅"], "seen_by": "names_to_staff"}
        for rt in (pupil, visitor):
            told = await rt.wait_for("project:chat_features")
            assert told[0] == {"project_id": project.id, **features}
        ack = await pupil.call("chat:react", _react(room, sent["id"], "🎉"))
        assert ack["error"]["code"] == "chat.reaction_not_offered", ack
        assert _counts(await ok(pupil, "chat:react", _react(room, sent["id"], "🤔"))) == [("👍", 1), ("🤔", 1)]
        joined = await ok(pupil, "room:join", {"room_id": room})
        assert joined["features"] == features


async def test_a_visitors_view_of_who_reacted_has_no_pupil_id(server: ServerProcess) -> None:
    project = await make_project(server)
    room = project.spaces["open"]
    async with (realtime(server, project.pupil.token) as pupil, realtime(server, project.teacher.token) as teacher,
                realtime(server, project.visitor.token) as visitor):
        sent = await _message(teacher, room)
        await ok(pupil, "chat:react", _react(room, sent["id"]))
        await ok(teacher, "chat:react", _react(room, sent["id"]))
        seen = await ok(visitor, "chat:reactions", {"room_id": room, "message_id": sent["id"]})
        people = [(p["user_id"], p["role"]) for p in seen["reactions"][0]["people"]]
        assert people == [(None, "pupil"), (project.teacher.id, "teacher")]
        assert project.pupil.id not in str(seen)
        staff = await ok(teacher, "chat:reactions", {"room_id": room, "message_id": sent["id"]})
        assert [p["user_id"] for p in staff["reactions"][0]["people"]] == [project.pupil.id, project.teacher.id]


async def test_a_hidden_message_stays_hidden_in_reactions_and_pins(server: ServerProcess) -> None:
    project = await make_project(server)
    room = project.spaces["general"]
    async with realtime(server, project.pupil.token) as pupil, realtime(server, project.teacher.token) as teacher:
        await ok(pupil, "room:join", {"room_id": room})
        sent = await _message(teacher, room, "not for pupils")
        await ok(teacher, "chat:hide", {"room_id": room, "message_id": sent["id"], "hidden": True})
        reacted = await ok(teacher, "chat:react", _react(room, sent["id"]))
        assert reacted["text"] == "not for pupils"  # the moderator sees it whole
        heard = (await pupil.wait_for("chat:reactions_changed", lambda m: m["rev"] == reacted["rev"]))[0]
        assert heard["hidden"] and heard["text"] is None
        pinned = await ok(teacher, "chat:pin", {"room_id": room, "message_id": sent["id"]})
        heard = (await pupil.wait_for("chat:pin_changed", lambda m: m["rev"] == pinned["rev"]))[0]
        assert heard["pinned"] and heard["text"] is None
        mine = await ok(pupil, "chat:react", _react(room, sent["id"], "🎉"))
        assert mine["text"] is None and _counts(mine) == [("👍", 1), ("🎉", 1)]
        assert (await ok(pupil, "room:join", {"room_id": room}))["pinned"][0]["text"] is None


async def test_an_erased_pupils_reactions_are_taken_back(server: ServerProcess) -> None:
    project = await make_project(server)
    room = project.spaces["general"]
    async with realtime(server, project.pupil.token) as pupil, realtime(server, project.admin.token) as admin:
        sent = await _message(admin, room)
        await ok(pupil, "chat:react", _react(room, sent["id"]))
        await ok(admin, "chat:react", _react(room, sent["id"], "🎉"))
        asked = await ok(admin, "member:erase_request", {"project_id": project.id, "user_id": project.pupil.id})
        await ok(admin, "member:erase_confirm", {"project_id": project.id, "user_id": project.pupil.id,
                                                 "confirmation": asked["confirmation"]})
        changes = await ok(admin, "chat:changes", {"room_id": room, "after_rev": sent["rev"]})
        now = next(m for m in changes["messages"] if m["id"] == sent["id"])
        assert _counts(now) == [("🎉", 1)]
        seen = await ok(admin, "chat:reactions", {"room_id": room, "message_id": sent["id"]})
        assert [[p["user_id"] for p in r["people"]] for r in seen["reactions"]] == [[project.admin.id]]
