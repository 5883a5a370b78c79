"""Forum threads and posts against a running server, over Socket.IO and REST."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from tests.support.clients import Api, Project, make_project, ok, realtime, until
from tests.support.server import ServerProcess


@pytest.fixture
async def project(server: ServerProcess) -> Project:
    return await make_project(server)


async def second_pupil(server: ServerProcess, project: Project) -> str:
    async with Api(server, project.admin.token) as api:
        r = await api.post(f"/projects/{project.id}/members", {"role": "pupil", "display_name": "Mats"})
        assert r.status_code == 201
    return server.token(r.json()["user_id"], "pupil", name="Mats")


async def test_teacher_thread_pupil_reply_another_pupil_hears_both(server: ServerProcess, project: Project) -> None:
    forum = project.spaces["forum"]
    other = await second_pupil(server, project)
    async with realtime(server, project.teacher.token) as teacher, realtime(server, project.pupil.token) as pupil, \
            realtime(server, other) as listener:
        heard = listener.pushes
        thread = await ok(teacher, "forum:thread_create", {"forum_id": forum, "title": "Our rivers",
                                                           "body": "Post a **photo** of your river!"})
        assert thread["body_html"] == "<p>Post a <strong>photo</strong> of your river!</p>"
        post = await ok(pupil, "forum:post_create", {"thread_id": thread["id"], "body": "The Rhône at dawn"})
        assert post["seq"] == 1 and post["author_name"] == project.pupil.name
        await until(lambda: heard["forum:thread_created"] and heard["forum:post_created"])
        assert heard["forum:thread_created"] == [thread]
        assert heard["forum:post_created"] == [post]
        reply = await ok(listener, "forum:post_create", {"thread_id": thread["id"], "body": "> The Rhône at dawn\n"
                                                         "Beautiful!", "reply_to": post["id"]})
        assert reply["reply_to"] == post["id"] and reply["body_html"].startswith("<blockquote>")
        page = await ok(pupil, "forum:post_list", {"thread_id": thread["id"]})
        assert [p["seq"] for p in page["posts"]] == [1, 2] and page["thread"]["post_count"] == 2


async def test_visitors_read_open_forums_but_never_post(server: ServerProcess, project: Project) -> None:
    async with Api(server, project.admin.token) as api:
        r = await api.post(f"/projects/{project.id}/spaces", {"name": "Showcase", "kind": "forum",
                                                              "visibility": "visitors"})
        showcase = r.json()["id"]
    async with realtime(server, project.teacher.token) as teacher:
        thread = await ok(teacher, "forum:thread_create", {"forum_id": showcase, "title": "Our exhibition",
                                                           "body": "Welcome, parents!"})
    async with realtime(server, project.visitor.token) as visitor:
        assert (await ok(visitor, "forum:thread_list", {"forum_id": showcase}))["threads"][0]["thread"]["id"] == \
            thread["id"]
        for event, payload in (("forum:post_create", {"thread_id": thread["id"], "body": "Bravo"}),
                               ("forum:thread_create", {"forum_id": showcase, "title": "t", "body": "b"})):
            ack = await visitor.call(event, payload)
            assert ack["error"]["code"] == "permission.denied", event
        ack = await visitor.call("forum:thread_list", {"forum_id": project.spaces["forum"]})
        assert ack["error"]["code"] == "permission.denied"
    async with realtime(server, project.teacher.token) as teacher:
        page = await ok(teacher, "forum:post_list", {"thread_id": thread["id"]})
        assert page["posts"] == []


async def test_locks_pins_and_moderation(server: ServerProcess, project: Project) -> None:
    forum = project.spaces["forum"]
    async with realtime(server, project.teacher.token) as teacher, realtime(server, project.pupil.token) as pupil:
        heard = pupil.pushes
        first = await ok(pupil, "forum:thread_create", {"forum_id": forum, "title": "First", "body": "one"})
        second = await ok(pupil, "forum:thread_create", {"forum_id": forum, "title": "Second", "body": "two"})
        rules = await ok(teacher, "forum:thread_create", {"forum_id": forum, "title": "Rules", "body": "Be kind"})
        # Pupils neither pin nor lock.
        ack = await pupil.call("forum:thread_moderate", {"thread_id": first["id"], "pinned": True})
        assert ack["error"]["code"] == "permission.denied"
        pinned = await ok(teacher, "forum:thread_moderate", {"thread_id": first["id"], "pinned": True})
        assert pinned["pinned"] is True
        await ok(pupil, "forum:post_create", {"thread_id": second["id"], "body": "bump"})
        page = await ok(pupil, "forum:thread_list", {"forum_id": forum})
        assert [t["thread"]["title"] for t in page["threads"]] == ["First", "Second", "Rules"]
        # Lock: no new posts, reading goes on.
        await ok(teacher, "forum:thread_moderate", {"thread_id": second["id"], "locked": True})
        ack = await pupil.call("forum:post_create", {"thread_id": second["id"], "body": "too late"})
        assert ack["error"]["code"] == "forum.thread_locked"
        ack = await teacher.call("forum:post_create", {"thread_id": second["id"], "body": "even for me"})
        assert ack["error"]["code"] == "forum.thread_locked"
        assert len((await ok(pupil, "forum:post_list", {"thread_id": second["id"]}))["posts"]) == 1
        await until(lambda: len(heard["forum:thread_updated"]) >= 2)
        # Delete: the thread leaves the list; its posts are gone with it.
        ack = await pupil.call("forum:thread_delete", {"thread_id": rules["id"]})
        assert ack["error"]["code"] == "permission.denied"
        await ok(teacher, "forum:thread_delete", {"thread_id": rules["id"]})
        page = await ok(pupil, "forum:thread_list", {"forum_id": forum})
        assert [t["thread"]["title"] for t in page["threads"]] == ["First", "Second"]
        ack = await pupil.call("forum:post_list", {"thread_id": rules["id"]})
        assert ack["error"]["code"] == "forum.thread_not_found"


async def test_posts_are_edited_and_deleted_by_their_authors_or_teachers(server: ServerProcess,
                                                                        project: Project) -> None:
    forum = project.spaces["forum"]
    other = await second_pupil(server, project)
    async with realtime(server, project.pupil.token) as pupil, realtime(server, other) as mats, \
            realtime(server, project.teacher.token) as teacher:
        heard = teacher.pushes
        thread = await ok(pupil, "forum:thread_create", {"forum_id": forum, "title": "Homework", "body": "?"})
        mine = await ok(pupil, "forum:post_create", {"thread_id": thread["id"], "body": "teh answer"})
        theirs = await ok(mats, "forum:post_create", {"thread_id": thread["id"], "body": "spam spam"})
        edited = await ok(pupil, "forum:post_edit", {"post_id": mine["id"], "body": "the answer"})
        assert edited["body"] == "the answer" and edited["edited_at"]
        assert (await pupil.call("forum:post_edit", {"post_id": theirs["id"], "body": "x"}))["error"]["code"] == \
            "permission.denied"
        assert (await pupil.call("forum:post_delete", {"post_id": theirs["id"]}))["error"]["code"] == \
            "permission.denied"
        await ok(teacher, "forum:post_delete", {"post_id": theirs["id"]})
        await ok(pupil, "forum:post_delete", {"post_id": mine["id"]})
        await until(lambda: len(heard["forum:post_deleted"]) == 2 and len(heard["forum:post_edited"]) == 1)
        posts = (await ok(mats, "forum:post_list", {"thread_id": thread["id"]}))["posts"]
        assert [(p["seq"], p["deleted"], p["body"], p["body_html"]) for p in posts] == [
            (1, True, None, None), (2, True, None, None)]


async def test_raw_html_is_never_served(server: ServerProcess, project: Project) -> None:
    async with realtime(server, project.pupil.token) as pupil:
        body = '<script>alert("x")</script> <img src=x onerror=alert(1)> *ok*'
        thread = await ok(pupil, "forum:thread_create", {"forum_id": project.spaces["forum"],
                                                         "title": "<b>hi</b>", "body": body})
    assert thread["body"] == body  # the text itself is kept as typed
    assert "<script" not in thread["body_html"] and "<img" not in thread["body_html"]
    assert thread["body_html"] == ('<p>&lt;script&gt;alert("x")&lt;/script&gt; '  # a quote in text needs no escape
                                   '&lt;img src=x onerror=alert(1)&gt; <em>ok</em></p>')


async def test_limits_and_bad_payloads(server: ServerProcess, project: Project) -> None:
    forum = project.spaces["forum"]
    async with realtime(server, project.teacher.token) as rt:
        for payload in ({"forum_id": forum, "title": "x" * 201, "body": "b"},
                        {"forum_id": forum, "title": "t", "body": "x" * 20_001},
                        {"forum_id": forum, "title": "  ", "body": "b"},
                        {"forum_id": forum, "title": "t", "body": " \n "},
                        {"forum_id": forum, "title": "t", "body": "b", "sticky": True}):
            ack = await rt.call("forum:thread_create", payload)
            assert ack["error"]["code"] == "request.invalid", payload
        assert (await ok(rt, "forum:thread_list", {"forum_id": forum}))["threads"] == []
        ack = await rt.call("forum:thread_list", {"forum_id": forum, "cursor": "not-a-cursor!"})
        assert ack["error"]["code"] == "request.invalid"
        ack = await rt.call("forum:thread_create", {"forum_id": project.spaces["general"], "title": "t", "body": "b"})
        assert ack["error"]["code"] == "room.not_found"  # a chat room is not a forum
        await ok(rt, "forum:thread_create", {"forum_id": forum, "title": "x" * 200, "body": "x" * 20_000})


async def test_paging_returns_every_item_once_while_others_insert(server: ServerProcess, project: Project) -> None:
    forum = project.spaces["forum"]
    async with realtime(server, project.teacher.token) as teacher, realtime(server, project.pupil.token) as pupil:
        existing = [await ok(teacher, "forum:thread_create", {"forum_id": forum, "title": f"t{i}", "body": "b"})
                    for i in range(25)]
        thread = existing[0]
        posts = [await ok(teacher, "forum:post_create", {"thread_id": thread["id"], "body": f"p{i}"})
                 for i in range(25)]

        async def insert() -> None:
            for i in range(20):
                await ok(pupil, "forum:thread_create", {"forum_id": forum, "title": f"new {i}", "body": "b"})
                await ok(pupil, "forum:post_create", {"thread_id": thread["id"], "body": f"late {i}"})

        inserting = asyncio.create_task(insert())
        seen_threads: list[str] = []
        cursor = None
        while True:
            page = await ok(teacher, "forum:thread_list", {"forum_id": forum, "limit": 4,
                                                           **({"cursor": cursor} if cursor else {})})
            seen_threads += [t["thread"]["id"] for t in page["threads"]]
            cursor = page["next_cursor"]
            await asyncio.sleep(0.01)  # let the inserts land between pages: the point
            if cursor is None:
                break
        seen_posts: list[int] = []
        cursor = None
        while True:
            page = await ok(teacher, "forum:post_list", {"thread_id": thread["id"], "limit": 7,
                                                         **({"cursor": cursor} if cursor else {})})
            seen_posts += [p["seq"] for p in page["posts"]]
            cursor = page["next_cursor"]
            await asyncio.sleep(0.01)  # let the inserts land between pages: the point
            if cursor is None:
                break
        await asyncio.wait_for(inserting, 30)
    assert len(seen_threads) == len(set(seen_threads))  # no item twice
    # Every thread that existed before paging began and was not bumped is seen (threads
    # bumped by a new post move to the top, before the cursor).
    assert {t["id"] for t in existing[1:]} <= set(seen_threads)
    assert seen_posts == list(range(1, len(seen_posts) + 1)) and len(seen_posts) >= len(posts)


async def test_unread_markers_per_member_and_thread(server: ServerProcess, project: Project) -> None:
    forum = project.spaces["forum"]
    async with realtime(server, project.teacher.token) as teacher, realtime(server, project.pupil.token) as pupil:
        thread = await ok(teacher, "forum:thread_create", {"forum_id": forum, "title": "News", "body": "b"})
        for i in range(3):
            await ok(teacher, "forum:post_create", {"thread_id": thread["id"], "body": f"update {i}"})
        listed = (await ok(pupil, "forum:thread_list", {"forum_id": forum}))["threads"][0]
        assert (listed["unread"], listed["last_read_seq"]) == (3, 0)
        assert (await ok(teacher, "forum:thread_list", {"forum_id": forum}))["threads"][0]["unread"] == 0
        read = await ok(pupil, "forum:thread_read", {"thread_id": thread["id"], "seq": 2})
        assert (read["unread"], read["last_read_seq"]) == (1, 2)
        listed = (await ok(pupil, "forum:thread_list", {"forum_id": forum}))["threads"][0]
        assert listed["unread"] == 1


async def test_staff_forums_stay_with_staff(server: ServerProcess, project: Project) -> None:
    async with Api(server, project.admin.token) as api:
        r = await api.post(f"/projects/{project.id}/spaces", {"name": "Planning", "kind": "forum",
                                                              "visibility": "teachers"})
        planning = r.json()["id"]
    async with realtime(server, project.pupil.token) as pupil, realtime(server, project.teacher.token) as teacher:
        async with Api(server, project.partner.token) as api:
            r = await api.post(f"/projects/{project.id}/forums/{planning}/threads",
                               {"title": "Marks", "body": "Pupil X struggles"})
            assert r.status_code == 201
        await teacher.wait_for("forum:thread_created")
        # The marker: a thread in the members' forum, created once the staff thread's push has gone
        # out to the teacher (in the same emit as to any other recipient).
        async with Api(server, project.partner.token) as api:
            r_open = await api.post(f"/projects/{project.id}/forums/{project.spaces['forum']}/threads",
                                    {"title": "Trip", "body": "Who comes?"})
            assert r_open.status_code == 201
        marker = (await pupil.wait_for("forum:thread_created", lambda t: t["id"] == r_open.json()["id"]))[0]
        assert pupil.before(marker, "forum:thread_created") == []
        ack = await pupil.call("forum:post_list", {"thread_id": r.json()["id"]})
        assert ack["error"]["code"] == "permission.denied"


async def test_rest_and_socketio_give_the_same_results(server: ServerProcess, project: Project) -> None:
    forum = project.spaces["forum"]
    base = f"/projects/{project.id}/forums/{forum}/threads"
    async with Api(server, project.teacher.token) as api, realtime(server, project.teacher.token) as rt:
        r = await api.post(base, {"title": "Via REST", "body": "from the portal"})
        assert r.status_code == 201
        rest_thread = r.json()
        r = await api.post(f"{base}/{rest_thread['id']}/posts", {"body": "a reply"})
        assert r.status_code == 201
        rest_post = r.json()
        r = await api.get(base)
        rest_list = r.json()
        assert rest_list == await ok(rt, "forum:thread_list", {"forum_id": forum})
        r = await api.get(f"{base}/{rest_thread['id']}")
        assert r.json() == await ok(rt, "forum:post_list", {"thread_id": rest_thread["id"]})
        assert r.json()["posts"] == [rest_post]
        r = await api.patch(f"{base}/{rest_thread['id']}/posts/{rest_post['id']}", {"body": "edited"})
        assert r.status_code == 200 and r.json()["body"] == "edited"
        r = await api.post(f"{base}/{rest_thread['id']}/moderate", {"pinned": True})
        assert r.json()["pinned"] is True
        r = await api.get(f"/projects/{project.id}/forums")
        assert [f["id"] for f in r.json()] == [forum]
        # A path whose parts do not belong together is not found.
        r = await api.get(f"/projects/{project.id}/forums/{project.spaces['general']}/threads")
        assert r.status_code == 404
        r = await api.get(f"/projects/prj_other/forums/{forum}/threads")
        assert r.status_code == 404
        r = await api.get(base, params={"limit": "0"})
        assert r.status_code == 400 and r.json()["error"]["code"] == "request.invalid"
        r = await api.post(f"{base}/{rest_thread['id']}/posts", {"body": "x", "thread_id": "other"})
        assert r.status_code == 400
        r = await api.delete(f"{base}/{rest_thread['id']}")
        assert r.status_code == 200 and r.json()["deleted"] is True


async def test_forum_survives_a_restart(make_server: Callable[..., ServerProcess]) -> None:
    first = make_server().start()
    project = await make_project(first)
    async with realtime(first, project.pupil.token) as rt:
        thread = await ok(rt, "forum:thread_create", {"forum_id": project.spaces["forum"], "title": "Kept",
                                                      "body": "after restart"})
        post = await ok(rt, "forum:post_create", {"thread_id": thread["id"], "body": "me too"})
    first.stop()
    second = make_server(data_dir=first.data_dir).start()
    async with realtime(second, project.teacher.token) as rt:
        page = await ok(rt, "forum:post_list", {"thread_id": thread["id"]})
        assert page["thread"]["title"] == "Kept" and page["posts"] == [post]


