"""Live chat against a running server with several real Socket.IO clients."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable

import pytest

from tests.support.clients import Api, Project, make_project, realtime
from tests.support.server import ServerProcess

SCRIPTS = [
    "Bonjour à tous ! 👋🏽🇫🇷",
    "Καλημέρα από την Αθήνα",
    "Привет из Москвы",
    "مرحبا من القاهرة",
    "e\u0301 n\u0303 a\u0308\u0301 — combining marks stay as sent",
    "👩‍👩‍👧‍👦 family ZWJ, 𝒻𝓇𝒶𝓀𝓉𝓊𝓇, tab\tand\nnew line",
]


def cid() -> str:
    return uuid.uuid4().hex


async def send(rt, room: str, text: str, client_id: str | None = None) -> dict:  # type: ignore[no-untyped-def]
    ack = await rt.call("chat:send", {"room_id": room, "client_id": client_id or cid(), "text": text})
    assert ack["ok"], ack
    return ack["data"]  # type: ignore[no-any-return]


@pytest.fixture
async def project(server: ServerProcess) -> Project:
    return await make_project(server)


async def pupil_of(server: ServerProcess, project: Project, name: str, school: str, country: str) -> str:
    """Add a pupil (admin creates the access) and return the pupil's token."""
    async with Api(server, project.admin.token) as api:
        r = await api.post(f"/projects/{project.id}/members",
                           {"role": "pupil", "display_name": name, "school": school, "country": country})
        assert r.status_code == 201
    return server.token(r.json()["user_id"], "pupil", name=name, school=school, country=country)


async def test_two_pupils_of_different_schools_chat(server: ServerProcess, project: Project) -> None:
    lea = await pupil_of(server, project, "Léa", "Collège Jean Moulin", "FR")
    mats = await pupil_of(server, project, "Mats", "Gymnasium Köln", "DE")
    room = project.spaces["general"]
    async with realtime(server, lea) as a, realtime(server, mats) as b:
        joined_a = await a.call("room:join", {"room_id": room})
        joined_b = await b.call("room:join", {"room_id": room})
        assert joined_a["ok"] and joined_b["ok"]
        assert joined_b["data"]["room"]["id"] == room
        assert {p["name"] for p in joined_b["data"]["online"]} == {"Léa", "Mats"}
        sent = await send(a, room, "Salut Mats ! How is the Rhine today?")
        assert sent["seq"] == 1 and sent["author_name"] == "Léa" and sent["text"].startswith("Salut")
        assert sent["id"].startswith("msg_") and sent["created_at"].endswith("Z")
        pushed = await b.wait_for("chat:message")
        assert pushed == [sent]
        reply = await send(b, room, "Cold and grey! 🌧️")
        assert reply["seq"] == 2
        assert (await a.wait_for("chat:message", lambda m: m["seq"] == 2))[0]["text"] == "Cold and grey! 🌧️"


async def test_every_script_is_kept_byte_exact(server: ServerProcess, project: Project) -> None:
    room = project.spaces["general"]
    async with realtime(server, project.pupil.token) as rt:
        await rt.call("room:join", {"room_id": room})
        sent = [await send(rt, room, text) for text in SCRIPTS]
        history = await rt.call("chat:history", {"room_id": room, "limit": 50})
    assert [m["text"] for m in sent] == SCRIPTS
    assert [m["text"].encode() for m in history["data"]["messages"]] == [t.encode() for t in SCRIPTS]


@pytest.mark.parametrize(("text", "detail"), [
    ("", "text"), ("   \n\t ", "empty or only whitespace"), ("\u3000\u00a0", "empty or only whitespace"),
    ("x" * 4001, "at most 4000 characters"),
])
async def test_bad_texts_are_refused_and_store_nothing(server: ServerProcess, project: Project, text: str,
                                                       detail: str) -> None:
    room = project.spaces["general"]
    async with realtime(server, project.pupil.token) as rt:
        ack = await rt.call("chat:send", {"room_id": room, "client_id": cid(), "text": text})
        assert ack["ok"] is False and ack["error"]["code"] == "request.invalid"
        assert detail in ack["error"]["message"]
        joined = await rt.call("room:join", {"room_id": room})
        assert joined["data"]["last_seq"] == 0 and joined["data"]["messages"] == []
        assert (await send(rt, room, "x" * 4000))["seq"] == 1  # the limit itself is fine


async def test_twenty_concurrent_senders_make_a_gap_free_sequence(
        make_server: Callable[..., ServerProcess]) -> None:
    server = make_server("--chat-rate-messages", "1000").start()
    project = await make_project(server)
    room = project.spaces["general"]
    senders = [await pupil_of(server, project, f"Pupil {i}", "School", "FR") for i in range(20)]

    async def run(token: str, n: int) -> list[int]:
        async with realtime(server, token) as rt:
            return [(await send(rt, room, f"sender {n} message {k}"))["seq"] for k in range(50)]

    async with realtime(server, project.teacher.token) as watcher:
        await watcher.call("room:join", {"room_id": room})
        results = await asyncio.wait_for(asyncio.gather(*(run(t, n) for n, t in enumerate(senders))), 120)
        seqs = sorted(s for r in results for s in r)
        assert seqs == list(range(1, 1001))
        for r in results:
            assert r == sorted(r)  # each sender's messages keep their order
        pushed = await watcher.wait_for("chat:message", count=1000, timeout=60)
        assert sorted(m["seq"] for m in pushed) == list(range(1, 1001))
    async with realtime(server, project.teacher.token) as rt:
        seen: list[int] = []
        after = 0
        while True:
            page = (await rt.call("chat:history", {"room_id": room, "after_seq": after, "limit": 200}))["data"]
            seen += [m["seq"] for m in page["messages"]]
            after = seen[-1]
            if not page["has_more"]:
                break
        assert seen == list(range(1, 1001))


async def test_rejoin_with_since_seq_receives_exactly_what_was_missed(server: ServerProcess,
                                                                      project: Project) -> None:
    room = project.spaces["general"]
    async with realtime(server, project.pupil.token) as rt:
        await rt.call("room:join", {"room_id": room})
        last = (await send(rt, room, "before the Wi-Fi dropped"))["seq"]
    async with realtime(server, project.teacher.token) as teacher:
        await teacher.call("room:join", {"room_id": room})
        missed = [await send(teacher, room, f"while you were away {i}") for i in range(50)]
    async with realtime(server, project.pupil.token) as rt:
        joined = (await rt.call("room:join", {"room_id": room, "since_seq": last}))["data"]
    assert [m["id"] for m in joined["messages"]] == [m["id"] for m in missed]
    assert [m["seq"] for m in joined["messages"]] == list(range(last + 1, last + 51))
    assert joined["has_more"] is False
    assert joined["unread"] == 50 and joined["last_read_seq"] == last and joined["last_seq"] == last + 50


async def test_a_retried_send_is_stored_once(server: ServerProcess, project: Project) -> None:
    room = project.spaces["general"]
    client_id = cid()
    async with realtime(server, project.pupil.token) as rt:
        # The client drops before the ack arrives.
        await rt.sio.emit("chat:send", {"room_id": room, "client_id": client_id, "text": "Did it go through?"})
    async with realtime(server, project.pupil.token) as rt:
        first = await send(rt, room, "Did it go through?", client_id)
        again = await send(rt, room, "Did it go through?", client_id)
        assert first == again
        history = (await rt.call("chat:history", {"room_id": room}))["data"]["messages"]
    assert [m["client_id"] for m in history] == [client_id]
    # The same client_id from someone else is their own message.
    async with realtime(server, project.teacher.token) as rt:
        other = await send(rt, room, "mine", client_id)
        assert other["id"] != first["id"] and other["seq"] == first["seq"] + 1


async def test_visitors_never_write_and_nothing_is_stored(server: ServerProcess, project: Project) -> None:
    for key in ("general", "open"):
        async with realtime(server, project.visitor.token) as rt:
            ack = await rt.call("chat:send", {"room_id": project.spaces[key], "client_id": cid(), "text": "Hi!"})
            assert ack["ok"] is False
            assert ack["error"]["code"] == "permission.denied"
            ack = await rt.call("chat:typing", {"room_id": project.spaces[key]})
            assert ack["ok"] is False
    async with realtime(server, project.visitor.token) as rt:
        joined = await rt.call("room:join", {"room_id": project.spaces["open"]})
        assert joined["ok"] and joined["data"]["last_seq"] == 0
        assert (await rt.call("room:join", {"room_id": project.spaces["general"]}))["ok"] is False
    async with realtime(server, project.teacher.token) as rt:
        for key in ("general", "open"):
            assert (await rt.call("room:join", {"room_id": project.spaces[key]}))["data"]["last_seq"] == 0


async def test_pupils_never_reach_the_staff_room(server: ServerProcess, project: Project) -> None:
    staff = project.spaces["staff"]
    async with realtime(server, project.teacher.token) as rt:
        await send(rt, staff, "Parents' evening is on Thursday")
    async with realtime(server, project.pupil.token) as rt:
        for event, payload in (("room:join", {"room_id": staff}), ("chat:history", {"room_id": staff}),
                               ("chat:send", {"room_id": staff, "client_id": cid(), "text": "hi"}),
                               ("chat:read", {"room_id": staff, "seq": 1})):
            ack = await rt.call(event, payload)
            assert ack["ok"] is False and ack["error"]["code"] == "permission.denied", event
        assert rt.pushes["chat:message"] == []
    async with realtime(server, project.outsider.token) as rt:
        ack = await rt.call("chat:history", {"room_id": staff})
        assert ack["error"]["code"] == "room.not_found"
    async with realtime(server, project.teacher.token) as rt:
        history = (await rt.call("chat:history", {"room_id": staff}))["data"]["messages"]
        assert len(history) == 1


async def test_edits_and_deletes_reach_the_others_and_leave_tombstones(server: ServerProcess,
                                                                       project: Project) -> None:
    room = project.spaces["general"]
    async with realtime(server, project.pupil.token) as pupil, realtime(server, project.teacher.token) as teacher:
        await pupil.call("room:join", {"room_id": room})
        await teacher.call("room:join", {"room_id": room})
        first = await send(pupil, room, "My favourit river is the Rhône")
        second = await send(pupil, room, "something silly")
        third = await send(teacher, room, "Welcome everyone")

        edit = await pupil.call("chat:edit", {"room_id": room, "message_id": first["id"],
                                              "text": "My favourite river is the Rhône"})
        assert edit["ok"] and edit["data"]["edited_at"] and edit["data"]["seq"] == first["seq"]
        pushed = await teacher.wait_for("chat:message_edited")
        assert pushed[0]["text"] == "My favourite river is the Rhône"

        # Only the author edits; a pupil deletes no one else's message.
        ack = await teacher.call("chat:edit", {"room_id": room, "message_id": first["id"], "text": "x"})
        assert ack["error"]["code"] == "permission.denied"
        ack = await pupil.call("chat:delete", {"room_id": room, "message_id": third["id"]})
        assert ack["error"]["code"] == "permission.denied"

        # The author deletes their own; a teacher deletes any in the project.
        assert (await pupil.call("chat:delete", {"room_id": room, "message_id": first["id"]}))["ok"]
        assert (await teacher.call("chat:delete", {"room_id": room, "message_id": second["id"]}))["ok"]
        deleted = await teacher.wait_for("chat:message_deleted", count=2)
        assert {d["id"] for d in deleted} == {first["id"], second["id"]}
        await pupil.wait_for("chat:message_deleted", count=2)
        ack = await pupil.call("chat:edit", {"room_id": room, "message_id": second["id"], "text": "back"})
        assert ack["error"]["code"] == "message.not_found"

        history = (await pupil.call("chat:history", {"room_id": room}))["data"]["messages"]
        assert [m["seq"] for m in history] == [1, 2, 3]
        assert [(m["deleted"], m["text"]) for m in history] == [
            (True, None), (True, None), (False, "Welcome everyone")]
        assert history[1]["deleted_by"] == project.teacher.id


async def test_presence_and_unread_with_two_tabs_and_reconnects(server: ServerProcess, project: Project) -> None:
    room = project.spaces["general"]
    names = {project.pupil.id: project.pupil.name, project.teacher.id: project.teacher.name}

    def joined(push: dict) -> set[str]:  # type: ignore[type-arg]
        return {p["user_id"] for p in push["joined"]}

    async with realtime(server, project.teacher.token) as teacher:
        await teacher.call("room:join", {"room_id": room})
        async with realtime(server, project.pupil.token) as tab1, realtime(server, project.pupil.token) as tab2:
            await tab1.call("room:join", {"room_id": room})
            await teacher.wait_for("presence:update", lambda p: project.pupil.id in joined(p))
            joined = (await tab2.call("room:join", {"room_id": room}))["data"]
            assert sorted(p["user_id"] for p in joined["online"]) == sorted(names)  # one entry for two tabs
            for k in range(3):
                await send(teacher, room, f"question {k}")
            await tab2.wait_for("chat:message", count=3)
            # Tab 1 reads: tab 2 hears the new count at once.
            read = await tab1.call("chat:read", {"room_id": room, "seq": 2})
            assert read["data"] == {"room_id": room, "unread": 1, "last_read_seq": 2, "last_seq": 3}
            pushed = await tab2.wait_for("room:unread", lambda u: u["last_read_seq"] == 2)
            assert pushed[0]["unread"] == 1
            # Reading backwards never moves the marker back.
            assert (await tab2.call("chat:read", {"room_id": room, "seq": 1}))["data"]["unread"] == 1
            # Tab 1 leaves; tab 2 still there: nobody is told the pupil left. The marker: the admin
            # joins afterwards, and that change reaches the teacher in the same batched push as any
            # other since (or after an earlier one).
            await tab1.call("room:leave", {"room_id": room})
            async with realtime(server, project.admin.token) as admin:
                await admin.call("room:join", {"room_id": room})
                came = (await teacher.wait_for(
                    "presence:update", lambda p: project.admin.id in {e["user_id"] for e in p["joined"]}))[0]
                await admin.call("room:leave", {"room_id": room})
            told = [*teacher.before(came, "presence:update"), came]
            assert not any(project.pupil.id in p["left"] for p in told)  # tab 2 still there: no change
        # Both tabs closed: the pupil is offline.
        await teacher.wait_for("presence:update", lambda p: project.pupil.id in p["left"])
        await send(teacher, room, "question 3")
        async with realtime(server, project.pupil.token) as again:
            joined = (await again.call("room:join", {"room_id": room, "since_seq": 2}))["data"]
            assert (joined["unread"], joined["last_read_seq"], joined["last_seq"]) == (2, 2, 4)
            assert sorted(p["user_id"] for p in joined["online"]) == sorted(names)
            # Own messages never count as unread.
            await send(again, room, "I'm back")
            assert (await again.call("room:join", {"room_id": room}))["data"]["unread"] == 0


async def test_a_send_moves_the_senders_marker_and_tells_their_other_tabs(server: ServerProcess,
                                                                         project: Project) -> None:
    room = project.spaces["general"]
    async with realtime(server, project.pupil.token) as tab1, realtime(server, project.pupil.token) as tab2:
        await tab1.call("room:join", {"room_id": room})
        await tab2.call("room:join", {"room_id": room})
        mine = await send(tab1, room, "answer")
        pushed = await tab2.wait_for("room:unread", lambda u: u["last_read_seq"] == mine["seq"])
        assert pushed[-1] == {"room_id": room, "unread": 0, "last_read_seq": mine["seq"], "last_seq": mine["seq"]}
        await tab2.wait_for("chat:message")
        await tab1.wait_for("chat:message")
        assert tab1.pushes["room:unread"] == []  # the sending tab has it in its ack


async def test_typing_is_throttled(server: ServerProcess, project: Project) -> None:
    room = project.spaces["general"]
    async with realtime(server, project.pupil.token) as pupil, realtime(server, project.teacher.token) as teacher:
        await pupil.call("room:join", {"room_id": room})
        await teacher.call("room:join", {"room_id": room})
        acks = [await pupil.call("chat:typing", {"room_id": room}) for _ in range(5)]
        assert [a["data"]["sent"] for a in acks] == [True, False, False, False, False]
        pushed = await teacher.wait_for("chat:typing")
        assert pushed[0]["user"]["user_id"] == project.pupil.id
        # The marker: a message sent after the throttled calls, which reaches both after any typing push.
        sent = await send(pupil, room, "done typing")
        marker = (await teacher.wait_for("chat:message", lambda m: m["id"] == sent["id"]))[0]
        assert len(teacher.before(marker, "chat:typing")) == 1
        own = (await pupil.wait_for("chat:message", lambda m: m["id"] == sent["id"]))[0]
        assert pupil.before(own, "chat:typing") == []  # never told of one's own typing


async def test_rate_limit_triggers_and_lifts(make_server: Callable[..., ServerProcess]) -> None:
    server = make_server("--chat-rate-messages", "3", "--chat-rate-window-secs", "2").start()
    project = await make_project(server)
    room = project.spaces["general"]
    async with realtime(server, project.pupil.token) as rt:
        for k in range(3):
            await send(rt, room, f"quick {k}")
        ack = await rt.call("chat:send", {"room_id": room, "client_id": cid(), "text": "one too many"})
        assert ack["ok"] is False and ack["error"]["code"] == "rate.limited"
        assert 1 <= ack["error"]["data"]["retry_after_secs"] <= 3
        assert (await rt.call("room:join", {"room_id": room}))["data"]["last_seq"] == 3  # nothing stored
        await asyncio.sleep(ack["error"]["data"]["retry_after_secs"])  # the wait the server asked for: the point
        assert (await send(rt, room, "calm again"))["seq"] == 4


async def test_retries_are_not_counted_by_the_rate_limit(make_server: Callable[..., ServerProcess]) -> None:
    server = make_server("--chat-rate-messages", "3", "--chat-rate-window-secs", "30").start()
    project = await make_project(server)
    room = project.spaces["general"]
    async with realtime(server, project.pupil.token) as rt:
        first = await send(rt, room, "one", client_id="c-1")
        for _ in range(3):  # a client retrying after lost acks, within the limit
            assert await send(rt, room, "one", client_id="c-1") == first
        second, third = await send(rt, room, "two"), await send(rt, room, "three")
        assert (second["seq"], third["seq"]) == (2, 3)  # the retries left room for these
        assert await send(rt, room, "one", client_id="c-1") == first  # a retry past the limit: still answered
        ack = await rt.call("chat:send", {"room_id": room, "client_id": cid(), "text": "four"})
        assert ack["error"]["code"] == "rate.limited"


async def test_archived_projects_are_read_only(server: ServerProcess, project: Project) -> None:
    room = project.spaces["general"]
    async with realtime(server, project.pupil.token) as rt:
        first = await send(rt, room, "before the summer")
    async with Api(server, project.admin.token) as api:
        assert (await api.post(f"/projects/{project.id}/archive")).status_code == 200
    async with realtime(server, project.admin.token) as rt:
        for event, payload in (("chat:send", {"room_id": room, "client_id": cid(), "text": "late"}),
                               ("chat:delete", {"room_id": room, "message_id": first["id"]})):
            ack = await rt.call(event, payload)
            assert ack["error"]["code"] == "project.archived", event
        history = (await rt.call("chat:history", {"room_id": room}))["data"]["messages"]
        assert [m["text"] for m in history] == ["before the summer"]


async def test_chat_events_on_a_forum_or_unknown_room(server: ServerProcess, project: Project) -> None:
    async with realtime(server, project.admin.token) as rt:
        for room in (project.spaces["forum"], "spc_nowhere"):
            ack = await rt.call("room:join", {"room_id": room})
            assert ack["error"]["code"] == "room.not_found"
        ack = await rt.call("chat:history", {"room_id": project.spaces["general"], "before_seq": 5, "after_seq": 1})
        assert ack["error"]["code"] == "request.invalid"
        ack = await rt.call("chat:send", {"room_id": project.spaces["general"], "client_id": cid(), "text": "x",
                                          "reply_to": "msg_nowhere"})
        assert ack["error"]["code"] == "request.invalid"
        assert (await rt.call("room:join", {"room_id": project.spaces["general"]}))["data"]["last_seq"] == 0


async def test_a_removed_member_stops_hearing_the_room_at_once(server: ServerProcess, project: Project) -> None:
    room = project.spaces["general"]
    async with realtime(server, project.pupil.token) as pupil, realtime(server, project.teacher.token) as teacher:
        await pupil.call("room:join", {"room_id": room})
        await teacher.call("room:join", {"room_id": room})
        await send(teacher, room, "before")
        await pupil.wait_for("chat:message")
        async with Api(server, project.admin.token) as api:
            assert (await api.delete(f"/projects/{project.id}/members/{project.pupil.id}")).status_code == 204
        await teacher.wait_for("presence:update", lambda p: project.pupil.id in p["left"])
        await send(teacher, room, "after")
        # The pupil's next answer is the marker: "after", had it been pushed to the pupil, came before it.
        ack = await pupil.call("chat:history", {"room_id": room})
        assert ack["error"]["code"] == "room.not_found"
        assert [m["text"] for m in pupil.pushes["chat:message"]] == ["before"]
