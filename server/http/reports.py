"""REST endpoints of reports: the same actions as the ``report:*`` Socket.IO events."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from rooms import limits
from rooms.models import Model
from rooms.report_models import ModerationAction, Note, ReportCreateIn
from server.actions import reports as a
from server.actions.base import Action
from server.http.routing import Endpoint


class DecisionBodyIn(Model):
    state: Literal["resolved", "dismissed"]
    action: ModerationAction | None = None
    note: Note = ""


PAGE = (("cursor", "next_cursor of the previous page"), ("limit", f"1 to {limits.REPORTS_PAGE_MAX}"))


def _r(method: str, path: str, act: Action, summary: str, *, body: type[BaseModel] | None = None, status: int = 200,
       query: tuple[tuple[str, str], ...] = ()) -> Endpoint:
    return Endpoint(method, path, act, summary, body=body, status=status, query=query, tag="reports")


ENDPOINTS = [
    _r("POST", "/reports", a.report_create, "Report a message, thread, post, one's mail or a file",
       body=ReportCreateIn, status=201),
    _r("GET", "/reports/mine", a.report_mine, "The reports one made, newest first", query=PAGE),
    _r("GET", "/reports/escalated", a.report_escalated, "Escalated reports of every project (support officers)",
       query=PAGE),
    _r("GET", "/projects/{project_id}/reports", a.report_list, "A project's report queue, newest first",
       query=(("state", "open, resolved or dismissed (default: all)"), *PAGE)),
    _r("GET", "/reports/{report_id}", a.report_get, "One report, as moderators see it"),
    _r("POST", "/reports/{report_id}/decision", a.report_decide, "Resolve or dismiss an open report",
       body=DecisionBodyIn),
]
