"""Projects, members and spaces on SQLite."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rooms.audit_models import AuditEntry
from rooms.classroom_models import ChatFeatures
from rooms.errors import Conflict
from rooms.models import Member, Project, ProjectRole, ProjectStatus, Space, Visibility
from rooms.safeguarding_models import Mute, Safeguarding
from storage.documents.sqlite_audit import insert_audit
from storage.documents.sqlite_base import SqliteBase, WriteTransaction, _dump, _load, _load_cached

ACCESS_KEPT_MAX = 4096  # (room, person) pairs whose access read is kept (get_space_access): under a MiB


class ProjectTables(SqliteBase):
    def __init__(self, path: Path) -> None:
        super().__init__(path)
        # (space, user) -> (access_version when read, what was read); models are frozen
        self._access_read: dict[tuple[str, str], tuple[int, tuple[Space, Project, Member | None] | None]] = {}

    # ---- projects -------------------------------------------------------------------

    async def create_project(self, project: Project, founders: list[Member], audit: AuditEntry | None = None) -> bool:
        async with self._transaction() as conn:
            if await self._one(conn, "SELECT 1 FROM projects WHERE id = ?", (project.id,)):
                return False
            await conn.execute("INSERT INTO projects (id, status, created_at, doc) VALUES (?, ?, ?, ?)",
                               (project.id, project.status, project.created_at, _dump(project)))
            for member in founders:
                await self._insert_member(conn, member)
            await insert_audit(conn, audit)
        return True

    async def get_project(self, project_id: str) -> Project | None:
        rows = self._rows("SELECT doc FROM projects WHERE id = ?", (project_id,))
        return _load(Project, rows[0][0]) if rows else None

    async def transition_project(self, project_id: str, from_status: ProjectStatus,
                                 to_status: ProjectStatus, reason: str | None, at: str,
                                 spaces: list[Space], audit: AuditEntry | None = None, *,
                                 changes: dict[str, Any] | None = None) -> Project | None:
        async with self._transaction() as conn:
            row = await self._one(conn, "SELECT doc FROM projects WHERE id = ? AND status = ?",
                                  (project_id, from_status))
            if row is None:
                return None
            project = _load(Project, row[0]).model_copy(
                update={**(changes or {}), "status": to_status, "status_reason": reason, "updated_at": at})
            await conn.execute("UPDATE projects SET status = ?, doc = ? WHERE id = ?",
                               (to_status, _dump(project), project_id))
            for space in spaces:
                await self._insert_space(conn, space)
            await insert_audit(conn, audit)
        return project

    async def list_projects_of(self, user_id: str, limit: int) -> list[tuple[Project, ProjectRole]]:
        sql = ("SELECT p.doc, m.role FROM members m JOIN projects p ON p.id = m.project_id "
               "WHERE m.user_id = ? ORDER BY p.created_at DESC, p.id LIMIT ?")
        rows = self._rows(sql, (user_id, limit))
        return [(_load(Project, doc), role) for doc, role in rows]

    async def list_projects_by_status(self, status: ProjectStatus, limit: int) -> list[Project]:
        sql = "SELECT doc FROM projects WHERE status = ? ORDER BY created_at, id LIMIT ?"
        rows = self._rows(sql, (status, limit))
        return [_load(Project, doc) for (doc,) in rows]

    # ---- members ------------------------------------------------------------------------

    async def _insert_member(self, conn: WriteTransaction, member: Member) -> None:
        await conn.execute(
            "INSERT INTO members (project_id, user_id, role, joined_order, doc) VALUES (?, ?, ?, "
            "(SELECT COALESCE(MAX(joined_order), 0) + 1 FROM members WHERE project_id = ?), ?)",
            (member.project_id, member.user_id, member.role, member.project_id, _dump(member)))

    async def add_member(self, member: Member, audit: AuditEntry | None = None) -> bool:
        async with self._transaction() as conn:
            if await self._one(conn, "SELECT 1 FROM members WHERE project_id = ? AND user_id = ?",
                               (member.project_id, member.user_id)):
                return False
            await self._insert_member(conn, member)
            await insert_audit(conn, audit)
        return True

    async def get_member(self, project_id: str, user_id: str) -> Member | None:
        sql = "SELECT doc FROM members WHERE project_id = ? AND user_id = ?"
        rows = self._rows(sql, (project_id, user_id))
        return _load(Member, rows[0][0]) if rows else None

    async def list_members(self, project_id: str, limit: int) -> list[Member]:
        sql = "SELECT doc FROM members WHERE project_id = ? ORDER BY joined_order LIMIT ?"
        rows = self._rows(sql, (project_id, limit))
        return [_load(Member, doc) for (doc,) in rows]

    async def _other_admins(self, conn: WriteTransaction, project_id: str, user_id: str) -> int:
        row = await self._one(conn, "SELECT COUNT(*) FROM members WHERE project_id = ? AND role = 'admin' "
                                    "AND user_id != ?", (project_id, user_id))
        return int(row[0])

    async def set_member_role(self, project_id: str, user_id: str, role: ProjectRole,
                              audit: AuditEntry | None = None) -> Member | None:
        async with self._transaction() as conn:
            row = await self._one(conn, "SELECT doc FROM members WHERE project_id = ? AND user_id = ?",
                                  (project_id, user_id))
            if row is None:
                return None
            member = _load(Member, row[0])
            if member.role == "admin" and role != "admin" and not await self._other_admins(conn, project_id, user_id):
                raise Conflict("member.last_admin")
            member = member.model_copy(update={"role": role})
            await conn.execute("UPDATE members SET role = ?, doc = ? WHERE project_id = ? AND user_id = ?",
                               (role, _dump(member), project_id, user_id))
            await insert_audit(conn, audit)
        return member

    async def remove_member(self, project_id: str, user_id: str, audit: AuditEntry | None = None) -> bool:
        async with self._transaction() as conn:
            row = await self._one(conn, "SELECT role FROM members WHERE project_id = ? AND user_id = ?",
                                  (project_id, user_id))
            if row is None:
                return False
            if row[0] == "admin" and not await self._other_admins(conn, project_id, user_id):
                raise Conflict("member.last_admin")
            await conn.execute("DELETE FROM members WHERE project_id = ? AND user_id = ?", (project_id, user_id))
            await insert_audit(conn, audit)
        return True

    # ---- spaces -------------------------------------------------------------------------

    async def _insert_space(self, conn: WriteTransaction, space: Space) -> None:
        await conn.execute(
            "INSERT INTO spaces (id, project_id, visibility, created_order, doc) VALUES (?, ?, ?, "
            "(SELECT COALESCE(MAX(created_order), 0) + 1 FROM spaces WHERE project_id = ?), ?)",
            (space.id, space.project_id, space.visibility, space.project_id, _dump(space)))

    async def add_space(self, space: Space, max_per_project: int, audit: AuditEntry | None = None) -> bool:
        async with self._transaction() as conn:
            row = await self._one(conn, "SELECT COUNT(*) FROM spaces WHERE project_id = ?", (space.project_id,))
            if int(row[0]) >= max_per_project:
                return False
            await self._insert_space(conn, space)
            await insert_audit(conn, audit)
        return True

    async def get_space(self, space_id: str) -> Space | None:
        rows = self._rows("SELECT doc FROM spaces WHERE id = ?", (space_id,))
        return _load(Space, rows[0][0]) if rows else None

    async def get_space_access(self, space_id: str, user_id: str) -> tuple[Space, Project, Member | None] | None:
        """Read for every send: kept in memory while ``access_version`` (migration 14), which every write
        to projects, spaces and members moves, stays where it was; then one small row is read, not the
        three documents (nor parsed)."""
        ((version,),) = self._rows("SELECT v FROM access_version")
        key = (space_id, user_id)
        kept = self._access_read.get(key)
        if kept is not None and kept[0] == version:
            return kept[1]
        sql = ("SELECT s.doc, p.doc, m.doc FROM spaces s JOIN projects p ON p.id = s.project_id "
               "LEFT JOIN members m ON m.project_id = s.project_id AND m.user_id = ? WHERE s.id = ?")
        rows = self._rows(sql, (user_id, space_id))
        found: tuple[Space, Project, Member | None] | None = None
        if rows:
            space, project, member = rows[0]
            found = (_load_cached(Space, space), _load_cached(Project, project),
                     _load_cached(Member, member) if member else None)
        if len(self._access_read) >= ACCESS_KEPT_MAX:  # the oldest first
            del self._access_read[next(iter(self._access_read))]
        self._access_read[key] = (version, found)  # read after the version: never older than it
        return found

    async def list_spaces(self, project_id: str, visibilities: tuple[Visibility, ...]) -> list[Space]:
        if not visibilities:
            return []
        marks = ", ".join("?" for _ in visibilities)
        sql = (f"SELECT doc FROM spaces WHERE project_id = ? AND visibility IN ({marks}) "
               "ORDER BY created_order")
        rows = self._rows(sql, (project_id, *visibilities))
        return [_load(Space, doc) for (doc,) in rows]

    # ---- restrictions: mutes, room rules, safeguarding settings ---------------------------

    async def set_mutes(self, project_id: str, user_id: str, mutes: list[Mute], *,
                        audit: AuditEntry | None = None) -> Member | None:
        async with self._transaction() as conn:
            row = await self._one(conn, "SELECT doc FROM members WHERE project_id = ? AND user_id = ?",
                                  (project_id, user_id))
            if row is None:
                return None
            member = _load(Member, row[0]).model_copy(update={"mutes": list(mutes)})
            await conn.execute("UPDATE members SET doc = ? WHERE project_id = ? AND user_id = ?",
                               (_dump(member), project_id, user_id))
            await insert_audit(conn, audit)
        return member

    async def update_space(self, space_id: str, changes: dict[str, Any], *,
                           audit: AuditEntry | None = None) -> Space | None:
        async with self._transaction() as conn:
            row = await self._one(conn, "SELECT doc FROM spaces WHERE id = ?", (space_id,))
            if row is None:
                return None
            space = _load(Space, row[0]).model_copy(update=changes)
            await conn.execute("UPDATE spaces SET visibility = ?, doc = ? WHERE id = ?",
                               (space.visibility, _dump(space), space_id))
            await insert_audit(conn, audit)
        return space

    async def _set_in_project(self, project_id: str, changes: dict[str, Any],
                              audit: AuditEntry | None) -> Project | None:
        """Change fields of a project's document (not of its indexed columns), with ``audit``."""
        async with self._transaction() as conn:
            row = await self._one(conn, "SELECT doc FROM projects WHERE id = ?", (project_id,))
            if row is None:
                return None
            project = _load(Project, row[0]).model_copy(update=changes)
            await conn.execute("UPDATE projects SET doc = ? WHERE id = ?", (_dump(project), project_id))
            await insert_audit(conn, audit)
        return project

    async def set_safeguarding(self, project_id: str, rules: Safeguarding, *,
                               audit: AuditEntry | None = None) -> Project | None:
        return await self._set_in_project(project_id, {"safeguarding": rules}, audit)

    async def set_chat_features(self, project_id: str, features: ChatFeatures, *,
                                audit: AuditEntry | None = None) -> Project | None:
        return await self._set_in_project(project_id, {"chat_features": features}, audit)
