"""The ports: what the domain needs from storage, as Protocols.

Adapters live in ``storage/`` and are named ``<Tech><Port>``. They
translate their driver's errors into :mod:`rooms.errors` at their edge:
no driver exception travels past ``storage/``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol

from rooms.models import Member, Project, ProjectRole, ProjectStatus, Space, Visibility


class ProjectStore(Protocol):
    """Projects, their members and their spaces."""

    async def create_project(self, project: Project, founders: list[Member]) -> bool:
        """Store a project with its founding members atomically.

        Returns False (and changes nothing) when a project with that id exists.
        """

    async def get_project(self, project_id: str) -> Project | None: ...

    async def transition_project(self, project_id: str, from_status: ProjectStatus,
                                 to_status: ProjectStatus, reason: str | None, at: str,
                                 spaces: list[Space]) -> Project | None:
        """Move a project from ``from_status`` to ``to_status`` and add ``spaces``, atomically.

        Returns the updated project, or None when it was not in ``from_status``.
        """

    async def list_projects_of(self, user_id: str, limit: int) -> list[tuple[Project, ProjectRole]]:
        """The projects ``user_id`` is a member of, newest first."""

    async def list_projects_by_status(self, status: ProjectStatus, limit: int) -> list[Project]:
        """Projects in ``status``, oldest first (a review queue)."""

    async def add_member(self, member: Member) -> bool:
        """Add a member; False when that user is already a member."""

    async def get_member(self, project_id: str, user_id: str) -> Member | None: ...

    async def list_members(self, project_id: str, limit: int) -> list[Member]:
        """Members in the order they joined."""

    async def set_member_role(self, project_id: str, user_id: str, role: ProjectRole) -> Member | None:
        """Change a role. Raises ``Conflict("member.last_admin")`` when it would leave no admin."""

    async def remove_member(self, project_id: str, user_id: str) -> bool:
        """Remove a member. Raises ``Conflict("member.last_admin")`` when it would leave no admin."""

    async def add_space(self, space: Space, max_per_project: int) -> bool:
        """Add a space; False when the project already has ``max_per_project``."""

    async def get_space(self, space_id: str) -> Space | None: ...

    async def list_spaces(self, project_id: str, visibilities: tuple[Visibility, ...]) -> list[Space]:
        """The project's spaces of the given visibilities, in creation order."""

    async def ping(self) -> None:
        """Raise ``Unavailable`` when the backend does not answer."""


class ObjectStore(Protocol):
    """File bytes, addressed by key (``<project_id>/<file_id>``)."""

    async def put(self, key: str, chunks: AsyncIterator[bytes]) -> int:
        """Store the bytes under ``key`` and return their size. All or nothing."""

    def get(self, key: str) -> AsyncIterator[bytes]:
        """Stream the bytes under ``key``; ``NotFound`` when there are none."""

    async def delete(self, key: str) -> None:
        """Remove ``key``; nothing happens when it is absent."""

    async def ping(self) -> None:
        """Raise ``Unavailable`` when the backend does not answer."""
