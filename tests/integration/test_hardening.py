"""Security hardening: quotas under concurrency, enrolment by id, presence views, room-wide floods."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx

from rooms import cursors
from tests.support.clients import Api, make_project, realtime
from tests.support.fingerprint import row_counts
from tests.support.server import ServerProcess


async def test_a_pupil_joins_another_project_only_through_their_own_teacher(server: ServerProcess) -> None:
    """Naming another project's pupil or visitor by id is refused; their own teacher may bring them."""
    a = await make_project(server)
    b = await make_project(server)
    async with Api(server, b.admin.token) as api:
        for who, role in ((a.pupil, "pupil"), (a.visitor, "visitor"), (a.pupil, "visitor")):
            r = await api.post(f"/projects/{b.id}/members", {"role": role, "user_id": who.id, "display_name": "X"})
            assert r.status_code == 403 and r.json()["error"]["code"] == "member.not_yours", r.text
        r = await api.get(f"/projects/{b.id}/members")
        assert a.pupil.id not in r.text and a.visitor.id not in r.text  # nothing stored
        # An adult joins by id as before; a new pupil without an id always can.
        r = await api.post(f"/projects/{b.id}/members", {"role": "admin", "user_id": a.admin.id,
                                                         "display_name": "Mme A"})
        assert r.status_code == 201, r.text
        r = await api.post(f"/projects/{b.id}/members", {"role": "pupil", "display_name": "New"})
        assert r.status_code == 201, r.text
    # A's admin, now staff in both, brings their own pupil.
    async with Api(server, a.admin.token) as api:
        r = await api.post(f"/projects/{b.id}/members", {"role": "pupil", "user_id": a.pupil.id,
                                                         "display_name": "Tom"})
        assert r.status_code == 201, r.text


LONE = "half a pair \ud83d here"
HUGE = 2**64 + 5


async def test_text_no_store_can_keep_is_refused_as_request_invalid(server: ServerProcess) -> None:
    """Lone surrogates in every text field and numbers beyond 64 bits: request.invalid, nothing stored."""
    project = await make_project(server)
    general, forum = project.spaces["general"], project.spaces["forum"]
    async with realtime(server, project.admin.token) as rt:
        sent = await rt.call("chat:send", {"room_id": general, "client_id": "c1", "text": "hello"})
        thread = await rt.call("forum:thread_create", {"forum_id": forum, "title": "T", "body": "B"})
        assert sent["ok"] and thread["ok"], (sent, thread)
        message_id, thread_id = sent["data"]["id"], thread["data"]["id"]
        before = row_counts(server)
        calls: list[tuple[str, dict[str, Any]]] = [
            ("chat:send", {"room_id": general, "client_id": "c2", "text": LONE}),
            ("chat:send", {"room_id": general, "client_id": LONE, "text": "x"}),
            ("chat:edit", {"room_id": general, "message_id": message_id, "text": LONE}),
            ("forum:thread_create", {"forum_id": forum, "title": LONE, "body": "B"}),
            ("forum:thread_create", {"forum_id": forum, "title": "T", "body": LONE}),
            ("forum:thread_edit", {"thread_id": thread_id, "title": LONE}),
            ("forum:post_create", {"thread_id": thread_id, "body": LONE}),
            ("mail:send", {"project_id": project.id, "to": [project.teacher.id], "subject": LONE, "body": "b"}),
            ("mail:send", {"project_id": project.id, "to": [project.teacher.id], "subject": "s", "body": LONE}),
            ("report:create", {"kind": "message", "item_id": message_id, "room_id": general, "reason": "other",
                               "note": LONE}),
            ("chat:history", {"room_id": general, "before_seq": HUGE}),
            ("chat:history", {"room_id": general, "after_seq": HUGE}),
            ("room:join", {"room_id": general, "since_seq": HUGE}),
            ("chat:read", {"room_id": general, "seq": HUGE}),
            ("forum:thread_read", {"thread_id": thread_id, "seq": HUGE}),
            ("forum:thread_list", {"forum_id": forum, "cursor": cursors.encode(HUGE, HUGE)}),
            ("forum:post_list", {"thread_id": thread_id, "cursor": cursors.encode(HUGE)}),
            ("mail:list", {"folder": "inbox", "cursor": cursors.encode(HUGE)}),
        ]
        for event, payload in calls:
            ack = await rt.call(event, payload)
            assert not ack["ok"] and ack["error"]["code"] == "request.invalid", (event, payload, ack)
        assert row_counts(server) == before
    async with Api(server, project.admin.token) as api:
        r = await api.get("/mail", params={"cursor": cursors.encode(HUGE)})
        assert r.status_code == 400 and r.json()["error"]["code"] == "request.invalid", r.text
    assert "Traceback" not in server.log()


async def test_a_body_nested_100000_levels_deep_is_refused(server: ServerProcess) -> None:
    project = await make_project(server)
    async with Api(server, project.admin.token) as api:
        for body in ("[" * 100_000 + "]" * 100_000, '{"title": ' + "[" * 100_000 + "]" * 100_000 + "}"):
            r = await api.request("PATCH", f"/projects/{project.id}/settings", content=body,
                                  headers={"Content-Type": "application/json"})
            assert r.status_code == 400 and r.json()["error"]["code"] == "request.invalid", r.text
        r = await api.request("PATCH", f"/projects/{project.id}/settings", json={"title": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[
            "deep"]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]})
        assert r.status_code == 400 and r.json()["error"]["code"] == "request.invalid", r.text
    assert "Traceback" not in server.log()


async def test_floods_that_reach_a_whole_room_are_rate_limited(make_server: Callable[..., ServerProcess]) -> None:
    """chat:edit and forum writes: past their rate, rate.limited, and nothing more is pushed."""
    server = make_server("--chat-edit-rate", "5", "--forum-rate-posts", "4").start()
    project = await make_project(server)
    general, forum = project.spaces["general"], project.spaces["forum"]
    async with realtime(server, project.pupil.token) as pupil, realtime(server, project.teacher.token) as other:
        assert (await other.call("room:join", {"room_id": general}))["ok"]
        sent = await pupil.call("chat:send", {"room_id": general, "client_id": "c1", "text": "hello"})
        message_id = sent["data"]["id"]
        acks = await asyncio.gather(*(pupil.call("chat:edit", {"room_id": general, "message_id": message_id,
                                                              "text": f"edit {k}"}) for k in range(60)))
        assert sum(a["ok"] for a in acks) == 5
        assert {a["error"]["code"] for a in acks if not a["ok"]} == {"rate.limited"}
        assert all(a["error"]["data"]["retry_after_secs"] >= 1 for a in acks if not a["ok"])
        marker = await pupil.call("chat:send", {"room_id": general, "client_id": "c2", "text": "marker"})
        (heard,) = await other.wait_for("chat:message", lambda m: m["id"] == marker["data"]["id"])
        assert len(other.before(heard, "chat:message_edited")) == 5

        thread = await pupil.call("forum:thread_create", {"forum_id": forum, "title": "T", "body": "B"})
        thread_id = thread["data"]["id"]
        acks = [await pupil.call("forum:post_create", {"thread_id": thread_id, "body": f"p{k}"}) for k in range(3)]
        acks += [await pupil.call("forum:thread_create", {"forum_id": forum, "title": "T2", "body": "B"}),
                 await pupil.call("forum:thread_edit", {"thread_id": thread_id, "title": "T3"}),
                 await pupil.call("forum:post_create", {"thread_id": thread_id, "body": "late"})]
        assert [a["ok"] for a in acks] == [True, True, True, False, False, False]
        assert {a["error"]["code"] for a in acks[3:]} == {"rate.limited"}
    # Someone else still writes: the rate is per person.
    async with realtime(server, project.teacher.token) as teacher:
        assert (await teacher.call("forum:post_create", {"thread_id": thread_id, "body": "fine"}))["ok"]


async def test_visitors_never_hear_a_pupils_id_in_presence(server: ServerProcess) -> None:
    """room:join's online list, presence:update and chat:typing show visitors a pupil as the member list does."""
    project = await make_project(server)
    room = project.spaces["open"]
    async with realtime(server, project.visitor.token) as visitor:
        async with realtime(server, project.pupil.token) as pupil:
            assert (await pupil.call("room:join", {"room_id": room}))["ok"]
            joined = await visitor.call("room:join", {"room_id": room})
            assert joined["ok"], joined
            assert project.pupil.id not in json.dumps(joined)
            pupils = [p for p in joined["data"]["online"] if p["role"] == "pupil"]
            assert len(pupils) == 1 and pupils[0]["user_id"] is None and pupils[0]["key"].startswith("prs_")
            mine = [p for p in joined["data"]["online"] if p["role"] == "visitor"]
            assert mine[0]["user_id"] == project.visitor.id  # adults keep their ids
            async with realtime(server, project.teacher.token) as teacher:
                assert (await teacher.call("room:join", {"room_id": room}))["ok"]
                await visitor.wait_for("presence:update", lambda u: any(p["role"] == "teacher" for p in u["joined"]))
                assert (await pupil.call("chat:typing", {"room_id": room}))["data"]["sent"]
                (typing,) = await teacher.wait_for("chat:typing")
                assert typing["user"]["user_id"] == typing["user"]["key"] == project.pupil.id  # staff see the id
                await visitor.wait_for("chat:typing")
        # The pupil went offline: the visitor hears their key, never their id.
        (gone,) = await visitor.wait_for("presence:update", lambda u: pupils[0]["key"] in u["left"])
        # A second pupil comes online, then a marker: nothing the visitor heard before it names a pupil.
        async with realtime(server, project.pupil.token) as again:
            assert (await again.call("room:join", {"room_id": room}))["ok"]
            (back,) = await visitor.wait_for("presence:update", lambda u: any(p["role"] == "pupil" for p in u["joined"]))
            assert back["joined"][0]["key"] == pupils[0]["key"]  # the same key for the same person
        heard = json.dumps([data for _, data in visitor.arrivals])
        assert project.pupil.id not in heard, heard


QUOTA = 1_000_000


async def _stored_bytes(server: ServerProcess, project_id: str) -> int:
    db = sqlite3.connect(f"file:{server.data_dir / 'twinspace.db'}?mode=ro", uri=True, timeout=10)
    try:
        return int(db.execute("SELECT COALESCE(SUM(size), 0) FROM files WHERE project_id = ?",
                              (project_id,)).fetchone()[0])
    finally:
        db.close()


async def test_uploads_started_at_once_store_at_most_the_quota(make_server: Callable[..., ServerProcess]) -> None:
    """16 declared and 16 streamed (no size given) uploads at once against a 1 MB quota."""
    server = make_server("--project-quota-bytes", str(QUOTA)).start()
    project = await make_project(server)
    size = 300_000

    async def streamed() -> AsyncIterator[bytes]:
        for _ in range(size // 20_000):
            yield b"b" * 20_000
            await asyncio.sleep(0.01)  # the uploads interleave

    async with Api(server, project.teacher.token) as api:
        async def one(k: int) -> httpx.Response:
            content: Any = b"a" * size if k % 2 else streamed()
            return await api.request("POST", f"/projects/{project.id}/files", params={"name": f"n{k}.txt"},
                                     content=content)
        answers = await asyncio.gather(*(one(k) for k in range(32)))
    codes = {r.status_code for r in answers}
    assert codes <= {201, 413}, codes
    assert {r.json()["error"]["code"] for r in answers if r.status_code == 413} == {"file.quota_exceeded"}
    stored = sum(r.json()["size"] for r in answers if r.status_code == 201)
    assert 0 < stored <= QUOTA and await _stored_bytes(server, project.id) == stored
    # Released: once the files are deleted the whole quota is there again.
    async with Api(server, project.teacher.token) as api:
        for r in answers:
            if r.status_code == 201:
                assert (await api.request("DELETE", f"/files/{r.json()['id']}")).status_code == 200
        r = await api.request("POST", f"/projects/{project.id}/files", params={"name": "all.txt"},
                              content=b"c" * QUOTA)
        assert r.status_code == 201, r.text


async def test_visitors_never_see_a_pupils_id_in_what_the_pupil_wrote(server: ServerProcess) -> None:
    """A pupil's messages, posts and place on a mail reach visitors without the pupil's id, as in the member list;
    members and staff keep the id; an erased pupil is announced to the adults who knew the id only."""
    project = await make_project(server)
    room = project.spaces["open"]
    async with Api(server, project.admin.token) as api:
        r = await api.post(f"/projects/{project.id}/spaces", {"name": "Parents' corner", "visibility": "visitors",
                                                               "kind": "forum"})
        assert r.status_code == 201, r.text
        forum = r.json()["id"]
    async with realtime(server, project.visitor.token) as visitor, \
            realtime(server, project.pupil.token) as pupil, realtime(server, project.admin.token) as admin:
        for c in (visitor, pupil, admin):
            assert (await c.call("room:join", {"room_id": room}))["ok"]
        sent = await pupil.call("chat:send", {"room_id": room, "client_id": "c1", "text": "our river is clean"})
        assert sent["ok"], sent
        (heard,) = await visitor.wait_for("chat:message")
        assert heard["author_id"] is None and heard["author_role"] == "pupil" and heard["author_name"]
        (staff_heard,) = await admin.wait_for("chat:message")
        assert staff_heard["author_id"] == project.pupil.id
        # The pupil deletes it: the visitor learns neither the author nor who deleted it.
        assert (await pupil.call("chat:delete", {"room_id": room, "message_id": sent["data"]["id"]}))["ok"]
        (gone,) = await visitor.wait_for("chat:message_deleted")
        assert gone["author_id"] is None and gone["deleted_by"] is None
        # A teacher's message keeps its author for everyone.
        assert (await admin.call("chat:send", {"room_id": room, "client_id": "c2", "text": "well done"}))["ok"]
        (teacher_msg,) = await visitor.wait_for("chat:message", lambda m: m["client_id"] == "c2")
        assert teacher_msg["author_id"] == project.admin.id
        history = await visitor.call("chat:history", {"room_id": room})
        assert [m["author_id"] for m in history["data"]["messages"]] == [None, project.admin.id]
        rejoined = await visitor.call("room:join", {"room_id": room})
        assert [m["author_id"] for m in rejoined["data"]["messages"]] == [None, project.admin.id]
        # The forum: a pupil's thread and post, pushed and listed.
        thread = await pupil.call("forum:thread_create", {"forum_id": forum, "title": "Our survey", "body": "Results"})
        assert thread["ok"], thread
        (created,) = await visitor.wait_for("forum:thread_created")
        assert created["author_id"] is None
        thread_id = thread["data"]["id"]
        assert (await pupil.call("forum:post_create", {"thread_id": thread_id, "body": "More results"}))["ok"]
        (post,) = await visitor.wait_for("forum:post_created")
        assert post["author_id"] is None and post["author_role"] == "pupil"
        listed = await visitor.call("forum:thread_list", {"forum_id": forum})
        assert listed["data"]["threads"][0]["thread"]["author_id"] is None
        page = await visitor.call("forum:post_list", {"thread_id": thread_id})
        assert page["data"]["thread"]["author_id"] is None and page["data"]["posts"][0]["author_id"] is None
        assert (await admin.call("forum:post_list", {"thread_id": thread_id}))["data"]["posts"][0]["author_id"] \
            == project.pupil.id
        # A teacher's mail to the visitor and the pupil: the visitor's copy names the pupil without the id.
        mail = await admin.call("mail:send", {"project_id": project.id, "to": [project.visitor.id, project.pupil.id],
                                              "subject": "Trip", "body": "Tomorrow at nine"})
        assert mail["ok"], mail
        (received,) = await visitor.wait_for("mail:received")
        roles = {c["role"]: c["user_id"] for c in received["mail"]["to"]}
        assert roles == {"visitor": project.visitor.id, "pupil": None}
        assert received["mail"]["sender"]["user_id"] == project.admin.id
        inbox = await visitor.call("mail:list", {"folder": "inbox"})
        assert {c["user_id"] for c in inbox["data"]["copies"][0]["mail"]["to"]} == {project.visitor.id, None}
        (pupil_copy,) = await pupil.wait_for("mail:received")
        assert {c["user_id"] for c in pupil_copy["mail"]["to"]} == {project.visitor.id, project.pupil.id}
        heard_by_visitor = json.dumps([data for _, data in visitor.arrivals])
        assert project.pupil.id not in heard_by_visitor, heard_by_visitor
        # The pupil is erased: the admin hears member:erased, the visitor only the presence key leaving.
    async with realtime(server, project.visitor.token) as visitor, \
            realtime(server, project.pupil.token) as pupil, realtime(server, project.support.token) as support, \
            realtime(server, project.admin.token) as admin:
        assert (await pupil.call("room:join", {"room_id": room}))["ok"]
        joined = await visitor.call("room:join", {"room_id": room})
        (key,) = [p["key"] for p in joined["data"]["online"] if p["role"] == "pupil"]
        asked = await support.call("member:erase_request", {"project_id": project.id, "user_id": project.pupil.id})
        assert asked["ok"], asked
        done = await support.call("member:erase_confirm", {"project_id": project.id, "user_id": project.pupil.id,
                                                           "confirmation": asked["data"]["confirmation"]})
        assert done["ok"], done
        assert (await admin.wait_for("member:erased"))[0]["user_id"] == project.pupil.id
        await visitor.wait_for("presence:update", lambda u: key in u["left"])
        assert "member:erased" not in [event for event, _ in visitor.arrivals]
