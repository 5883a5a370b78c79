"""Forum actions shared by Socket.IO and REST: domain call, then pushes to those who can see the forum."""

from __future__ import annotations

from typing import Any

from rooms.forum_models import (
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
)
from rooms.models import Space, User
from server.runtime import Runtime


async def _push(rt: Runtime, event: str, data: Any, space: Space) -> None:
    await rt.fanout.to_users(event, data, await rt.forum.audience(space))


async def thread_create(rt: Runtime, user: User, data: ThreadCreateIn) -> Any:
    thread, space = await rt.forum.create_thread(user, data)
    await _push(rt, "forum:thread_created", thread, space)
    return thread


async def thread_list(rt: Runtime, user: User, data: ThreadListIn) -> Any:
    return await rt.forum.list_threads(user, data)


async def thread_edit(rt: Runtime, user: User, data: ThreadEditIn) -> Any:
    thread, space = await rt.forum.edit_thread(user, data)
    await _push(rt, "forum:thread_updated", thread, space)
    return thread


async def thread_moderate(rt: Runtime, user: User, data: ThreadModerateIn) -> Any:
    thread, space = await rt.forum.moderate_thread(user, data)
    await _push(rt, "forum:thread_updated", thread, space)
    return thread


async def thread_delete(rt: Runtime, user: User, data: ThreadRefIn) -> Any:
    thread, space = await rt.forum.delete_thread(user, data.thread_id)
    await _push(rt, "forum:thread_updated", thread, space)
    return thread


async def thread_read(rt: Runtime, user: User, data: ThreadReadIn) -> Any:
    return await rt.forum.mark_read(user, data.thread_id, data.seq)


async def post_create(rt: Runtime, user: User, data: PostCreateIn) -> Any:
    post, space = await rt.forum.create_post(user, data)
    await _push(rt, "forum:post_created", post, space)
    return post


async def post_list(rt: Runtime, user: User, data: PostListIn) -> Any:
    return await rt.forum.list_posts(user, data)


async def post_edit(rt: Runtime, user: User, data: PostEditIn) -> Any:
    post, space = await rt.forum.edit_post(user, data.post_id, data.body)
    await _push(rt, "forum:post_edited", post, space)
    return post


async def post_delete(rt: Runtime, user: User, data: PostRefIn) -> Any:
    post, space = await rt.forum.delete_post(user, data.post_id)
    await _push(rt, "forum:post_deleted", post, space)
    return post


# event name -> (payload schema, action, ack data)
ACTIONS = {
    "forum:thread_create": (ThreadCreateIn, thread_create, Thread),
    "forum:thread_list": (ThreadListIn, thread_list, ThreadPage),
    "forum:thread_edit": (ThreadEditIn, thread_edit, Thread),
    "forum:thread_moderate": (ThreadModerateIn, thread_moderate, Thread),
    "forum:thread_delete": (ThreadRefIn, thread_delete, Thread),
    "forum:thread_read": (ThreadReadIn, thread_read, ThreadSummary),
    "forum:post_create": (PostCreateIn, post_create, Post),
    "forum:post_list": (PostListIn, post_list, PostPage),
    "forum:post_edit": (PostEditIn, post_edit, Post),
    "forum:post_delete": (PostRefIn, post_delete, Post),
}
