"""Typed models of the audit log: who did what to what, when; append-only."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from rooms import limits
from rooms.models import Model


class AuditEntry(Model):
    """One recorded action. ``before`` and ``after`` hold the changed fields where that applies.

    It points to its target by kind and id only, so it survives the target's deletion;
    it never copies message text (a report keeps its own snapshot).
    """

    id: str
    project_id: str | None  # None for platform actions (a project's registration is the project's)
    actor_id: str
    actor_name: str
    actor_role: str
    action: str  # a dotted name: member.add, member.role, chat.mute, report.resolve, ...
    target_kind: str  # project, member, space, message, post, thread, mail, file, report
    target_id: str
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    note: str = ""
    at: str


class AuditPage(Model):
    entries: list[AuditEntry]  # newest first
    next_cursor: str | None


class AuditListIn(Model):
    """A page of a project's audit log, newest first, optionally only one actor's, action's or target's."""

    project_id: str
    actor_id: str | None = Field(default=None, max_length=limits.USER_ID_MAX_CHARS)
    action: str | None = Field(default=None, max_length=64)  # a dotted name, e.g. member.role
    target_id: str | None = Field(default=None, max_length=200)
    cursor: str | None = None
    limit: int = Field(default=limits.AUDIT_PAGE_DEFAULT, ge=1, le=limits.AUDIT_PAGE_MAX)
