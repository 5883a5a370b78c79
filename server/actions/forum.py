"""Forum actions (Socket.IO and REST): pushes go to the members who may read the forum."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rooms.forum import redacted
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
from rooms.models import Space
from server.actions.base import Context, Later, Outcome, Push, ToUsers, action, answer


def to_readers(ctx: Context, event: str, data: Any, space: Space) -> Later:
    """``event`` to everyone who may read ``space``, looked up once the answer has left."""
    forum = ctx.services.forum

    async def make() -> Sequence[Push]:
        members, visitors = await forum.audience(space)
        return (ToUsers(event, data, tuple(members), guest_ids=tuple(visitors)),)
    return Later(make)


@action(ThreadCreateIn, Thread)
async def thread_create(ctx: Context, data: ThreadCreateIn) -> Outcome[Any]:
    thread, space = await ctx.services.forum.create_thread(ctx.user, data)
    return answer(thread, to_readers(ctx, "forum:thread_created", thread, space))


@action(ThreadListIn, ThreadPage)
async def thread_list(ctx: Context, data: ThreadListIn) -> Outcome[Any]:
    return answer(await ctx.services.forum.list_threads(ctx.user, data))


@action(ThreadEditIn, Thread)
async def thread_edit(ctx: Context, data: ThreadEditIn) -> Outcome[Any]:
    thread, space = await ctx.services.forum.edit_thread(ctx.user, data)
    return answer(thread, to_readers(ctx, "forum:thread_updated", thread, space))


@action(ThreadModerateIn, Thread)
async def thread_moderate(ctx: Context, data: ThreadModerateIn) -> Outcome[Any]:
    thread, space = await ctx.services.forum.moderate_thread(ctx.user, data)
    return answer(thread, to_readers(ctx, "forum:thread_updated", thread, space))


@action(ThreadRefIn, Thread)
async def thread_delete(ctx: Context, data: ThreadRefIn) -> Outcome[Any]:
    thread, space = await ctx.services.forum.delete_thread(ctx.user, data.thread_id)
    return answer(thread, to_readers(ctx, "forum:thread_updated", thread, space))


@action(ThreadReadIn, ThreadSummary)
async def thread_read(ctx: Context, data: ThreadReadIn) -> Outcome[Any]:
    return answer(await ctx.services.forum.mark_read(ctx.user, data.thread_id, data.seq))


@action(PostCreateIn, Post)
async def post_create(ctx: Context, data: PostCreateIn) -> Outcome[Any]:
    post, space = await ctx.services.forum.create_post(ctx.user, data)
    return answer(post, to_readers(ctx, "forum:post_created", post, space))


@action(PostListIn, PostPage)
async def post_list(ctx: Context, data: PostListIn) -> Outcome[Any]:
    return answer(await ctx.services.forum.list_posts(ctx.user, data))


@action(PostEditIn, Post)
async def post_edit(ctx: Context, data: PostEditIn) -> Outcome[Any]:
    post, space = await ctx.services.forum.edit_post(ctx.user, data.post_id, data.body)
    return answer(post, to_readers(ctx, "forum:post_edited", redacted(post), space))  # hidden stays hidden


@action(PostRefIn, Post)
async def post_delete(ctx: Context, data: PostRefIn) -> Outcome[Any]:
    post, space = await ctx.services.forum.delete_post(ctx.user, data.post_id)
    return answer(post, to_readers(ctx, "forum:post_deleted", redacted(post), space))


ACTIONS = {
    "forum:thread_create": thread_create,
    "forum:thread_list": thread_list,
    "forum:thread_edit": thread_edit,
    "forum:thread_moderate": thread_moderate,
    "forum:thread_delete": thread_delete,
    "forum:thread_read": thread_read,
    "forum:post_create": post_create,
    "forum:post_list": post_list,
    "forum:post_edit": post_edit,
    "forum:post_delete": post_delete,
}
