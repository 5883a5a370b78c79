"""Audit log actions: reading it, paged and filtered (nothing edits or deletes an entry)."""

from __future__ import annotations

from typing import Any

from rooms.audit_models import AuditListIn, AuditPage
from server.actions.base import Context, Outcome, action, answer


@action(AuditListIn, AuditPage)
async def audit_list(ctx: Context, data: AuditListIn) -> Outcome[Any]:
    return answer(await ctx.services.audit.list(ctx.user, data))


ACTIONS = {
    "audit:list": audit_list,
}
