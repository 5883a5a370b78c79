"""Projects (Twinspaces): registration, review, membership and spaces.

Every public method takes the acting :class:`User` first and asks
:mod:`rooms.policy` before it reads or changes anything. Someone who is
not a member (nor a support officer) gets ``project.not_found``: they
cannot tell the project exists. Each change is recorded in the audit log
(:mod:`rooms.audit`) by the write that makes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from rooms import limits, policy
from rooms.audience import id_shown
from rooms.audit import changed, entry
from rooms.clock import stamp
from rooms.errors import Conflict, Forbidden, InvalidRequest, NotFound
from rooms.ids import new_id, utcnow
from rooms.models import (
    Member,
    MemberIn,
    MemberView,
    Project,
    ProjectIn,
    ProjectRole,
    ProjectStatus,
    ProjectWithRole,
    Space,
    SpaceIn,
    SpaceKind,
    User,
)
from rooms.policy import Role
from rooms.ports import ProjectStore

# The spaces every project gets when it is validated: (key, kind, name, visibility).
DEFAULT_SPACES = (
    ("general", "chat", "General", "members"),
    ("staff", "chat", "Staff room", "teachers"),
    ("forum", "forum", "Forum", "members"),
)

_ADD_ACTION = {
    "admin": "member.add_teacher",
    "teacher": "member.add_teacher",
    "pupil": "member.add_pupil",
    "visitor": "member.add_visitor",
}


@dataclass(frozen=True)
class Access:
    """What one user may do in one project, decided once per request."""

    project: Project
    member: Member | None
    role: Role
    user_id: str

    def check(self, action: str, visibility: str = policy.NO_SPACE, *, author_id: str | None = None) -> None:
        """:func:`rooms.policy.check` for this user; ``author_id`` for the actions on one's own items."""
        policy.check(self.role, action, self.project.status, visibility, actor_id=self.user_id, author_id=author_id)

    def check_delete(self, author_id: str, visibility: str = policy.NO_SPACE, *, own: str = "space.edit_own",
                     moderate: str = "space.moderate") -> bool:
        """May this user delete an item of ``author_id``: their own (``own``), or anyone's (``moderate``)?

        True when it is someone else's: a moderation, which the caller records in the audit log.
        """
        if author_id == self.user_id:
            self.check(own, visibility, author_id=author_id)
            return False
        self.check(moderate, visibility)
        return True

    @property
    def is_staff(self) -> bool:
        return self.role in ("admin", "teacher")

    @property
    def name(self) -> str:
        """The name this user has in the project (their membership's, else their token's for support)."""
        return self.member.display_name if self.member else ""


def _school_key(school: str) -> str:
    return " ".join(school.casefold().split())


class ProjectService:
    """The use cases around projects."""

    def __init__(self, store: ProjectStore, *,
                 deletion_grace_days: int = limits.PROJECT_DELETION_GRACE_DAYS_DEFAULT) -> None:
        self._store = store
        self._grace_days = deletion_grace_days

    # ---- access ----------------------------------------------------------

    async def access(self, user: User, project_id: str) -> Access:
        """The user's access to a project; ``project.not_found`` for outsiders."""
        project = await self._store.get_project(project_id)
        if project is None:
            raise NotFound("project.not_found")
        access = _access_of(user, project, await self._store.get_member(project_id, user.id))
        if access is None:
            raise NotFound("project.not_found")
        return access

    # ---- registration and review --------------------------------------------

    async def register(self, user: User, data: ProjectIn, project_id: str | None = None) -> Project:
        """A teacher registers a project with partner teachers; it starts pending."""
        policy.check_platform(user, "project.register")
        partner_ids = [p.user_id for p in data.partners]
        if len(set(partner_ids)) != len(partner_ids) or user.id in partner_ids:
            raise InvalidRequest("request.invalid", detail="partners: each founder appears once")
        schools = {_school_key(user.school)} | {_school_key(p.school) for p in data.partners}
        schools.discard("")
        if len(schools) < 2:
            raise InvalidRequest("project.partners_required")
        now = utcnow()
        project = Project(
            id=project_id or new_id("prj"), title=data.title, description=data.description,
            subject=data.subject, age_min=data.age_min, age_max=data.age_max,
            languages=list(data.languages), status="pending", created_by=user.id,
            created_at=now, updated_at=now,
        )
        founders = [Member(project_id=project.id, user_id=user.id, role="admin", display_name=user.name,
                           school=user.school, country=user.country, added_by=user.id, joined_at=now)]
        founders += [Member(project_id=project.id, user_id=p.user_id, role="admin",
                            display_name=p.display_name, school=p.school, country=p.country,
                            email=p.email, added_by=user.id, joined_at=now) for p in data.partners]
        audit = entry(user, None, project.id, "project.register", "project", project.id,
                      after={"status": project.status, "founders": [m.user_id for m in founders]})
        if not await self._store.create_project(project, founders, audit=audit):
            raise Conflict("project.exists", project_id=project.id)
        return project

    async def review(self, user: User, project_id: str, approve: bool, reason: str | None = None) -> Project:
        """A support officer validates (opening the Twinspace) or rejects a pending project."""
        access = await self.access(user, project_id)
        access.check("project.review")
        now = utcnow()
        spaces: list[Space] = []
        if approve:
            spaces = [Space(id=new_id("spc"), project_id=project_id, kind=kind, name=name,
                            visibility=visibility, default_key=key, created_by=user.id, created_at=now)
                      for key, kind, name, visibility in DEFAULT_SPACES]
        to_status: ProjectStatus = "validated" if approve else "rejected"
        audit = entry(user, access, project_id, "project.validate" if approve else "project.reject", "project",
                      project_id, before={"status": "pending"}, after={"status": to_status}, note=reason or "",
                      at=now)
        project = await self._store.transition_project(project_id, "pending", to_status, reason, now, spaces,
                                                       audit=audit)
        if project is None:
            raise Conflict("project.bad_state", status=access.project.status)
        return project

    async def archive(self, user: User, project_id: str) -> Project:
        """An admin archives a validated project: read-only for everyone from then on, and deleted
        entirely after the grace period (``delete_after``) unless a support officer holds it."""
        access = await self.access(user, project_id)
        access.check("project.archive")
        now = datetime.now(UTC)
        at, delete_after = stamp(now), stamp(now + timedelta(days=self._grace_days))
        audit = entry(user, access, project_id, "project.archive", "project", project_id,
                      before={"status": "validated"}, after={"status": "archived", "delete_after": delete_after},
                      at=at)
        project = await self._store.transition_project(project_id, "validated", "archived", None, at, [],
                                                       audit=audit,
                                                       changes={"archived_at": at, "delete_after": delete_after})
        if project is None:
            raise Conflict("project.bad_state", status=access.project.status)
        return project

    async def get(self, user: User, project_id: str) -> ProjectWithRole:
        access = await self.access(user, project_id)
        access.check("project.view")
        return ProjectWithRole(project=access.project, role=access.role)

    async def list_mine(self, user: User, limit: int = limits.PROJECTS_PAGE_MAX) -> list[ProjectWithRole]:
        rows = await self._store.list_projects_of(user.id, min(limit, limits.PROJECTS_PAGE_MAX))
        return [ProjectWithRole(project=p, role=policy.capped(user, r)) for p, r in rows]

    async def list_for_review(self, user: User, status: ProjectStatus = "pending",
                              limit: int = limits.PROJECTS_PAGE_MAX) -> list[Project]:
        if not policy.allowed(policy.role_of(user, None), "project.review"):
            raise Forbidden("permission.denied", action="project.review")
        return await self._store.list_projects_by_status(status, min(limit, limits.PROJECTS_PAGE_MAX))

    # ---- membership ----------------------------------------------------------

    async def list_members(self, user: User, project_id: str) -> list[MemberView]:
        access = await self.access(user, project_id)
        access.check("member.list")
        members = await self._store.list_members(project_id, limits.MEMBERS_PAGE_MAX)
        return [_view(m, access.role) for m in members]

    async def add_member(self, user: User, project_id: str, data: MemberIn) -> Member:
        access = await self.access(user, project_id)
        access.check(_ADD_ACTION[data.role])
        if data.user_id is not None:
            await self._check_enrolment(user, data.user_id, data.role)
        prefix = {"pupil": "pup", "visitor": "vis"}.get(data.role, "usr")
        member = Member(project_id=project_id, user_id=data.user_id or new_id(prefix), role=data.role,
                        display_name=data.display_name, school=data.school, country=data.country,
                        email=data.email, added_by=user.id, joined_at=utcnow())
        audit = entry(user, access, project_id, "member.add", "member", member.user_id, after={"role": member.role})
        if not await self._store.add_member(member, audit=audit):
            raise Conflict("member.exists")
        return member

    async def _check_enrolment(self, user: User, user_id: str, role: ProjectRole) -> None:
        """Someone already in a project joins another by id only through their own staff.

        A pupil belongs to the school whose teacher created them, a visitor to the project that
        invited them: when the person named is a member somewhere and either joins as a pupil or
        visitor or is one anywhere, the adding admin must be staff (admin or teacher) in a project
        the person is a member of, so the person's own teachers know. Anyone else naming their id
        gets ``member.not_yours``. A person in no project yet (a new id) is anyone's to add.
        """
        theirs = await self._store.list_projects_of(user_id, limits.PROJECTS_PAGE_MAX)
        if not theirs:
            return
        if role in ("admin", "teacher") and all(r in ("admin", "teacher") for _, r in theirs):
            return
        mine = await self._store.list_projects_of(user.id, limits.PROJECTS_PAGE_MAX)
        staff_in = {project.id for project, r in mine if r in ("admin", "teacher")}
        if not staff_in & {project.id for project, _ in theirs}:
            raise Forbidden("member.not_yours")

    async def change_role(self, user: User, project_id: str, user_id: str, role: ProjectRole) -> Member:
        access = await self.access(user, project_id)
        access.check("member.change_role")
        target = await self._store.get_member(project_id, user_id)
        if target is None:
            raise NotFound("member.not_found")
        if role != target.role and not (_kind(role) == _kind(target.role) == "staff"):
            # Only admin <-> teacher: a pupil's or visitor's access is not a teacher's account.
            raise InvalidRequest("member.role_not_allowed", platform_role=target.role, role=role)
        before, after = changed(target, target.model_copy(update={"role": role}), ("role",))
        audit = entry(user, access, project_id, "member.role", "member", user_id, before=before,
                      after=after) if after else None  # the same role again changes nothing
        updated = await self._store.set_member_role(project_id, user_id, role, audit=audit)
        if updated is None:
            raise NotFound("member.not_found")
        return updated

    async def remove_member(self, user: User, project_id: str, user_id: str) -> None:
        access = await self.access(user, project_id)
        access.check("member.remove")
        audit = entry(user, access, project_id, "member.remove", "member", user_id)
        if not await self._store.remove_member(project_id, user_id, audit=audit):
            raise NotFound("member.not_found")

    # ---- spaces --------------------------------------------------------------

    async def create_space(self, user: User, project_id: str, data: SpaceIn) -> Space:
        access = await self.access(user, project_id)
        access.check("space.create")
        space = Space(id=new_id("spc"), project_id=project_id, kind=data.kind, name=data.name,
                      visibility=data.visibility, created_by=user.id, created_at=utcnow())
        audit = entry(user, access, project_id, "space.create", "space", space.id,
                      after={"kind": space.kind, "name": space.name, "visibility": space.visibility})
        if not await self._store.add_space(space, limits.SPACES_PER_PROJECT_MAX, audit=audit):
            raise Conflict("space.limit_reached", limit=limits.SPACES_PER_PROJECT_MAX)
        return space

    async def list_spaces(self, user: User, project_id: str) -> list[Space]:
        access = await self.access(user, project_id)
        access.check("project.view")
        if access.project.status in ("pending", "rejected"):
            return []
        return await self._store.list_spaces(project_id, policy.visible_spaces(access.role))

    async def get_space(self, user: User, space_id: str, action: str = "space.read",
                        kind: SpaceKind | None = None) -> tuple[Space, Access]:
        """A space (of ``kind``) the user may ``action`` in; ``room.not_found`` when they cannot tell it exists."""
        found = await self._store.get_space_access(space_id, user.id)
        if found is None:
            raise NotFound("room.not_found")
        space, project, member = found
        access = _access_of(user, project, member)
        if access is None or (kind is not None and space.kind != kind):
            raise NotFound("room.not_found")
        access.check(action, space.visibility)
        return space, access


def _access_of(user: User, project: Project, member: Member | None) -> Access | None:
    """The user's access to a project; None for an outsider, who may not learn it exists."""
    role = policy.role_of(user, member)
    return None if role == "outsider" else Access(project, member, role, user.id)


def _kind(role: ProjectRole) -> str:
    return "staff" if role in ("admin", "teacher") else role


def _view(member: Member, viewer: Role) -> MemberView:
    if not id_shown(viewer, member.role):
        return MemberView(role=member.role, display_name=member.display_name)
    staff = viewer in ("admin", "teacher")
    return MemberView(role=member.role, display_name=member.display_name, user_id=member.user_id,
                      school=member.school, country=member.country,
                      email=member.email if staff else None, joined_at=member.joined_at)
