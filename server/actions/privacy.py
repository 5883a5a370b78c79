"""A person's erasure (REST and Socket.IO, two steps); the export, a ZIP stream, is REST only (server/http/privacy.py).

After an erasure the person's open connections leave the project's chat rooms at once, on
every instance (``Evicted`` and presence, as when a member is removed), and the project's
members are told ``member:erased`` so that they drop the person's presence and name.
"""

from __future__ import annotations

from typing import Any

from rooms import limits
from rooms.audience import id_shown
from rooms.privacy_models import ErasureConfirmIn, ErasureDone, ErasureRequest, MemberErased
from server.actions.base import Context, Evicted, Outcome, PresenceChanged, Push, ToUsers, action, answer
from server.actions.projects import MemberRef


class ErasureConfirmOf(ErasureConfirmIn):
    project_id: str
    user_id: str


@action(MemberRef, ErasureRequest)
async def member_erase_request(ctx: Context, ref: MemberRef) -> Outcome[Any]:
    return answer(await ctx.services.erasure.request(ctx.user, ref.project_id, ref.user_id))


@action(ErasureConfirmOf, ErasureDone)
async def member_erase_confirm(ctx: Context, data: ErasureConfirmOf) -> Outcome[Any]:
    services = ctx.services
    erased = await services.documents.get_member(data.project_id, data.user_id)  # gone once confirmed
    done = await services.erasure.confirm(ctx.user, data.project_id, data.user_id, data.confirmation)
    pushes: list[Push] = []
    for room_id, sids in (await services.chat.evict(data.project_id, data.user_id)).items():
        pushes += [Evicted(room_id, tuple(sids)), PresenceChanged(room_id, left=data.user_id)]
    # Told to those who may know the person's id (rooms.audience): visitors never learn a pupil's, and
    # follow presence by opaque keys. A retried confirmation no longer knows the role: not to visitors.
    role = erased.role if erased is not None else None
    members = await services.documents.list_members(data.project_id, limits.MEMBERS_PAGE_MAX)
    pushes.append(ToUsers("member:erased", MemberErased(project_id=data.project_id, user_id=data.user_id),
                          tuple(m.user_id for m in members if id_shown(m.role, role))))
    return answer(done, *pushes)


ACTIONS = {
    "member:erase_request": member_erase_request,
    "member:erase_confirm": member_erase_confirm,
}
