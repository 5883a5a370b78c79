"""REST endpoints of the forum, for portals that post from their own servers.

They run the same actions as the ``forum:*`` Socket.IO events, so both
give the same results and the same pushes.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from rooms import limits
from rooms.chat_models import AttachmentIds
from rooms.forum_models import (
    Body,
    Post,
    PostCreateIn,
    PostEditIn,
    PostListIn,
    PostPage,
    PostRefIn,
    Thread,
    ThreadCreateIn,
    ThreadEditIn,
    ThreadListIn,
    ThreadModerateIn,
    ThreadPage,
    ThreadReadIn,
    ThreadRefIn,
    ThreadSummary,
    Title,
)
from rooms.models import Model, Space
from server import wire
from server.actions import forum as actions
from server.http.routing import Call, Endpoint


class ThreadBodyIn(Model):
    title: Title
    body: Body
    attachments: AttachmentIds = []


class ThreadEditBodyIn(Model):
    title: Title | None = None
    body: Body | None = None


class ThreadModerateBodyIn(Model):
    pinned: bool | None = None
    locked: bool | None = None


class PostBodyIn(Model):
    body: Body
    reply_to: str | None = None
    attachments: AttachmentIds = []


class PostEditBodyIn(Model):
    body: Body


class ReadBodyIn(Model):
    seq: int = Field(ge=0)


async def _locate(call: Call) -> None:
    params = call.request.path_params
    await call.runtime.forum.locate(call.user, params["project_id"], params["forum_id"],
                                    params.get("thread_id"), params.get("post_id"))


def _page(call: Call) -> dict[str, Any]:
    query = call.request.query_params
    page: dict[str, Any] = {}
    if "cursor" in query:
        page["cursor"] = query["cursor"]
    if "limit" in query:
        page["limit"] = query["limit"]
    return page


async def list_forums(call: Call, _: None) -> list[Space]:
    spaces = await call.runtime.projects.list_spaces(call.user, call.param("project_id"))
    return [s for s in spaces if s.kind == "forum"]


async def list_threads(call: Call, _: None) -> Any:
    await _locate(call)
    query = wire.parse(ThreadListIn, {"forum_id": call.param("forum_id"), **_page(call)})
    return await actions.thread_list(call.runtime, call.user, query)


async def create_thread(call: Call, body: ThreadBodyIn) -> Any:
    await _locate(call)
    data = ThreadCreateIn(forum_id=call.param("forum_id"), **body.model_dump())
    return await actions.thread_create(call.runtime, call.user, data)


async def list_posts(call: Call, _: None) -> Any:
    await _locate(call)
    query = wire.parse(PostListIn, {"thread_id": call.param("thread_id"), **_page(call)})
    return await actions.post_list(call.runtime, call.user, query)


async def edit_thread(call: Call, body: ThreadEditBodyIn) -> Any:
    await _locate(call)
    data = ThreadEditIn(thread_id=call.param("thread_id"), **body.model_dump())
    return await actions.thread_edit(call.runtime, call.user, data)


async def moderate_thread(call: Call, body: ThreadModerateBodyIn) -> Any:
    await _locate(call)
    data = ThreadModerateIn(thread_id=call.param("thread_id"), **body.model_dump())
    return await actions.thread_moderate(call.runtime, call.user, data)


async def delete_thread(call: Call, _: None) -> Any:
    await _locate(call)
    return await actions.thread_delete(call.runtime, call.user, ThreadRefIn(thread_id=call.param("thread_id")))


async def read_thread(call: Call, body: ReadBodyIn) -> Any:
    await _locate(call)
    data = ThreadReadIn(thread_id=call.param("thread_id"), seq=body.seq)
    return await actions.thread_read(call.runtime, call.user, data)


async def create_post(call: Call, body: PostBodyIn) -> Any:
    await _locate(call)
    data = PostCreateIn(thread_id=call.param("thread_id"), **body.model_dump())
    return await actions.post_create(call.runtime, call.user, data)


async def edit_post(call: Call, body: PostEditBodyIn) -> Any:
    await _locate(call)
    return await actions.post_edit(call.runtime, call.user, PostEditIn(post_id=call.param("post_id"), body=body.body))


async def delete_post(call: Call, _: None) -> Any:
    await _locate(call)
    return await actions.post_delete(call.runtime, call.user, PostRefIn(post_id=call.param("post_id")))


F = "/projects/{project_id}/forums"
T = F + "/{forum_id}/threads"
PAGE = (("cursor", "next_cursor of the previous page"), ("limit", f"1 to {limits.FORUM_PAGE_MAX}"))

ENDPOINTS = [
    Endpoint("GET", F, list_forums, "The project's forums the caller may read", response=list[Space], tag="forum"),
    Endpoint("GET", T, list_threads, "Threads: pinned first, then by last activity", response=ThreadPage,
             query=PAGE, tag="forum"),
    Endpoint("POST", T, create_thread, "Start a thread", body=ThreadBodyIn, response=Thread, status=201,
             tag="forum"),
    Endpoint("GET", T + "/{thread_id}", list_posts, "A thread and its posts in order", response=PostPage,
             query=PAGE, tag="forum"),
    Endpoint("PATCH", T + "/{thread_id}", edit_thread, "Edit one's own thread", body=ThreadEditBodyIn,
             response=Thread, tag="forum"),
    Endpoint("POST", T + "/{thread_id}/moderate", moderate_thread, "Pin or lock a thread (teachers)",
             body=ThreadModerateBodyIn, response=Thread, tag="forum"),
    Endpoint("DELETE", T + "/{thread_id}", delete_thread, "Delete a thread (teachers)", response=Thread,
             tag="forum"),
    Endpoint("POST", T + "/{thread_id}/read", read_thread, "Mark a thread read up to a post", body=ReadBodyIn,
             response=ThreadSummary, tag="forum"),
    Endpoint("POST", T + "/{thread_id}/posts", create_post, "Reply in a thread", body=PostBodyIn, response=Post,
             status=201, tag="forum"),
    Endpoint("PATCH", T + "/{thread_id}/posts/{post_id}", edit_post, "Edit one's own post", body=PostEditBodyIn,
             response=Post, tag="forum"),
    Endpoint("DELETE", T + "/{thread_id}/posts/{post_id}", delete_post,
             "Delete a post (its author, or teachers)", response=Post, tag="forum"),
]
