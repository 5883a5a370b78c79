"""REST endpoints of the forum, for portals that post from their own servers.

They run the same actions as the ``forum:*`` Socket.IO events, so both
give the same results and the same pushes. A path names a project, a
forum and maybe a thread and a post: :func:`located` checks that they
belong together before the action runs.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from rooms import limits
from rooms.chat_models import AttachmentIds
from rooms.forum_models import Body, Title
from rooms.models import Model, Space
from server.actions import forum as a
from server.actions import projects
from server.actions.base import Action, Context, Outcome, action, answer
from server.http.routing import Endpoint


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


async def located(ctx: Context, params: dict[str, str]) -> None:
    await ctx.services.forum.locate(ctx.user, params["project_id"], params["forum_id"],
                                    params.get("thread_id"), params.get("post_id"))


@action(projects.ProjectRef, list[Space])
async def forum_list(ctx: Context, ref: projects.ProjectRef) -> Outcome[list[Space]]:
    """The project's forums the caller may read."""
    spaces = await ctx.services.projects.list_spaces(ctx.user, ref.project_id)
    return answer([s for s in spaces if s.kind == "forum"])


F = "/projects/{project_id}/forums"
T = F + "/{forum_id}/threads"
PAGE = (("cursor", "next_cursor of the previous page"), ("limit", f"1 to {limits.FORUM_PAGE_MAX}"))


def _forum(method: str, path: str, act: Action, summary: str, **kw: Any) -> Endpoint:
    return Endpoint(method, path, act, summary, tag="forum", check=located, **kw)


ENDPOINTS = [
    Endpoint("GET", F, forum_list, "The project's forums the caller may read", tag="forum"),
    _forum("GET", T, a.thread_list, "Threads: pinned first, then by last activity", query=PAGE),
    _forum("POST", T, a.thread_create, "Start a thread", body=ThreadBodyIn, status=201),
    _forum("GET", T + "/{thread_id}", a.post_list, "A thread and its posts in order", query=PAGE),
    _forum("PATCH", T + "/{thread_id}", a.thread_edit, "Edit one's own thread", body=ThreadEditBodyIn),
    _forum("POST", T + "/{thread_id}/moderate", a.thread_moderate, "Pin or lock a thread (teachers)",
           body=ThreadModerateBodyIn),
    _forum("DELETE", T + "/{thread_id}", a.thread_delete, "Delete a thread (teachers)"),
    _forum("POST", T + "/{thread_id}/read", a.thread_read, "Mark a thread read up to a post", body=ReadBodyIn),
    _forum("POST", T + "/{thread_id}/posts", a.post_create, "Reply in a thread", body=PostBodyIn, status=201),
    _forum("PATCH", T + "/{thread_id}/posts/{post_id}", a.post_edit, "Edit one's own post", body=PostEditBodyIn),
    _forum("DELETE", T + "/{thread_id}/posts/{post_id}", a.post_delete, "Delete a post (its author, or teachers)"),
]
