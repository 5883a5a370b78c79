"""Retention that really deletes, and projects that end.

**Retention.** A project's admins set how long its chat, forum, mail and unattached files
are kept (``project.configure``: ``chat_retention_days``, ``forum_retention_days``,
``mail_retention_days``, ``file_retention_days``; None keeps them until the project ends).
One sweep (:meth:`RetentionService.sweep`, run by the lifespan's ``retention`` job on
``Services.clock``) enforces them on every project that has a period, on every room, forum
and mailbox of it, active or not, archived or not:

- chat: a message older than the period becomes a tombstone (``deleted_by`` "retention"):
  its ``seq`` stays, its text, author name and attachments go;
- forum: a post older than the period becomes a tombstone likewise; a thread opened before
  the cut-off whose posts are all tombstones is deleted, its title, body and files cleared;
- mail: a mail older than the period is deleted with every copy (nothing of it is left:
  no empty shell in anyone's folder);
- files: a file whose item expired goes with it, and an upload never attached goes once
  older than ``file_retention_days``. A file attached to a kept item stays, however old
  (a file is attached to exactly one item, which decides who may read it).

A file goes in three steps: its record is *marked* expired (in the write that expires its
item, or by :meth:`RetentionStore.expiring_files` for unattached uploads): from then on
nobody reads it and nothing attaches it; then its bytes are deleted from the object store;
then its record. So no readable record ever points at missing bytes, and a crash between
two steps leaves a marked record that the next sweep finds and finishes.

Every step is a bounded batch (``limits.RETENTION_BATCH``) in one store write, conditional
on the item not being expired yet, so several instances sweeping at once expire each item
once, and the work left is defined by the cut-off alone: a sweep that stops halfway (a
crash, a cancelled task, an object store that fails) is finished by the next one. A sweep
that changed something in a project records it there: ``retention.sweep`` by ``system``,
with the counts (never the content).

**Projects that end.** An archived project is deleted entirely once it has been archived
for ``grace_days`` (``--project-deletion-grace-days``) and its announced ``delete_after``
has passed, unless a support officer holds it (``project.hold``). ``delete_after`` is
written at archive (archive time + the grace period then in force); lengthening the setting
later postpones every deletion, shortening it never brings one before its announced date. A
project archived before deletion dates existed is given one by the first sweep, a grace
period from then (recorded as ``project.schedule_deletion`` by ``system``). Its files go first
(bytes, then records, as above), then its documents in batches, the project itself last;
only its audit trail stays, with ``project.delete`` by ``system`` written before anything
is deleted.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from rooms import audit, limits
from rooms.audit_models import AuditEntry
from rooms.clock import Clock, stamp, system_clock
from rooms.errors import NotFound
from rooms.files import key_of
from rooms.ids import new_id
from rooms.models import RETENTION_FIELDS, HoldIn, Project, ProjectSettingsIn, User
from rooms.ports import DocumentStore, ObjectStore
from rooms.projects import ProjectService

log = logging.getLogger("twinspace.retention")

SYSTEM = "system"  # the actor of the sweeps' audit entries


def system_entry(project_id: str, action: str, at: str, *, after: dict[str, Any] | None = None,
                 note: str = "") -> AuditEntry:
    """An audit entry made by the server itself (no person acted)."""
    return AuditEntry(id=new_id("aud"), project_id=project_id, actor_id=SYSTEM, actor_name="Twinspace",
                      actor_role=SYSTEM, action=action, target_kind="project", target_id=project_id,
                      after=after, note=note, at=at)


@dataclass
class Swept:
    """What one sweep did, in total."""

    messages: int = 0
    posts: int = 0
    threads: int = 0
    mails: int = 0
    files: int = 0
    projects_deleted: list[str] = field(default_factory=list)

    def add(self, counts: dict[str, int]) -> None:
        for name, n in counts.items():
            setattr(self, name, getattr(self, name) + n)

    def __bool__(self) -> bool:
        return bool(self.messages or self.posts or self.threads or self.mails or self.files or self.projects_deleted)


class RetentionService:
    def __init__(self, store: DocumentStore, objects: ObjectStore, projects: ProjectService, *,
                 grace_days: int = limits.PROJECT_DELETION_GRACE_DAYS_DEFAULT, clock: Clock = system_clock,
                 batch: int = limits.RETENTION_BATCH) -> None:
        self._store = store
        self._objects = objects
        self._projects = projects
        self._grace_days = grace_days
        self._clock = clock
        self._batch = batch

    # ---- settings ------------------------------------------------------------------------

    async def configure(self, user: User, project_id: str, data: ProjectSettingsIn) -> Project:
        """An admin sets some of the project's retention periods (recorded before/after)."""
        access = await self._projects.access(user, project_id)
        access.check("project.configure")
        periods = data.retention()
        before, after = audit.changed(access.project, access.project.model_copy(update=periods), RETENTION_FIELDS)
        at = stamp(self._clock())
        record = audit.entry(user, access, project_id, "project.configure", "project", project_id, before=before,
                             after=after, at=at) if after else None  # the same settings again change nothing
        project = await self._store.set_retention(project_id, periods, at, audit=record)
        if project is None:
            raise NotFound("project.not_found")
        return project

    async def hold(self, user: User, project_id: str, data: HoldIn) -> Project:
        """A support officer holds a project (it is not deleted after its grace period) or releases it."""
        access = await self._projects.access(user, project_id)
        access.check("project.hold")
        reason = data.reason or None
        at = stamp(self._clock())
        record = audit.entry(user, access, project_id, "project.hold" if data.held else "project.release", "project",
                             project_id, before={"held": access.project.held, "hold_reason": access.project.hold_reason},
                             after={"held": data.held, "hold_reason": reason if data.held else None},
                             note=reason or "", at=at)
        project = await self._store.set_hold(project_id, data.held, reason, at, audit=record)
        if project is None:
            raise NotFound("project.not_found")
        return project

    # ---- the sweep -------------------------------------------------------------------------

    async def sweep(self) -> Swept:
        """Enforce every project's retention, then delete the projects past their grace period."""
        now = self._clock()
        swept = Swept()
        cursor = ""
        while page := await self._store.projects_with_retention(cursor, limits.PROJECTS_PAGE_MAX):
            for project in page:
                counts = await self.expire(project)
                swept.add(counts)
            cursor = page[-1].id
        await self._announce(now)
        due = await self._store.projects_to_delete(stamp(now - timedelta(days=self._grace_days)), stamp(now),
                                                   limits.PROJECTS_DELETED_PER_SWEEP)
        for project in due:
            await self.delete_project(project)
            swept.projects_deleted.append(project.id)
        return swept

    async def expire(self, project: Project) -> dict[str, int]:
        """Enforce one project's periods, batch after batch until nothing is left; record what changed."""
        now = self._clock()
        at = stamp(now)

        def cutoff(days: int | None) -> str | None:
            return stamp(now - timedelta(days=days)) if days is not None else None

        counts = {"messages": 0, "posts": 0, "threads": 0, "mails": 0, "files": 0}
        pid, batch = project.id, self._batch
        if (chat := cutoff(project.chat_retention_days)) is not None:
            while n := await self._store.expire_messages(pid, chat, at, batch):
                counts["messages"] += n
        if (forum := cutoff(project.forum_retention_days)) is not None:
            while n := await self._store.expire_posts(pid, forum, at, batch):
                counts["posts"] += n
            while n := await self._store.expire_threads(pid, forum, at, batch):
                counts["threads"] += n
        if (mail := cutoff(project.mail_retention_days)) is not None:
            while n := await self._store.expire_mails(pid, mail, at, batch):
                counts["mails"] += n
        counts["files"] = await self._delete_files(pid, at, unattached_before=cutoff(project.file_retention_days))
        changed = {k: v for k, v in counts.items() if v}
        if changed:
            await self._store.append_audit(system_entry(pid, "retention.sweep", at, after=changed))
        return counts

    async def _delete_files(self, project_id: str, at: str, *, unattached_before: str | None = None,
                            every_file: bool = False) -> int:
        """Delete the project's files marked expired (marking first what the arguments say): bytes,
        then record. Returns how many records this call deleted."""
        deleted = 0
        while records := await self._store.expiring_files(project_id, at, self._batch,
                                                          unattached_before=unattached_before,
                                                          every_file=every_file):
            for record in records:
                await self._objects.delete(key_of(record))  # absent already (a crash, another instance): fine
                if await self._store.delete_file(record.id):
                    deleted += 1
        return deleted

    # ---- projects that end ------------------------------------------------------------------

    async def _announce(self, now: datetime) -> None:
        """Give a deletion date to the projects archived before there were any (``delete_after`` None):
        a grace period from now, never from a past archive of which nobody was told."""
        at = stamp(now)
        for project in await self._store.list_projects_by_status("archived", limits.PROJECTS_PAGE_MAX):
            if project.delete_after is None:
                await self._store.transition_project(
                    project.id, "archived", "archived", project.status_reason, project.updated_at, [],
                    audit=system_entry(project.id, "project.schedule_deletion", at,
                                       after={"delete_after": stamp(now + timedelta(days=self._grace_days))},
                                       note="archived before deletion dates were announced: given one"),
                    changes={"archived_at": project.archived_at or project.updated_at,
                             "delete_after": stamp(now + timedelta(days=self._grace_days))})

    async def delete_project(self, project: Project) -> int:
        """Delete everything of an ended project but its audit trail; returns the documents deleted."""
        at = stamp(self._clock())
        pid = project.id
        if not await self._store.list_audit(pid, None, 1, action="project.delete"):  # once, resumed or not
            await self._store.append_audit(system_entry(
                pid, "project.delete", at, after={"archived_at": project.archived_at or project.updated_at,
                                                  "grace_days": self._grace_days},
                note="deleted after its grace period: only this audit trail is kept"))
        files = await self._delete_files(pid, at, every_file=True)
        documents = 0
        while n := await self._store.delete_project_batch(pid, limits.PROJECT_DELETE_BATCH):
            documents += n
        log.info("project %s deleted: %d files, %d documents", pid, files, documents)
        return documents
