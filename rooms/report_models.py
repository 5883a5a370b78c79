"""Typed models of reports: what a member reported, as it was then, and what became of it."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from rooms import limits
from rooms.file_models import FileRef
from rooms.models import Model

ReportReason = Literal["bullying", "inappropriate", "personal_data", "spam", "other"]
REPORT_REASONS: tuple[ReportReason, ...] = ("bullying", "inappropriate", "personal_data", "spam", "other")
ReportState = Literal["open", "resolved", "dismissed"]
ItemKind = Literal["message", "thread", "post", "mail", "file"]


class Snapshot(Model):
    """A reported item (or one around it) as it was when reported; kept whatever happens to it later."""

    kind: ItemKind
    id: str
    space_id: str | None = None  # the chat room or forum; None for mail and files
    thread_id: str | None = None  # for posts
    seq: int | None = None  # a message's seq, a post's seq
    author_id: str
    author_name: str
    title: str | None = None  # a thread's title, a mail's subject, a file's name
    text: str | None = None
    attachments: list[FileRef] = []
    created_at: str


class Resolution(Model):
    """How a moderator handled a report."""

    state: Literal["resolved", "dismissed"]
    action: str | None = None  # what was done: hidden, deleted, muted, warned, ...
    note: str = ""
    by: str
    by_name: str
    at: str


class Report(Model):
    """A report, as stored. Moderators see it through :class:`ReportView`, the reporter through ``MyReport``."""

    id: str
    project_id: str
    item: Snapshot
    context: list[Snapshot] = []  # what was around it (messages before and after, the thread's other posts)
    reason: ReportReason
    note: str = ""
    serious: bool = False
    automatic: bool = False  # made by the word filter, not by a person
    reporter_id: str | None  # None when automatic
    reporter_name: str | None
    reported_id: str  # the item's author
    state: ReportState = "open"
    resolution: Resolution | None = None
    escalated_at: str | None = None  # when the national support officers were told
    created_at: str
    updated_at: str


class Contact(Model):
    """Where a teacher is told of reports while away: the token's ``email`` claim, remembered at connect."""

    user_id: str
    email: str
    lang: str = "en"


class ReportView(Model):
    """A report as a moderator sees it (the project's staff, or a support officer once escalated).

    ``reporter_id`` and ``reporter_name`` are None when the viewer is the reported person
    (a reported teacher): who reported is never shown to them.
    """

    id: str
    project_id: str
    item: Snapshot
    context: list[Snapshot]
    reason: ReportReason
    note: str
    serious: bool
    automatic: bool
    reporter_id: str | None
    reporter_name: str | None
    reported_id: str
    state: ReportState
    resolution: Resolution | None
    escalated_at: str | None
    created_at: str
    updated_at: str

    @classmethod
    def of(cls, report: Report, viewer_id: str | None) -> ReportView:
        data = report.model_dump()
        if viewer_id is not None and viewer_id == report.reported_id:
            data.update(reporter_id=None, reporter_name=None)
        return cls.model_validate(data)


class MyReport(Model):
    """A report as its reporter sees it: received, then handled; never who handled it nor their note."""

    id: str
    project_id: str
    item_kind: ItemKind
    item_id: str
    reason: ReportReason
    state: ReportState
    created_at: str
    handled_at: str | None

    @classmethod
    def of(cls, report: Report) -> MyReport:
        return cls(id=report.id, project_id=report.project_id, item_kind=report.item.kind, item_id=report.item.id,
                   reason=report.reason, state=report.state, created_at=report.created_at,
                   handled_at=report.resolution.at if report.resolution else None)


class ReportPage(Model):
    reports: list[ReportView]
    next_cursor: str | None  # pass back for the next (older) page; null on the last one


class MyReportPage(Model):
    reports: list[MyReport]
    next_cursor: str | None


# ---- request payloads ------------------------------------------------------

Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=limits.REPORT_NOTE_MAX_CHARS)]
PageSize = Annotated[int, Field(ge=1, le=limits.REPORTS_PAGE_MAX)]
ModerationAction = Annotated[str, StringConstraints(pattern=r"^[a-z_]{1,32}$")]  # hidden, deleted, muted, warned, none


class ReportCreateIn(Model):
    """Report an item one may read: a chat message (with its ``room_id``), a thread, a post, one's mail, a file."""

    kind: ItemKind
    item_id: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    room_id: str | None = None
    reason: ReportReason
    note: Note = ""
    serious: bool = False  # goes to the national support officers at once

    @model_validator(mode="after")
    def _room_for_messages(self) -> ReportCreateIn:
        if (self.kind == "message") != (self.room_id is not None):
            raise ValueError("room_id is given for a message, and only for a message")
        return self


class ReportMineIn(Model):
    cursor: str | None = None
    limit: PageSize = limits.REPORTS_PAGE_DEFAULT


class ReportListIn(Model):
    project_id: str
    state: ReportState | None = None
    cursor: str | None = None
    limit: PageSize = limits.REPORTS_PAGE_DEFAULT


class ReportEscalatedIn(Model):
    cursor: str | None = None
    limit: PageSize = limits.REPORTS_PAGE_DEFAULT


class ReportRefIn(Model):
    report_id: str


class ReportDecideIn(Model):
    """A moderator's decision: resolved with what was done (``action``), or dismissed with a note."""

    report_id: str
    state: Literal["resolved", "dismissed"]
    action: ModerationAction | None = None
    note: Note = ""

    @model_validator(mode="after")
    def _shape(self) -> ReportDecideIn:
        if self.state == "dismissed" and self.action not in (None, "none"):
            raise ValueError("a dismissed report has no action")
        return self
