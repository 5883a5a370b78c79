"""The audit log: every moderation action, report decision, membership and role change, setting
change and erasure, recorded as it happens; read by the project's admins and support officers.

Entries are made here (:func:`entry`) and handed to the store with the write they
describe, so that the change and its record are stored together. Nobody edits or
deletes one: the port has no such method and the SQLite table refuses it.

Recorded: ``project.register`` (in the new project), ``project.validate``,
``project.reject``, ``project.archive``, ``project.configure``, ``member.add``,
``member.role``, ``member.remove``, ``space.create``, ``mail.remove``, and
``mail.supervise_read`` each time a teacher reads pupils' mail in the supervision view.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rooms import cursors, policy
from rooms.audit_models import AuditEntry, AuditListIn, AuditPage
from rooms.errors import NotFound
from rooms.ids import new_id, utcnow
from rooms.models import User
from rooms.ports import AuditStore

if TYPE_CHECKING:  # rooms.projects records its own actions with entry(): no import cycle at run time
    from rooms.projects import Access, ProjectService


def entry(user: User, access: Access | None, project_id: str | None, action: str, target_kind: str,
          target_id: str, *, before: dict[str, Any] | None = None, after: dict[str, Any] | None = None,
          note: str = "", at: str | None = None) -> AuditEntry:
    """An entry for ``user`` (acting with ``access`` in the project, or as themselves) doing ``action``."""
    name = access.member.display_name if access is not None and access.member is not None else user.name
    role = access.role if access is not None else user.role
    return AuditEntry(id=new_id("aud"), project_id=project_id, actor_id=user.id, actor_name=name, actor_role=role,
                      action=action, target_kind=target_kind, target_id=target_id, before=before, after=after,
                      note=note, at=at or utcnow())


def changed(before: Any, after: Any, fields: tuple[str, ...]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The ``fields`` that differ between two models, as (before, after) plain values."""
    old = {f: _plain(getattr(before, f)) for f in fields}
    new = {f: _plain(getattr(after, f)) for f in fields}
    keys = [f for f in fields if old[f] != new[f]]
    return {k: old[k] for k in keys}, {k: new[k] for k in keys}


def _plain(value: Any) -> Any:
    dump = getattr(value, "model_dump", None)
    if dump is not None:
        return dump(mode="json")
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


class AuditService:
    """Reading the log (writing is done by the services whose actions it records)."""

    def __init__(self, store: AuditStore, projects: ProjectService) -> None:
        self._store = store
        self._projects = projects

    async def list(self, user: User, query: AuditListIn) -> AuditPage:
        """A page of the project's log for its admins and the support officers, newest first.

        A deleted project's trail outlives it: support officers still read it (its admins are gone).
        """
        try:
            access = await self._projects.access(user, query.project_id)
        except NotFound:
            if not await self._deleted_for_support(user, query.project_id):
                raise
        else:
            access.check("audit.read")
        before = cursors.decode(query.cursor, 1)[0] if query.cursor else None
        rows = await self._store.list_audit(query.project_id, before, query.limit + 1, actor_id=query.actor_id,
                                            action=query.action, target_id=query.target_id)
        more = len(rows) > query.limit
        rows = rows[:query.limit]
        return AuditPage(entries=[e for e, _ in rows], next_cursor=cursors.encode(rows[-1][1]) if more else None)

    async def _deleted_for_support(self, user: User, project_id: str) -> bool:
        """Whether ``user`` is a support officer and ``project_id`` a project that ended and was deleted."""
        if not policy.allowed(policy.role_of(user, None), "audit.read"):
            return False
        return bool(await self._store.list_audit(project_id, None, 1, action="project.delete"))
