"""Forums: threads and posts, pinned and locked by teachers, read markers per member.

Every forum is a space of kind ``forum``; the policy decides on its
visibility exactly as for chat rooms: ``space.read`` to read,
``space.write`` to post and to edit or delete one's own posts,
``space.moderate`` to pin, lock, delete and hide anything. A mute (in this
forum or the whole project) and a read-only forum stop a pupil's threads,
posts and edits (:mod:`rooms.safeguarding`); chat hours and slow mode are
for chat only. A hidden post keeps its seq; members other than staff see it
without its text and files.

Thread lists are ordered pinned first, then by last activity. The cursor
holds the position of the last thread seen, so threads created while a
client pages do not shift the pages it has yet to read. (A thread that
gets a new post moves to the top: it shows in a refreshed first page.)
"""

from __future__ import annotations

from dataclasses import dataclass

from rooms import audit, cursors, limits, policy
from rooms.audience import for_role
from rooms.audit_models import AuditEntry
from rooms.clock import Clock, stamp, system_clock
from rooms.errors import Conflict, InvalidRequest, NotFound
from rooms.files import FileService
from rooms.forum_models import (
    Post,
    PostCreateIn,
    PostListIn,
    PostPage,
    Thread,
    ThreadCreateIn,
    ThreadEditIn,
    ThreadListIn,
    ThreadModerateIn,
    ThreadPage,
    ThreadSummary,
)
from rooms.ids import new_id, utcnow
from rooms.markup import render
from rooms.models import Space, User
from rooms.ports import DocumentStore, RateLimiter
from rooms.projects import Access, ProjectService
from rooms.safeguarding import check_rate, check_write


def redacted(post: Post) -> Post:
    """A hidden post as members see it: in its place (same seq), without its text or files."""
    return post.model_copy(update={"body": None, "body_html": None, "attachments": []}) if post.hidden else post
from rooms.wordfilter import screen


@dataclass(frozen=True, kw_only=True)
class ForumRules:
    """The forum limits an operator may tune (the rest are in :mod:`rooms.limits`)."""

    rate_posts: int = limits.FORUM_RATE_POSTS_DEFAULT
    rate_window_secs: float = limits.FORUM_RATE_WINDOW_SECS_DEFAULT


class ForumService:
    def __init__(self, store: DocumentStore, projects: ProjectService, files: FileService, limiter: RateLimiter,
                 rules: ForumRules | None = None, *, clock: Clock = system_clock) -> None:
        self._limiter = limiter
        self._rules = rules or ForumRules()
        self._clock = clock
        self._files = files
        self._store = store
        self._projects = projects

    async def _count_write(self, user: User) -> None:
        """Threads, posts and their edits share one rate per person: each is pushed to the whole forum."""
        await check_rate(self._limiter, f"forum:{user.id}", self._rules.rate_posts, self._rules.rate_window_secs)

    async def forum(self, user: User, forum_id: str, action: str = "space.read") -> tuple[Space, Access]:
        return await self._projects.get_space(user, forum_id, action, kind="forum")

    async def _thread(self, user: User, thread_id: str, action: str = "space.read") -> tuple[Thread, Access]:
        thread, _, access = await self._thread_in(user, thread_id, action)
        return thread, access

    async def _thread_in(self, user: User, thread_id: str,
                         action: str = "space.read") -> tuple[Thread, Space, Access]:
        """A thread, its forum and the user's access, once the user may ``action`` in that forum."""
        thread = await self._store.get_thread(thread_id)
        if thread is None or thread.deleted:
            raise NotFound("forum.thread_not_found")
        try:
            space, access = await self.forum(user, thread.forum_id, action)
        except NotFound:
            raise NotFound("forum.thread_not_found") from None
        return thread, space, access

    async def audience(self, space: Space) -> tuple[list[str], list[str]]:
        """Who may read a space, the recipients of its pushes: members and staff, then visitors."""
        members = await self._store.list_members(space.project_id, limits.MEMBERS_PAGE_MAX)
        readers = [m for m in members if policy.allowed(m.role, "space.read", space.visibility)]
        return [m.user_id for m in readers if m.role != "visitor"], [m.user_id for m in readers if m.role == "visitor"]

    @staticmethod
    def _name(user: User, access: Access) -> str:
        return access.member.display_name if access.member else user.name

    # ---- threads ----------------------------------------------------------------

    async def create_thread(self, user: User, data: ThreadCreateIn) -> tuple[Thread, Space]:
        space, access = await self.forum(user, data.forum_id, "space.write")
        check_write(access, space, self._clock())
        screen(access, data.title, data.body)  # the word filter: content.blocked, or flagged once stored
        now = utcnow()
        files = await self._files.attachable(user, space.project_id, data.attachments)
        await self._count_write(user)
        thread = Thread(id=new_id("thr"), forum_id=space.id, project_id=space.project_id, title=data.title,
                        body=data.body, body_html=render(data.body), attachments=files, author_id=user.id,
                        author_name=self._name(user, access), author_role=access.role, created_at=now,
                        last_activity_at=now)
        return await self._store.create_thread(thread), space

    async def list_threads(self, user: User, query: ThreadListIn) -> ThreadPage:
        _, access = await self.forum(user, query.forum_id)
        after = cursors.decode(query.cursor, 2) if query.cursor else None
        rows = await self._store.list_threads(query.forum_id, after, query.limit + 1)  # type: ignore[arg-type]
        more = len(rows) > query.limit
        rows = rows[:query.limit]
        markers = await self._store.thread_markers([t.id for t, _ in rows], user.id)
        summaries = [ThreadSummary(thread=t, last_read_seq=markers.get(t.id, 0),
                                   unread=max(0, t.post_count - markers.get(t.id, 0))) for t, _ in rows]
        cursor = cursors.encode(int(rows[-1][0].pinned), rows[-1][1]) if more else None
        return for_role(access.role, ThreadPage(threads=summaries, next_cursor=cursor))

    async def edit_thread(self, user: User, data: ThreadEditIn) -> tuple[Thread, Space]:
        thread, space, access = await self._thread_in(user, data.thread_id)
        access.check("space.edit_own", space.visibility, author_id=thread.author_id)
        check_write(access, space, self._clock())
        screen(access, data.title, data.body)
        await self._count_write(user)
        changes: dict[str, object] = {"edited_at": utcnow()}
        if data.title is not None:
            changes["title"] = data.title
        if data.body is not None:
            changes.update(body=data.body, body_html=render(data.body))
        return await self._update_thread(thread, changes)

    async def moderate_thread(self, user: User, data: ThreadModerateIn) -> tuple[Thread, Space]:
        thread, _ = await self._thread(user, data.thread_id, "space.moderate")
        changes: dict[str, object] = {k: v for k, v in (("pinned", data.pinned), ("locked", data.locked))
                                      if v is not None}
        return await self._update_thread(thread, changes)

    async def delete_thread(self, user: User, thread_id: str) -> tuple[Thread, Space]:
        thread, access = await self._thread(user, thread_id, "space.moderate")
        record = None
        if thread.author_id != user.id:  # a moderator's deletion of someone else's thread is recorded
            record = audit.entry(user, access, thread.project_id, "thread.delete", "thread", thread.id,
                                 note=f"forum {thread.forum_id}, by {thread.author_id}", at=stamp(self._clock()))
        return await self._update_thread(thread, {"deleted": True}, record)

    async def _update_thread(self, thread: Thread, changes: dict[str, object],
                             record: AuditEntry | None = None) -> tuple[Thread, Space]:
        updated = await self._store.update_thread(thread.id, changes, audit=record)
        if updated is None:
            raise NotFound("forum.thread_not_found")
        space = await self._store.get_space(thread.forum_id)
        assert space is not None
        return updated, space

    # ---- posts ---------------------------------------------------------------------

    async def create_post(self, user: User, data: PostCreateIn) -> tuple[Post, Space]:
        thread, space, access = await self._thread_in(user, data.thread_id, "space.write")
        check_write(access, space, self._clock())
        if thread.locked:
            raise Conflict("forum.thread_locked")
        if data.reply_to is not None:
            quoted = await self._store.get_post(data.reply_to)
            if quoted is None or quoted.thread_id != thread.id:
                raise InvalidRequest("request.invalid", detail="reply_to: no such post in this thread")
        files = await self._files.attachable(user, thread.project_id, data.attachments)
        screen(access, data.body)
        await self._count_write(user)
        post = Post(id=new_id("pst"), thread_id=thread.id, forum_id=thread.forum_id, project_id=thread.project_id,
                    seq=0, body=data.body, body_html=render(data.body), reply_to=data.reply_to, attachments=files,
                    author_id=user.id, author_name=self._name(user, access), author_role=access.role, created_at=utcnow())
        stored = await self._store.add_post(post)
        if stored is None:  # locked or deleted between the check and the write
            raise Conflict("forum.thread_locked")
        return stored, space

    async def list_posts(self, user: User, query: PostListIn) -> PostPage:
        thread, access = await self._thread(user, query.thread_id)
        after = cursors.decode(query.cursor, 1)[0] if query.cursor else 0
        posts = await self._store.list_posts(thread.id, after, query.limit + 1)
        more = len(posts) > query.limit
        posts = posts[:query.limit] if access.is_staff else [redacted(p) for p in posts[:query.limit]]
        marker = (await self._store.thread_markers([thread.id], user.id)).get(thread.id, 0)
        return for_role(access.role, PostPage(thread=thread, posts=posts, last_read_seq=marker,
                                        next_cursor=cursors.encode(posts[-1].seq) if more else None))

    async def _post(self, user: User, post_id: str) -> tuple[Post, Thread, Access]:
        post = await self._store.get_post(post_id)
        if post is None or post.deleted:
            raise NotFound("forum.post_not_found")
        try:
            thread, access = await self._thread(user, post.thread_id)
        except NotFound:
            raise NotFound("forum.post_not_found") from None
        return post, thread, access

    async def edit_post(self, user: User, post_id: str, body: str) -> tuple[Post, Space]:
        post, thread, access = await self._post(user, post_id)
        space = await self._store.get_space(thread.forum_id)
        assert space is not None
        access.check("space.edit_own", space.visibility, author_id=post.author_id)
        check_write(access, space, self._clock())
        screen(access, body)
        await self._count_write(user)
        updated = await self._store.update_post(post.id, {"body": body, "body_html": render(body),
                                                          "edited_at": utcnow()})
        if updated is None:
            raise NotFound("forum.post_not_found")
        return updated, space

    async def delete_post(self, user: User, post_id: str) -> tuple[Post, Space]:
        post, thread, access = await self._post(user, post_id)
        space = await self._store.get_space(thread.forum_id)
        assert space is not None
        record = None
        if access.check_delete(post.author, space.visibility):  # someone else's: recorded
            record = audit.entry(user, access, post.project_id, "post.delete", "post", post.id,
                                 note=f"thread {post.thread_id}, seq {post.seq}, by {post.author_id}",
                                 at=stamp(self._clock()))
        updated = await self._store.update_post(post.id, {"body": None, "body_html": None, "deleted": True,
                                                          "deleted_by": user.id, "edited_at": utcnow()}, audit=record)
        if updated is None:
            raise NotFound("forum.post_not_found")
        return updated, space

    async def hide_post(self, user: User, post_id: str, hidden: bool) -> tuple[Post, Space]:
        """A moderator hides a post from the members (or shows it again); it keeps its seq and text."""
        post, thread, access = await self._post(user, post_id)
        space = await self._store.get_space(thread.forum_id)
        assert space is not None
        access.check("space.moderate", space.visibility)
        record = audit.entry(user, access, post.project_id, "post.hide" if hidden else "post.unhide", "post",
                             post.id, before={"hidden": post.hidden}, after={"hidden": hidden},
                             note=f"thread {post.thread_id}, seq {post.seq}, by {post.author_id}",
                             at=stamp(self._clock()))
        updated = await self._store.update_post(post.id, {"hidden": hidden, "hidden_by": user.id if hidden else None},
                                                audit=record)
        if updated is None:
            raise NotFound("forum.post_not_found")
        return updated, space

    async def mark_read(self, user: User, thread_id: str, seq: int) -> ThreadSummary:
        thread, access = await self._thread(user, thread_id)
        marker = await self._store.mark_thread_read(thread.id, user.id, min(seq, thread.post_count))
        return for_role(access.role, ThreadSummary(thread=thread, last_read_seq=marker,
                                             unread=max(0, thread.post_count - marker)))

    async def locate(self, user: User, project_id: str, forum_id: str, thread_id: str | None = None,
                     post_id: str | None = None) -> None:
        """Check that a REST path names things that belong together; ``*.not_found`` otherwise."""
        space, _ = await self.forum(user, forum_id)
        if space.project_id != project_id:
            raise NotFound("room.not_found")
        if thread_id is not None:
            thread, _ = await self._thread(user, thread_id)
            if thread.forum_id != forum_id:
                raise NotFound("forum.thread_not_found")
        if post_id is not None:
            post, _, _ = await self._post(user, post_id)
            if post.thread_id != thread_id:
                raise NotFound("forum.post_not_found")
