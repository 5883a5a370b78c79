"""REST endpoints for projects, their members and their spaces."""

from __future__ import annotations

from typing import Any, get_args

from rooms.errors import InvalidRequest
from rooms.models import (
    Member,
    MemberIn,
    MemberRoleIn,
    MemberView,
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
from server.http.routing import Call, Endpoint
from server.realtime.fanout import room_channel


async def me(call: Call, _: None) -> User:
    return call.user


async def list_projects(call: Call, _: None) -> Any:
    status = call.request.query_params.get("status")
    if status is None:
        return [p.project for p in await call.runtime.projects.list_mine(call.user)]
    if status not in get_args(ProjectStatus):
        raise InvalidRequest("request.invalid", detail=f"status must be one of {', '.join(get_args(ProjectStatus))}")
    return await call.runtime.projects.list_for_review(call.user, status)  # type: ignore[arg-type]


async def register(call: Call, body: ProjectIn) -> Project:
    return await call.runtime.projects.register(call.user, body)


async def get_project(call: Call, _: None) -> ProjectWithRole:
    return await call.runtime.projects.get(call.user, call.param("project_id"))


async def validate(call: Call, _: None) -> Project:
    return await call.runtime.projects.review(call.user, call.param("project_id"), approve=True)


async def reject(call: Call, body: RejectIn) -> Project:
    return await call.runtime.projects.review(call.user, call.param("project_id"), approve=False,
                                              reason=body.reason)


async def archive(call: Call, _: None) -> Project:
    return await call.runtime.projects.archive(call.user, call.param("project_id"))


async def configure(call: Call, body: ProjectSettingsIn) -> Project:
    return await call.runtime.chat.set_retention(call.user, call.param("project_id"), body.chat_retention_days)


async def list_members(call: Call, _: None) -> list[MemberView]:
    return await call.runtime.projects.list_members(call.user, call.param("project_id"))


async def add_member(call: Call, body: MemberIn) -> Member:
    return await call.runtime.projects.add_member(call.user, call.param("project_id"), body)


async def change_role(call: Call, body: MemberRoleIn) -> Member:
    return await call.runtime.projects.change_role(call.user, call.param("project_id"),
                                                   call.param("user_id"), body.role)


async def remove_member(call: Call, _: None) -> None:
    project_id, user_id = call.param("project_id"), call.param("user_id")
    await call.runtime.projects.remove_member(call.user, project_id, user_id)
    # Whoever leaves a project stops hearing its rooms at once, on every instance.
    chat, fanout = call.runtime.chat, call.runtime.fanout
    for room_id, sids in (await chat.evict(project_id, user_id)).items():
        for sid in sids:
            await fanout.unsubscribe(sid, room_channel(room_id))
        fanout.presence_changed(room_id, left=user_id)


async def list_spaces(call: Call, _: None) -> list[Space]:
    return await call.runtime.projects.list_spaces(call.user, call.param("project_id"))


async def create_space(call: Call, body: SpaceIn) -> Space:
    return await call.runtime.projects.create_space(call.user, call.param("project_id"), body)


async def get_space(call: Call, _: None) -> Space:
    space, _access = await call.runtime.projects.get_space(call.user, call.param("space_id"))
    return space


P = "/projects/{project_id}"

ENDPOINTS = [
    Endpoint("GET", "/me", me, "The user the token speaks for", response=User, tag="users"),
    Endpoint("GET", "/projects", list_projects,
             "The caller's projects; with ?status=, the review queue of a support officer",
             response=list[Project], query=(("status", "pending, validated, rejected or archived"),)),
    Endpoint("POST", "/projects", register, "Register a project (starts pending)", body=ProjectIn,
             response=Project, status=201),
    Endpoint("GET", P, get_project, "A project and the caller's role in it", response=ProjectWithRole),
    Endpoint("POST", P + "/validate", validate, "Validate a pending project (support officer)",
             response=Project),
    Endpoint("POST", P + "/reject", reject, "Reject a pending project with a reason (support officer)",
             body=RejectIn, response=Project),
    Endpoint("POST", P + "/archive", archive, "Archive a project: read-only for everyone (admin)",
             response=Project),
    Endpoint("PATCH", P + "/settings", configure,
             "Change project settings: chat retention in days, or null to keep chat (admin)",
             body=ProjectSettingsIn, response=Project),
    Endpoint("GET", P + "/members", list_members, "The project's members", response=list[MemberView]),
    Endpoint("POST", P + "/members", add_member, "Invite a teacher or create pupil or visitor access (admin)",
             body=MemberIn, response=Member, status=201),
    Endpoint("PATCH", P + "/members/{user_id}", change_role, "Change a member's role (admin)",
             body=MemberRoleIn, response=Member),
    Endpoint("DELETE", P + "/members/{user_id}", remove_member, "Remove a member (admin)"),
    Endpoint("GET", P + "/spaces", list_spaces, "The chat rooms and forums the caller may read",
             response=list[Space], tag="spaces"),
    Endpoint("POST", P + "/spaces", create_space, "Add a chat room or forum (admin)", body=SpaceIn,
             response=Space, status=201, tag="spaces"),
    Endpoint("GET", "/spaces/{space_id}", get_space, "One chat room or forum", response=Space, tag="spaces"),
]
