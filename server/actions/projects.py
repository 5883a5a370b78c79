"""Project, member and space actions. Reads are Socket.IO events and REST endpoints; changes are REST."""

from __future__ import annotations

from typing import Any

from rooms.models import (
    HoldIn,
    Member,
    MemberIn,
    MemberRoleIn,
    MemberView,
    Model,
    Project,
    ProjectIn,
    ProjectSettingsIn,
    ProjectStatus,
    ProjectWithRole,
    RejectIn,
    Space,
    SpaceIn,
    User,
)
from server.actions.base import Context, Evicted, Outcome, PresenceChanged, Push, action, answer


class NoPayload(Model):
    pass


class ProjectRef(Model):
    project_id: str


class SpaceRef(Model):
    space_id: str


class MemberRef(Model):
    project_id: str
    user_id: str


class ProjectsQuery(Model):
    status: ProjectStatus | None = None


class RejectOf(RejectIn):
    project_id: str


class SettingsOf(ProjectSettingsIn):
    project_id: str


class HoldOf(HoldIn):
    project_id: str


class MemberOf(MemberIn):
    project_id: str


class MemberRoleOf(MemberRoleIn):
    project_id: str
    user_id: str


class SpaceOf(SpaceIn):
    project_id: str


@action(NoPayload, User)
async def me_get(ctx: Context, _: NoPayload) -> Outcome[Any]:
    return answer(ctx.user)


@action(NoPayload, list[ProjectWithRole])
async def project_list(ctx: Context, _: NoPayload) -> Outcome[Any]:
    return answer(await ctx.services.projects.list_mine(ctx.user))


@action(ProjectsQuery, list[Project])
async def projects_query(ctx: Context, query: ProjectsQuery) -> Outcome[Any]:
    """The caller's projects; with a status, a support officer's review queue."""
    projects = ctx.services.projects
    if query.status is None:
        return answer([p.project for p in await projects.list_mine(ctx.user)])
    return answer(await projects.list_for_review(ctx.user, query.status))


@action(ProjectRef, ProjectWithRole)
async def project_get(ctx: Context, ref: ProjectRef) -> Outcome[Any]:
    return answer(await ctx.services.projects.get(ctx.user, ref.project_id))


@action(ProjectIn, Project)
async def project_register(ctx: Context, data: ProjectIn) -> Outcome[Any]:
    return answer(await ctx.services.projects.register(ctx.user, data))


@action(ProjectRef, Project)
async def project_validate(ctx: Context, ref: ProjectRef) -> Outcome[Any]:
    return answer(await ctx.services.projects.review(ctx.user, ref.project_id, approve=True))


@action(RejectOf, Project)
async def project_reject(ctx: Context, data: RejectOf) -> Outcome[Any]:
    return answer(await ctx.services.projects.review(ctx.user, data.project_id, approve=False, reason=data.reason))


@action(ProjectRef, Project)
async def project_archive(ctx: Context, ref: ProjectRef) -> Outcome[Any]:
    return answer(await ctx.services.projects.archive(ctx.user, ref.project_id))


@action(SettingsOf, Project)
async def project_configure(ctx: Context, data: SettingsOf) -> Outcome[Any]:
    settings = ProjectSettingsIn.model_validate(data.model_dump(include=data.model_fields_set - {"project_id"}))
    return answer(await ctx.services.retention.configure(ctx.user, data.project_id, settings))


@action(HoldOf, Project)
async def project_hold(ctx: Context, data: HoldOf) -> Outcome[Any]:
    return answer(await ctx.services.retention.hold(ctx.user, data.project_id, HoldIn(held=data.held,
                                                                                     reason=data.reason)))


@action(ProjectRef, list[MemberView])
async def member_list(ctx: Context, ref: ProjectRef) -> Outcome[Any]:
    return answer(await ctx.services.projects.list_members(ctx.user, ref.project_id))


@action(MemberOf, Member)
async def member_add(ctx: Context, data: MemberOf) -> Outcome[Any]:
    return answer(await ctx.services.projects.add_member(ctx.user, data.project_id, data))  # a MemberIn


@action(MemberRoleOf, Member)
async def member_role(ctx: Context, data: MemberRoleOf) -> Outcome[Any]:
    return answer(await ctx.services.projects.change_role(ctx.user, data.project_id, data.user_id, data.role))


@action(MemberRef, None)
async def member_remove(ctx: Context, ref: MemberRef) -> Outcome[Any]:
    services = ctx.services
    await services.projects.remove_member(ctx.user, ref.project_id, ref.user_id)
    # Whoever leaves a project stops hearing its rooms at once, on every instance.
    pushes: list[Push] = []
    for room_id, sids in (await services.chat.evict(ref.project_id, ref.user_id)).items():
        pushes += [Evicted(room_id, tuple(sids)), PresenceChanged(room_id, left=ref.user_id)]
    return answer(None, *pushes)


@action(ProjectRef, list[Space])
async def space_list(ctx: Context, ref: ProjectRef) -> Outcome[Any]:
    return answer(await ctx.services.projects.list_spaces(ctx.user, ref.project_id))


@action(SpaceOf, Space)
async def space_create(ctx: Context, data: SpaceOf) -> Outcome[Any]:
    return answer(await ctx.services.projects.create_space(ctx.user, data.project_id, data))  # a SpaceIn


@action(SpaceRef, Space)
async def space_get(ctx: Context, ref: SpaceRef) -> Outcome[Any]:
    space, _ = await ctx.services.projects.get_space(ctx.user, ref.space_id)
    return answer(space)


# The Socket.IO events of this area (the changes are REST only, but for a support officer's hold).
ACTIONS = {
    "me:get": me_get,
    "project:list": project_list,
    "project:get": project_get,
    "member:list": member_list,
    "space:list": space_list,
    "space:get": space_get,
    "project:hold": project_hold,
}
