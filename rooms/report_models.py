"""Typed models of reports: what a member reported, as it was then, and what became of it."""

from __future__ import annotations

from typing import Literal

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
