"""Typed models of the forum: threads, posts, pages and the request payloads."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from rooms import limits
from rooms.chat_models import AttachmentIds, plain_text
from rooms.file_models import FileRef
from rooms.models import Model

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                         max_length=limits.FORUM_TITLE_MAX_CHARS)]
Body = Annotated[str, StringConstraints(max_length=limits.FORUM_BODY_MAX_CHARS), AfterValidator(plain_text)]
PageSize = Annotated[int, Field(ge=1, le=limits.FORUM_PAGE_MAX)]


class Thread(Model):
    """A forum thread. Its opening text is ``body``; replies are posts numbered from 1."""

    id: str
    forum_id: str
    project_id: str
    title: str
    body: str
    body_html: str
    attachments: list[FileRef] = []
    author_id: str | None  # null only in a visitor's view of a pupil's writing (rooms.audience)
    author_name: str
    author_role: str | None = None  # the role it was written with; absent on items stored before
    created_at: str
    edited_at: str | None = None
    last_activity_at: str
    post_count: int = 0
    pinned: bool = False
    locked: bool = False
    deleted: bool = False

    @property
    def author(self) -> str:
        """The author's id, which every stored item has (only a visitor's view leaves it out)."""
        assert self.author_id is not None, "a visitor's view is not a stored item"
        return self.author_id


class ThreadSummary(Model):
    thread: Thread
    unread: int  # posts after the reader's marker (the opening counts as post 0)
    last_read_seq: int


class Post(Model):
    """A reply in a thread. A deleted post stays as a tombstone: same seq, no text."""

    id: str
    thread_id: str
    forum_id: str
    project_id: str
    seq: int
    body: str | None
    body_html: str | None
    reply_to: str | None = None  # the id of a quoted earlier post
    attachments: list[FileRef] = []
    author_id: str | None  # null only in a visitor's view of a pupil's writing (rooms.audience)
    author_name: str
    author_role: str | None = None  # the role it was written with; absent on items stored before
    created_at: str
    edited_at: str | None = None
    deleted: bool = False
    deleted_by: str | None = None
    hidden: bool = False  # hidden by a moderator: members see it without text, moderators with
    hidden_by: str | None = None

    @property
    def author(self) -> str:
        """The author's id, which every stored item has (only a visitor's view leaves it out)."""
        assert self.author_id is not None, "a visitor's view is not a stored item"
        return self.author_id


class ThreadPage(Model):
    threads: list[ThreadSummary]
    next_cursor: str | None  # pass back to get the next page; null on the last one


class PostPage(Model):
    thread: Thread
    posts: list[Post]
    next_cursor: str | None
    last_read_seq: int


# ---- request payloads ------------------------------------------------------


class ThreadCreateIn(Model):
    forum_id: str
    title: Title
    body: Body
    attachments: AttachmentIds = []


class ThreadListIn(Model):
    forum_id: str
    cursor: str | None = None
    limit: PageSize = limits.FORUM_PAGE_DEFAULT


class ThreadRefIn(Model):
    thread_id: str


class ThreadEditIn(Model):
    thread_id: str
    title: Title | None = None
    body: Body | None = None


class ThreadModerateIn(Model):
    """Teachers pin and lock; ``null`` leaves a flag as it is."""

    thread_id: str
    pinned: bool | None = None
    locked: bool | None = None


class PostCreateIn(Model):
    thread_id: str
    body: Body
    reply_to: str | None = None
    attachments: AttachmentIds = []


class PostListIn(Model):
    thread_id: str
    cursor: str | None = None
    limit: PageSize = limits.FORUM_PAGE_DEFAULT


class PostEditIn(Model):
    post_id: str
    body: Body


class PostRefIn(Model):
    post_id: str


class ThreadReadIn(Model):
    thread_id: str
    seq: int = Field(ge=0)
