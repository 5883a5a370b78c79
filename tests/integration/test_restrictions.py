"""Restrictions against running servers, with real clients: slow mode, read-only rooms, chat hours,
hidden messages and posts, and a mute made on one instance that holds on the other at once."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.support.clients import Api, Realtime, make_project, ok, realtime
from tests.support.redis import RedisServer
from tests.support.server import ServerProcess

RESTRICTION_PUSHES = ("moderation:muted", "room:updated", "project:safeguarding", "chat:message_hidden",
                      "forum:post_hidden")


def listen(rt: Realtime) -> Realtime:
    """Record the restriction pushes too (registered before any call is made)."""
    for name in RESTRICTION_PUSHES:
        rt.pushes[name] = []
        rt.sio.on(name, handler=rt._recorder(name))
    return rt


def _send(room: str, text: str = "hello", client_id: str | None = None) -> dict[str, Any]:
    return {"room_id": room, "client_id": client_id or uuid.uuid4().hex, "text": text}


async def test_slow_mode_and_read_only_rooms_refuse_pupils_not_teachers(server: ServerProcess) -> None:
    project = await make_project(server)
    room = project.spaces["general"]
    async with realtime(server, project.pupil.token) as pupil, realtime(server, project.teacher.token) as teacher:
        listen(pupil)
        await ok(pupil, "room:join", {"room_id": room})
        configured = await ok(teacher, "room:configure", {"room_id": room, "slow_mode_secs": 600})
        assert configured["slow_mode_secs"] == 600
        assert (await pupil.wait_for("room:updated"))[0] == configured
        first = _send(room)
        sent = await ok(pupil, "chat:send", first)
        ack = await pupil.call("chat:send", _send(room))
        assert not ack["ok"] and ack["error"]["code"] == "chat.slow_mode", ack
        assert 590 <= ack["error"]["data"]["retry_after_secs"] <= 600
        assert await ok(pupil, "chat:send", first) == sent  # a retry is not refused
        await ok(teacher, "chat:send", _send(room))
        await ok(teacher, "chat:send", _send(room))  # teachers are never slowed
        state = (await ok(pupil, "room:join", {"room_id": room}))["write_state"]
        assert state == {"can_write": True, "reason": None, "until": None, "opens_at": None,
                         "slow_mode_secs": 600, "read_only": False}

        async with Api(server, project.teacher.token) as api:
            r = await api.patch(f"/spaces/{room}/rules", {"read_only": True, "slow_mode_secs": 0})
            assert r.status_code == 200, r.text
            assert (r.json()["read_only"], r.json()["slow_mode_secs"]) == (True, 0)
        await pupil.wait_for("room:updated", lambda s: s["read_only"])
        ack = await pupil.call("chat:send", _send(room))
        assert ack["error"]["code"] == "chat.read_only", ack
        ack = await pupil.call("chat:typing", {"room_id": room})
        assert ack["error"]["code"] == "chat.read_only", ack
        await ok(teacher, "chat:send", _send(room, "Announcement"))
        state = (await ok(pupil, "room:join", {"room_id": room}))["write_state"]
        assert (state["can_write"], state["reason"], state["read_only"]) == (False, "chat.read_only", True)
        assert (await ok(teacher, "room:join", {"room_id": room}))["write_state"]["can_write"]


def _closed_now(zone_offset_hours: int = 12) -> dict[str, Any]:
    """Chat hours of one minute, about 12 hours from now (UTC): closed at the real time, every day."""
    start = datetime.now(UTC) + timedelta(hours=zone_offset_hours)
    if start.strftime("%H:%M") == "23:59":
        start += timedelta(minutes=2)
    return {"timezone": "UTC", "days": [1, 2, 3, 4, 5, 6, 7], "start": start.strftime("%H:%M"),
            "end": (start + timedelta(minutes=1)).strftime("%H:%M")}


async def test_outside_chat_hours_pupils_read_and_teachers_write(server: ServerProcess) -> None:
    project = await make_project(server)
    room = project.spaces["general"]
    async with realtime(server, project.pupil.token) as pupil, realtime(server, project.teacher.token) as teacher:
        listen(pupil)
        listen(teacher)
        async with Api(server, project.teacher.token) as api:
            r = await api.patch(f"/projects/{project.id}/safeguarding",
                                {"chat_hours": _closed_now(), "custom_words": ["nasty"]})
            assert r.status_code == 200, r.text
            assert r.json()["custom_words"] == ["nasty"] and r.json()["word_filter"] == "flag"  # the rest kept
        told = (await pupil.wait_for("project:safeguarding"))[0]
        assert told["custom_words"] == [] and told["chat_hours"] == r.json()["chat_hours"]
        assert told["project_id"] == project.id  # a member of several projects knows which one changed
        assert (await teacher.wait_for("project:safeguarding"))[0]["custom_words"] == ["nasty"]
        assert (await ok(pupil, "project:safeguarding", {"project_id": project.id}))["custom_words"] == []
        ack = await pupil.call("chat:send", _send(room))
        assert ack["error"]["code"] == "chat.closed_hours", ack
        assert datetime.fromisoformat(ack["error"]["data"]["opens_at"]) > datetime.now(UTC)
        assert "opens again at" in ack["error"]["message"]
        await ok(teacher, "chat:send", _send(room))
        state = (await ok(pupil, "room:join", {"room_id": room}))["write_state"]
        assert state["reason"] == "chat.closed_hours" and state["opens_at"].endswith("+00:00")
        await ok(pupil, "chat:history", {"room_id": room})  # reading stays open
        await ok(teacher, "project:safeguard", {"project_id": project.id, "chat_hours": None})
        await pupil.wait_for("project:safeguarding", lambda s: s["chat_hours"] is None)
        await ok(pupil, "chat:send", _send(room))


async def test_a_hidden_message_is_redacted_for_a_pupil_and_whole_for_a_teacher(server: ServerProcess) -> None:
    project = await make_project(server)
    room = project.spaces["general"]
    async with realtime(server, project.pupil.token) as pupil, realtime(server, project.teacher.token) as teacher:
        listen(pupil)
        listen(teacher)
        await ok(pupil, "room:join", {"room_id": room})
        await ok(teacher, "room:join", {"room_id": room})
        sent = await ok(pupil, "chat:send", _send(room, "something unkind"))
        hidden = await ok(teacher, "chat:hide", {"room_id": room, "message_id": sent["id"], "hidden": True})
        assert (hidden["hidden"], hidden["text"]) == (True, "something unkind")
        for rt in (pupil, teacher):  # the push is the redacted form, for everyone
            pushed = (await rt.wait_for("chat:message_hidden"))[0]
            assert (pushed["seq"], pushed["hidden"], pushed["text"], pushed["attachments"]) == \
                (sent["seq"], True, None, [])
        seen = (await ok(pupil, "chat:history", {"room_id": room}))["messages"][-1]
        assert (seen["id"], seen["text"]) == (sent["id"], None)
        assert (await ok(pupil, "room:join", {"room_id": room}))["messages"][-1]["text"] is None
        whole = (await ok(teacher, "chat:history", {"room_id": room}))["messages"][-1]
        assert whole == hidden
        ack = await pupil.call("chat:hide", {"room_id": room, "message_id": sent["id"], "hidden": False})
        assert ack["error"]["code"] == "permission.denied"
        async with Api(server, project.teacher.token) as api:
            r = await api.post(f"/spaces/{room}/messages/{sent['id']}/hide", {"hidden": False})
            assert r.status_code == 200 and r.json()["hidden"] is False, r.text
        shown = (await pupil.wait_for("chat:message_hidden", lambda m: not m["hidden"]))[0]
        assert shown["text"] == "something unkind"


async def test_a_hidden_post_is_redacted_for_a_pupil(server: ServerProcess) -> None:
    project = await make_project(server)
    forum = project.spaces["forum"]
    async with realtime(server, project.pupil.token) as pupil, realtime(server, project.teacher.token) as teacher:
        listen(pupil)
        thread = await ok(teacher, "forum:thread_create", {"forum_id": forum, "title": "Rivers", "body": "Go"})
        post = await ok(pupil, "forum:post_create", {"thread_id": thread["id"], "body": "something unkind"})
        path = f"/projects/{project.id}/forums/{forum}/threads/{thread['id']}/posts/{post['id']}/hide"
        async with Api(server, project.teacher.token) as api:
            r = await api.post(path, {"hidden": True})
            assert r.status_code == 200 and r.json()["body"] == "something unkind", r.text
        pushed = (await pupil.wait_for("forum:post_hidden"))[0]
        assert (pushed["id"], pushed["body"], pushed["hidden"]) == (post["id"], None, True)
        seen = (await ok(pupil, "forum:post_list", {"thread_id": thread["id"]}))["posts"][0]
        assert (seen["body"], seen["body_html"]) == (None, None)
        whole = (await ok(teacher, "forum:post_list", {"thread_id": thread["id"]}))["posts"][0]
        assert whole["body"] == "something unkind" and whole["hidden"]


async def test_a_mute_made_on_one_instance_holds_on_the_other_at_once(
        make_server: Callable[..., ServerProcess], redis_server: RedisServer, tmp_path: Path) -> None:
    data = tmp_path / "shared"
    flags = ("--fanout-url", redis_server.url, "--chat-rate-messages", "10000")
    a = make_server(*flags, data_dir=data).start()  # makes the signing secret, migrates
    b = make_server(*flags, data_dir=data).start()
    project = await make_project(a)
    room = project.spaces["general"]
    async with realtime(a, project.teacher.token) as teacher, realtime(b, project.pupil.token) as pupil:
        listen(pupil)
        await ok(pupil, "room:join", {"room_id": room})
        await ok(pupil, "chat:send", _send(room, "before"))
        state = await ok(teacher, "moderation:mute", {"project_id": project.id, "user_id": project.pupil.id,
                                                      "minutes": 15})
        assert [m["room_id"] for m in state["mutes"]] == [None]
        # At once: the next send through the other instance reads the stored mute.
        ack = await pupil.call("chat:send", _send(room, "after"))
        assert not ack["ok"] and ack["error"]["code"] == "chat.muted", ack
        assert ack["error"]["data"]["ends_at"] == state["mutes"][0]["until"]
        assert ack["error"]["data"]["until"] in ack["error"]["message"]
        assert (await pupil.wait_for("moderation:muted"))[0] == state
        joined = await ok(pupil, "room:join", {"room_id": room})
        assert joined["write_state"]["reason"] == "chat.muted"
        assert joined["write_state"]["until"] == state["mutes"][0]["until"]
        # A muted pupil can still ask a teacher for help.
        await ok(pupil, "mail:send", {"project_id": project.id, "to": [project.teacher.id], "subject": "Help",
                                      "body": "Why?"})
        async with Api(b, project.teacher.token) as api:  # unmuted through the other instance
            r = await api.delete(f"/projects/{project.id}/members/{project.pupil.id}/mutes")
            assert r.status_code == 200 and r.json()["mutes"] == [], r.text
        await pupil.wait_for("moderation:muted", lambda s: s["mutes"] == [])
        await ok(pupil, "chat:send", _send(room, "thank you"))
