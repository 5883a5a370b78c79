"""REST endpoints of a person's export (a ZIP stream) and erasure (two steps)."""

from __future__ import annotations

from typing import Any

from starlette.responses import StreamingResponse

from rooms.privacy_models import ErasureConfirmIn
from server.actions import privacy as a
from server.actions.base import Context, Outcome, action, answer
from server.actions.projects import MemberRef
from server.http.routing import Endpoint


@action(MemberRef, bytes)
async def member_export(ctx: Context, ref: MemberRef) -> Outcome[Any]:
    """Checked and audited before the response starts; then streamed (rooms/export.py)."""
    export = await ctx.services.export.prepare(ctx.user, ref.project_id, ref.user_id)
    headers = {"Content-Disposition": f'attachment; filename="{export.filename}"',
               "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
    return answer(StreamingResponse(export.chunks, media_type="application/zip", headers=headers))


ENDPOINTS = [
    Endpoint("GET", "/projects/{project_id}/members/{user_id}/export", member_export,
             "Export everything the project holds about one member, as a ZIP (JSON per kind, schema.json, the "
             "files): admins and support officers, or the member themselves", tag="privacy"),
    Endpoint("POST", "/projects/{project_id}/members/{user_id}/erasure", a.member_erase_request,
             "Ask to erase a member: what will go, and a confirmation valid a few minutes", tag="privacy"),
    Endpoint("POST", "/projects/{project_id}/members/{user_id}/erasure/confirm", a.member_erase_confirm,
             "Erase the member (the confirmation from the request): tombstones, files deleted, access gone",
             body=ErasureConfirmIn, tag="privacy"),
]
