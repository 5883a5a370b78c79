"""Report actions (Socket.IO and REST), and the pushes and notices a report calls for.

Recipients, chosen next to the policy that allows them:

- ``report:created`` and ``report:updated`` (:class:`ReportView`): the project's staff
  (admins and teachers) but the reported person, who is never told who reported them;
- ``report:handled`` (:class:`MyReport`): the reporter, once a moderator decided;
- ``report:escalated`` (:class:`ReportView`): every connected support officer
  (the ``support`` channel every support officer's connection joins at connect);
- an e-mail notice to each staff member who is away (``rooms/notices.py``), after the answer.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from rooms.errors import TwinspaceError
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
    ReportRefIn,
    ReportView,
)
from rooms.wordfilter import Flag
from server.actions.base import Context, Later, Notify, Outcome, Push, ToSupport, ToUsers, action, answer
from server.channels import support_channel
from server.services import Services

log = logging.getLogger("twinspace.reports")


def announced(services: Services, report: Report) -> Later:
    """A new report: its staff told at once, support officers when it is escalated, away staff by e-mail."""
    async def make() -> Sequence[Push]:
        staff = await services.reports.staff(report.project_id)
        view = ReportView.of(report, None)
        pushes: list[Push] = [ToUsers("report:created", view,
                                      tuple(m.user_id for m in staff if m.user_id != report.reported_id))]
        if report.escalated_at is not None:
            pushes.append(ToSupport("report:escalated", view))
        if services.notices.enabled:
            pushes.append(Notify(lambda: services.notices.report_created(report, staff)))
        return pushes
    return Later(make)


@action(ReportCreateIn, MyReport)
async def report_create(ctx: Context, data: ReportCreateIn) -> Outcome[Any]:
    report = await ctx.services.reports.create(ctx.user, data)
    return answer(MyReport.of(report), announced(ctx.services, report))


@action(ReportMineIn, MyReportPage)
async def report_mine(ctx: Context, data: ReportMineIn) -> Outcome[Any]:
    return answer(await ctx.services.reports.mine(ctx.user, data))


@action(ReportListIn, ReportPage)
async def report_list(ctx: Context, data: ReportListIn) -> Outcome[Any]:
    return answer(await ctx.services.reports.queue(ctx.user, data))


@action(ReportEscalatedIn, ReportPage)
async def report_escalated(ctx: Context, data: ReportEscalatedIn) -> Outcome[Any]:
    return answer(await ctx.services.reports.escalated(ctx.user, data))


@action(ReportRefIn, ReportView)
async def report_get(ctx: Context, data: ReportRefIn) -> Outcome[Any]:
    return answer(await ctx.services.reports.get(ctx.user, data.report_id))


@action(ReportDecideIn, ReportView)
async def report_decide(ctx: Context, data: ReportDecideIn) -> Outcome[Any]:
    reports = ctx.services.reports
    report = await reports.decide(ctx.user, data)

    async def make() -> Sequence[Push]:
        staff = await reports.staff(report.project_id)
        return [ToUsers("report:updated", ReportView.of(report, None),
                        tuple(m.user_id for m in staff if m.user_id != report.reported_id), skip_sid=ctx.sid)]
    pushes: list[Push] = [Later(make)]
    if report.reporter_id is not None:
        pushes.append(ToUsers("report:handled", MyReport.of(report), (report.reporter_id,)))
    return answer(ReportView.of(report, ctx.user.id), *pushes)


def flagged(ctx: Context, flags: Sequence[Flag], outcome: Outcome[Any]) -> Outcome[Any]:
    """The word filter flagged what the action stored: an automatic report each, filed and announced after
    the answer and the item's own pushes. Filed before the answer, it held the answer (and the message's
    push) for a write, and the pupil's next message could reach the room first."""
    async def file() -> Sequence[Push]:
        pushes: list[Push] = []
        for flag in flags:
            report = await ctx.services.reports.flag(ctx.user, flag, outcome.result)
            if report is not None:
                log.info("word filter flagged %s %s in project %s", report.item.kind, report.item.id,
                         report.project_id)
                pushes.append(announced(ctx.services, report))
        return pushes
    return Outcome(outcome.result, (*outcome.pushes, Later(file)))


async def escalated_now(services: Services) -> list[Push]:
    """The reports due for the support officers, claimed (once, whichever instance asks), as their pushes."""
    return [ToSupport("report:escalated", ReportView.of(r, None)) for r in await services.reports.escalate_due()]


async def connected(ctx: Context, lang: str | None = None) -> None:
    """A connection opened: counted as the person's (away or not), a support officer's joins ``support``,
    a teacher's address from the token is remembered for notices, in the connection's language ``lang``."""
    conn = ctx.socket()
    await ctx.services.presence.user_connected(conn.sid, ctx.user.id)
    if ctx.user.role == "support":
        await conn.channels.subscribe(conn.sid, support_channel())
    try:
        await ctx.services.notices.remember(ctx.user, lang)
    except TwinspaceError as exc:  # the connection stands; the notice falls back on the stored address
        log.warning("contact of %s not remembered: %s", ctx.user.id, exc.code)


async def disconnected(ctx: Context) -> None:
    assert ctx.sid is not None
    await ctx.services.presence.user_disconnected(ctx.sid)


ACTIONS = {
    "report:create": report_create,
    "report:mine": report_mine,
    "report:list": report_list,
    "report:escalated": report_escalated,
    "report:get": report_get,
    "report:decide": report_decide,
}
