"""Projects, members and spaces on MongoDB."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from rooms.audit_models import AuditEntry
from rooms.classroom_models import ChatFeatures
from rooms.errors import Conflict
from rooms.models import Member, Project, ProjectRole, ProjectStatus, Space, Visibility
from rooms.safeguarding_models import Mute, Safeguarding
from storage.documents.mongo_audit import AuditCollections
from storage.documents.mongo_base import doc_set, dump, load, translated


class ProjectCollections(AuditCollections):  # the audit entries of its writes follow them
    @translated
    async def create_project(self, project: Project, founders: list[Member], audit: AuditEntry | None = None) -> bool:
        # Project first: its unique _id makes a second registration with the same id fail here,
        # before any member is written.
        try:
            await self._c("projects").insert_one({
                "_id": project.id, "status": project.status, "created_at": project.created_at,
                "chat_retention_days": project.chat_retention_days, "doc": dump(project)})
        except DuplicateKeyError:
            return False
        for member in founders:
            await self._insert_member(member)
        await self._insert_audit(audit)
        return True

    @translated
    async def get_project(self, project_id: str) -> Project | None:
        record = await self._c("projects").find_one({"_id": project_id})
        return load(Project, record) if record else None

    @translated
    async def transition_project(self, project_id: str, from_status: ProjectStatus, to_status: ProjectStatus,
                                 reason: str | None, at: str, spaces: list[Space],
                                 audit: AuditEntry | None = None, *,
                                 changes: dict[str, Any] | None = None) -> Project | None:
        record = await self._c("projects").find_one_and_update(
            {"_id": project_id, "status": from_status},
            {"$set": {"status": to_status, **doc_set({**(changes or {}), "status": to_status,
                                                     "status_reason": reason, "updated_at": at})}},
            return_document=ReturnDocument.AFTER)
        if record is None:
            return None
        for space in spaces:  # only the call that moved the status gets here: no duplicates
            await self._insert_space(space)
        await self._insert_audit(audit)
        return load(Project, record)

    @translated
    async def list_projects_of(self, user_id: str, limit: int) -> list[tuple[Project, ProjectRole]]:
        members = await self._c("members").find({"user_id": user_id}).limit(10_000).to_list(None)
        roles = {m["project_id"]: m["role"] for m in members}
        records = await (self._c("projects").find({"_id": {"$in": list(roles)}})
                         .sort([("created_at", DESCENDING), ("_id", ASCENDING)]).limit(limit).to_list(None))
        return [(load(Project, r), roles[r["_id"]]) for r in records]

    @translated
    async def list_projects_by_status(self, status: ProjectStatus, limit: int) -> list[Project]:
        records = await (self._c("projects").find({"status": status})
                         .sort([("created_at", ASCENDING), ("_id", ASCENDING)]).limit(limit).to_list(None))
        return [load(Project, r) for r in records]

    async def _insert_member(self, member: Member) -> None:
        order = await self._next(f"members:{member.project_id}")
        await self._c("members").insert_one({
            "_id": f"{member.project_id}:{member.user_id}", "project_id": member.project_id,
            "user_id": member.user_id, "role": member.role, "order": order, "doc": dump(member)})

    @translated
    async def add_member(self, member: Member, audit: AuditEntry | None = None) -> bool:
        try:
            await self._insert_member(member)
        except DuplicateKeyError:
            return False
        await self._insert_audit(audit)
        return True

    @translated
    async def get_member(self, project_id: str, user_id: str) -> Member | None:
        record = await self._c("members").find_one({"_id": f"{project_id}:{user_id}"})
        return load(Member, record) if record else None

    @translated
    async def list_members(self, project_id: str, limit: int) -> list[Member]:
        records = await (self._c("members").find({"project_id": project_id})
                         .sort([("order", ASCENDING)]).limit(limit).to_list(None))
        return [load(Member, r) for r in records]

    async def _other_admins(self, project_id: str, user_id: str) -> int:
        # Counted, then written: two admins demoting each other at the same instant could both
        # pass. Admin changes are rare and made by people, not scripts.
        return int(await self._c("members").count_documents(
            {"project_id": project_id, "role": "admin", "user_id": {"$ne": user_id}}))

    @translated
    async def set_member_role(self, project_id: str, user_id: str, role: ProjectRole,
                              audit: AuditEntry | None = None) -> Member | None:
        member = await self.get_member(project_id, user_id)
        if member is None:
            return None
        if member.role == "admin" and role != "admin" and not await self._other_admins(project_id, user_id):
            raise Conflict("member.last_admin")
        record = await self._c("members").find_one_and_update(
            {"_id": f"{project_id}:{user_id}"}, {"$set": {"role": role, **doc_set({"role": role})}},
            return_document=ReturnDocument.AFTER)
        if record is None:
            return None
        await self._insert_audit(audit)
        return load(Member, record)

    @translated
    async def remove_member(self, project_id: str, user_id: str, audit: AuditEntry | None = None) -> bool:
        member = await self.get_member(project_id, user_id)
        if member is None:
            return False
        if member.role == "admin" and not await self._other_admins(project_id, user_id):
            raise Conflict("member.last_admin")
        result = await self._c("members").delete_one({"_id": f"{project_id}:{user_id}"})
        if result.deleted_count:
            await self._insert_audit(audit)
        return bool(result.deleted_count)

    async def _insert_space(self, space: Space) -> None:
        order = await self._next(f"spaces:{space.project_id}")
        await self._c("spaces").insert_one({"_id": space.id, "project_id": space.project_id,
                                            "visibility": space.visibility, "order": order, "doc": dump(space)})

    @translated
    async def add_space(self, space: Space, max_per_project: int, audit: AuditEntry | None = None) -> bool:
        if await self._c("spaces").count_documents({"project_id": space.project_id}) >= max_per_project:
            return False
        await self._insert_space(space)
        await self._insert_audit(audit)
        return True

    @translated
    async def get_space(self, space_id: str) -> Space | None:
        record = await self._c("spaces").find_one({"_id": space_id})
        return load(Space, record) if record else None

    @translated
    async def get_space_access(self, space_id: str, user_id: str) -> tuple[Space, Project, Member | None] | None:
        space = await self.get_space(space_id)
        if space is None:
            return None
        project = await self.get_project(space.project_id)
        if project is None:
            return None
        return space, project, await self.get_member(space.project_id, user_id)

    @translated
    async def list_spaces(self, project_id: str, visibilities: tuple[Visibility, ...]) -> list[Space]:
        if not visibilities:
            return []
        records = await (self._c("spaces").find({"project_id": project_id, "visibility": {"$in": list(visibilities)}})
                         .sort([("order", ASCENDING)]).limit(1_000).to_list(None))
        return [load(Space, r) for r in records]

    # ---- restrictions: mutes, room rules, safeguarding settings ----------------------------
    # Each is one document's atomic update; the audit entry follows it (see mongo_audit).

    @translated
    async def set_mutes(self, project_id: str, user_id: str, mutes: list[Mute], *,
                        audit: AuditEntry | None = None) -> Member | None:
        record = await self._c("members").find_one_and_update(
            {"_id": f"{project_id}:{user_id}"}, {"$set": doc_set({"mutes": [dump(m) for m in mutes]})},
            return_document=ReturnDocument.AFTER)
        if record is None:
            return None
        await self._insert_audit(audit)
        return load(Member, record)

    @translated
    async def update_space(self, space_id: str, changes: dict[str, Any], *,
                           audit: AuditEntry | None = None) -> Space | None:
        top = {"visibility": changes["visibility"]} if "visibility" in changes else {}
        record = await self._c("spaces").find_one_and_update(
            {"_id": space_id}, {"$set": {**top, **doc_set(changes)}}, return_document=ReturnDocument.AFTER)
        if record is None:
            return None
        await self._insert_audit(audit)
        return load(Space, record)

    async def _set_in_project(self, project_id: str, changes: dict[str, Any],
                              audit: AuditEntry | None) -> Project | None:
        """Change fields of a project's document (not of its indexed fields), then record ``audit``."""
        record = await self._c("projects").find_one_and_update(
            {"_id": project_id}, {"$set": doc_set(changes)}, return_document=ReturnDocument.AFTER)
        if record is None:
            return None
        await self._insert_audit(audit)
        return load(Project, record)

    @translated
    async def set_safeguarding(self, project_id: str, rules: Safeguarding, *,
                               audit: AuditEntry | None = None) -> Project | None:
        return await self._set_in_project(project_id, {"safeguarding": rules}, audit)

    @translated
    async def set_chat_features(self, project_id: str, features: ChatFeatures, *,
                                audit: AuditEntry | None = None) -> Project | None:
        return await self._set_in_project(project_id, {"chat_features": features}, audit)
