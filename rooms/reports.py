"""Reports: a member reports what they may read; the project's staff decide; support officers step in.

A report keeps a :class:`Snapshot` of the item as it was when reported, and of
what was around it (the messages before and after a chat message, a post's
thread and its neighbours), so moderators see what was reported even after its
author edited or deleted it. One report per person per item; reporting is
rate-limited per person.

Who sees what:

- the project's staff (admins and teachers) see every report of the project as a
  :class:`ReportView`, except that the reported person (a reported teacher) never
  learns who reported them;
- national support officers see a report once it is escalated: at once when marked
  serious, else when it stayed open for ``ReportRules.escalate_after_secs``
  (:meth:`ReportService.escalate_due`, run by the lifespan on the injected clock);
- the reporter sees their own reports as :class:`MyReport`: received, then handled.

Creating a report is not a moderation action and is not audited; a decision is
(``report.resolve`` / ``report.dismiss``, in the same write as the change).

The word filter's ``flag`` mode files automatic reports (:meth:`ReportService.flag`):
no reporter, reason ``inappropriate``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from rooms import audit, cursors, limits
from rooms.chat_models import Message
from rooms.clock import Clock, stamp
from rooms.errors import Conflict, Forbidden, InvalidRequest, NotFound, RateLimited
from rooms.file_models import FileRef
from rooms.files import FileService
from rooms.forum_models import Post, Thread
from rooms.ids import new_id
from rooms.mail_models import Mail, MailCopy
from rooms.models import Member, User
from rooms.ports import DocumentStore, RateLimiter
from rooms.projects import Access, ProjectService
from rooms.report_models import (
    MyReport,
    MyReportPage,
    Report,
    ReportCreateIn,
    ReportDecideIn,
    ReportEscalatedIn,
    ReportListIn,
    ReportMineIn,
    ReportPage,
    ReportView,
    Resolution,
    Snapshot,
)
from rooms.wordfilter import Flag

ESCALATE_BATCH = 100  # reports claimed per store call by the escalation job


@dataclass(frozen=True, kw_only=True)
class ReportRules:
    rate: int = limits.REPORT_RATE_DEFAULT
    rate_window_secs: float = limits.REPORT_RATE_WINDOW_SECS_DEFAULT
    escalate_after_secs: int = limits.REPORT_ESCALATE_AFTER_SECS_DEFAULT


def item_key(kind: str, item_id: str) -> str:
    return f"{kind}:{item_id}"


def _message(m: Message) -> Snapshot:
    return Snapshot(kind="message", id=m.id, space_id=m.room_id, seq=m.seq, author_id=m.author_id,
                    author_name=m.author_name, text=m.text, attachments=m.attachments, created_at=m.created_at)


def _thread(t: Thread) -> Snapshot:
    return Snapshot(kind="thread", id=t.id, space_id=t.forum_id, author_id=t.author_id, author_name=t.author_name,
                    title=t.title, text=t.body, attachments=t.attachments, created_at=t.created_at)


def _post(p: Post) -> Snapshot:
    return Snapshot(kind="post", id=p.id, space_id=p.forum_id, thread_id=p.thread_id, seq=p.seq,
                    author_id=p.author_id, author_name=p.author_name, text=p.body, attachments=p.attachments,
                    created_at=p.created_at)


def _mail(m: Mail) -> Snapshot:
    return Snapshot(kind="mail", id=m.id, author_id=m.sender.id, author_name=m.sender.name, title=m.subject,
                    text=m.body, attachments=m.attachments, created_at=m.created_at)


class ReportService:
    def __init__(self, store: DocumentStore, projects: ProjectService, files: FileService, limiter: RateLimiter,
                 rules: ReportRules, clock: Clock) -> None:
        self._store = store
        self._projects = projects
        self._files = files
        self._limiter = limiter
        self._rules = rules
        self._clock = clock

    def _now(self) -> str:
        return stamp(self._clock())

    # ---- reporting ---------------------------------------------------------------------

    async def create(self, user: User, data: ReportCreateIn) -> Report:
        """Report an item ``user`` may read now; ``report.duplicate`` the second time."""
        access, item, context = await self._reportable(user, data)
        access.check("report.create")
        if item.author_id == user.id:
            raise InvalidRequest("report.not_reportable", detail="it is your own")
        key = f"report:{user.id}"
        wait = await self._limiter.hit(key, self._rules.rate, self._rules.rate_window_secs)
        if wait > 0:
            raise RateLimited("rate.limited", retry_after_secs=max(1, round(wait + 0.5)))
        now = self._now()
        report = Report(id=new_id("rep"), project_id=access.project.id, item=item, context=context,
                        reason=data.reason, note=data.note, serious=data.serious, reporter_id=user.id,
                        reporter_name=access.member.display_name if access.member else user.name,
                        reported_id=item.author_id, escalated_at=now if data.serious else None,
                        created_at=now, updated_at=now)
        if not await self._store.add_report(report):
            await self._limiter.refund(key)
            raise Conflict("report.duplicate")
        return report

    async def _reportable(self, user: User, data: ReportCreateIn) -> tuple[Access, Snapshot, list[Snapshot]]:
        """The item as it is now, the context around it, and the reporter's access to its project."""
        if data.kind == "message":
            assert data.room_id is not None
            room, access = await self._projects.get_space(user, data.room_id, "space.read", kind="chat")
            message = await self._store.get_message(room.id, data.item_id)
            if message is None:
                raise NotFound("message.not_found")
            if message.deleted:
                raise InvalidRequest("report.not_reportable", detail="it was deleted")
            return access, _message(message), await self._around(message)
        if data.kind in ("thread", "post"):
            post = await self._store.get_post(data.item_id) if data.kind == "post" else None
            if data.kind == "post" and post is None:
                raise NotFound("forum.post_not_found")
            if post is not None and post.deleted:
                raise InvalidRequest("report.not_reportable", detail="it was deleted")
            thread = await self._store.get_thread(post.thread_id if post else data.item_id)
            if thread is None or thread.deleted:
                raise NotFound("forum.post_not_found" if post else "forum.thread_not_found")
            try:
                _, access = await self._projects.get_space(user, thread.forum_id, "space.read", kind="forum")
            except NotFound:
                raise NotFound("forum.post_not_found" if post else "forum.thread_not_found") from None
            if post is None:
                posts = await self._store.list_posts(thread.id, 0, limits.REPORT_CONTEXT_MESSAGES)
                return access, _thread(thread), [_post(p) for p in posts]
            start = max(0, post.seq - limits.REPORT_CONTEXT_MESSAGES - 1)
            posts = await self._store.list_posts(thread.id, start, 2 * limits.REPORT_CONTEXT_MESSAGES + 1)
            context = [_thread(thread).model_copy(update={"text": None, "attachments": []})]
            return access, _post(post), context + [_post(p) for p in posts if p.id != post.id]
        if data.kind == "mail":
            copy = await self._store.get_copy(user.id, data.item_id)
            if copy is None:
                raise NotFound("mail.not_found")
            if copy.mail.removed_by is not None:
                raise InvalidRequest("report.not_reportable", detail="it was removed")
            return await self._projects.access(user, copy.mail.project_id), _mail(copy.mail), []
        record = await self._files.readable(user, data.item_id)
        item = Snapshot(kind="file", id=record.id, author_id=record.owner_id, author_name=record.owner_name,
                        title=record.name, created_at=record.created_at,
                        attachments=[FileRef(id=record.id, name=record.name, size=record.size,
                                             content_type=record.content_type)])
        return await self._projects.access(user, record.project_id), item, []

    async def _around(self, message: Message) -> list[Snapshot]:
        n = limits.REPORT_CONTEXT_MESSAGES
        before = await self._store.messages_before(message.room_id, message.seq, n)
        after = await self._store.messages_after(message.room_id, message.seq, n)
        return [_message(m) for m in before + after]

    async def flag(self, user: User, flag: Flag, item: object) -> Report | None:
        """File the word filter's automatic report on an item just stored; None when it has one already."""
        if isinstance(item, MailCopy):
            item = item.mail
        if isinstance(item, Message):
            snapshot, context = _message(item), await self._around(item)
        elif isinstance(item, Thread):
            snapshot, context = _thread(item), []
        elif isinstance(item, Post):
            snapshot, context = _post(item), []
        elif isinstance(item, Mail):
            snapshot, context = _mail(item), []
        else:
            return None
        now = self._now()
        report = Report(id=new_id("rep"), project_id=flag.project_id, item=snapshot, context=context,
                        reason="inappropriate", note="word filter: " + ", ".join(flag.words), automatic=True,
                        reporter_id=None, reporter_name=None, reported_id=user.id, created_at=now, updated_at=now)
        return report if await self._store.add_report(report) else None

    async def staff(self, project_id: str) -> list[Member]:
        """The project's admins and teachers: who is told of its reports (one read)."""
        members = await self._store.list_members(project_id, limits.MEMBERS_PAGE_MAX)
        return [m for m in members if m.role in ("admin", "teacher")]

    # ---- reading -------------------------------------------------------------------------

    async def mine(self, user: User, query: ReportMineIn) -> MyReportPage:
        before = cursors.decode(query.cursor, 1)[0] if query.cursor else None
        rows = await self._store.list_reports_by(user.id, before, query.limit + 1)
        more = len(rows) > query.limit
        rows = rows[:query.limit]
        return MyReportPage(reports=[MyReport.of(r) for r, _ in rows],
                            next_cursor=cursors.encode(rows[-1][1]) if more else None)

    async def queue(self, user: User, query: ReportListIn) -> ReportPage:
        """A project's queue for its staff; a support officer sees only its escalated reports."""
        access = await self._projects.access(user, query.project_id)
        access.check("report.review")
        before = cursors.decode(query.cursor, 1)[0] if query.cursor else None
        rows = await self._store.list_reports(query.project_id, query.state, before, query.limit + 1)
        more = len(rows) > query.limit
        rows = rows[:query.limit]
        shown = [r for r, _ in rows if access.is_staff or r.escalated_at is not None]
        return ReportPage(reports=[ReportView.of(r, user.id) for r in shown],
                          next_cursor=cursors.encode(rows[-1][1]) if more else None)

    async def escalated(self, user: User, query: ReportEscalatedIn) -> ReportPage:
        """Every escalated report, all projects: the support officers' queue."""
        if user.role != "support":
            raise Forbidden("permission.denied", action="report.review")
        before = cursors.decode(query.cursor, 1)[0] if query.cursor else None
        rows = await self._store.list_escalated(before, query.limit + 1)
        more = len(rows) > query.limit
        rows = rows[:query.limit]
        return ReportPage(reports=[ReportView.of(r, user.id) for r, _ in rows],
                          next_cursor=cursors.encode(rows[-1][1]) if more else None)

    async def _reviewed(self, user: User, report_id: str) -> tuple[Report, Access]:
        report = await self._store.get_report(report_id)
        if report is None:
            raise NotFound("report.not_found")
        try:
            access = await self._projects.access(user, report.project_id)
        except NotFound:
            raise NotFound("report.not_found") from None
        access.check("report.review")
        if not access.is_staff and report.escalated_at is None:  # support: once escalated
            raise NotFound("report.not_found")
        return report, access

    async def get(self, user: User, report_id: str) -> ReportView:
        report, _ = await self._reviewed(user, report_id)
        return ReportView.of(report, user.id)

    # ---- deciding ------------------------------------------------------------------------

    async def decide(self, user: User, data: ReportDecideIn) -> Report:
        """Resolve (with what was done) or dismiss an open report; audited in the same write."""
        report, access = await self._reviewed(user, data.report_id)
        if report.state != "open":
            raise Conflict("report.bad_state", state=report.state)
        now = self._now()
        resolution = Resolution(state=data.state, action=data.action if data.state == "resolved" else None,
                                note=data.note, by=user.id, by_name=access.name or user.name, at=now)
        after = {"state": data.state, "action": resolution.action}
        entry = audit.entry(user, access, report.project_id, "report.resolve" if data.state == "resolved"
                            else "report.dismiss", "report", report.id, before={"state": "open"}, after=after,
                            note=data.note, at=now)
        updated = await self._store.update_report(report.id, "open", {"state": data.state, "resolution": resolution,
                                                                      "updated_at": now}, audit=entry)
        if updated is None:
            current = await self._store.get_report(report.id)
            raise Conflict("report.bad_state", state=current.state if current else "gone")
        return updated

    # ---- escalation ----------------------------------------------------------------------

    async def escalate_due(self) -> list[Report]:
        """Claim the reports that must go to the support officers now (serious, or open too long)."""
        now = self._clock()
        cutoff = stamp(now - timedelta(seconds=self._rules.escalate_after_secs))
        claimed: list[Report] = []
        while True:
            batch = await self._store.escalate_due(cutoff, stamp(now), ESCALATE_BATCH)
            claimed += batch
            if len(batch) < ESCALATE_BATCH:
                return claimed

