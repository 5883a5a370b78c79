"""Socket.IO events about projects, members and spaces (reads; changes go through REST)."""

from __future__ import annotations

from typing import Any

from rooms.models import MemberView, Model, ProjectWithRole, Space, User
from server.realtime.session import Session


class NoPayload(Model):
    pass


class ProjectRef(Model):
    project_id: str


class SpaceRef(Model):
    space_id: str


async def me_get(session: Session, _: NoPayload) -> Any:
    return session.user


async def project_list(session: Session, _: NoPayload) -> Any:
    return await session.runtime.projects.list_mine(session.user)


async def project_get(session: Session, ref: ProjectRef) -> Any:
    return await session.runtime.projects.get(session.user, ref.project_id)


async def member_list(session: Session, ref: ProjectRef) -> Any:
    return await session.runtime.projects.list_members(session.user, ref.project_id)


async def space_list(session: Session, ref: ProjectRef) -> Any:
    return await session.runtime.projects.list_spaces(session.user, ref.project_id)


async def space_get(session: Session, ref: SpaceRef) -> Any:
    space, _ = await session.runtime.projects.get_space(session.user, ref.space_id)
    return space


# event -> (payload schema, handler, ack data)
EVENTS = {
    "me:get": (NoPayload, me_get, User),
    "project:list": (NoPayload, project_list, list[ProjectWithRole]),
    "project:get": (ProjectRef, project_get, ProjectWithRole),
    "member:list": (ProjectRef, member_list, list[MemberView]),
    "space:list": (ProjectRef, space_list, list[Space]),
    "space:get": (SpaceRef, space_get, Space),
}
