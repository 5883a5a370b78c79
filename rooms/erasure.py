"""Erasure of one person from one project (the GDPR's right to erasure), in two steps.

1. ``request``: an admin of the project or a support officer (``member.erase``) asks; the answer
   says what will go (counts) and carries a confirmation, a random token valid
   ``limits.ERASURE_CONFIRM_SECS``. The store keeps only its SHA-256, with who asked and until
   when (:class:`rooms.privacy_models.ErasureState`): the token is bound to that requester and that
   person, and works on every instance. Asking again replaces it.
2. ``confirm``: the same requester sends it back before it expires. The membership goes at once
   with the erasure's state and its audit entry (``member.erase``, counts only), in one write:
   from then on every access check of the person fails (``project.not_found``,
   ``room.not_found``), on every instance, since each request reads the membership. Then, in
   batches of ``limits.ERASURE_BATCH``: their chat messages, threads and posts become tombstones
   (same ids and seqs, no text, no name, no files, author ``erased``), the mails they sent are
   emptied for every copy, their own copies deleted and their name dropped from mails they
   received, their files deleted from the object store and then their records, their snapshots
   in reports emptied (and, as reporter, their name and note), their read markers, remembered
   contact and rate-limit counters removed. Mutes lived on the membership.

Resumable: every batch picks what is still theirs, so running ``confirm`` again (with the same
confirmation, even once expired, or with a new one: a new request is allowed while an erasure
is unfinished) finishes an erasure cut off halfway. A finished erasure confirmed again answers
its summary. What others wrote stays, and audit entries keep ids only.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from rooms import limits
from rooms.audit import entry
from rooms.clock import Clock, parse, stamp, system_clock
from rooms.errors import Conflict, NotFound
from rooms.files import key_of
from rooms.models import User
from rooms.ports import DocumentStore, ObjectStore, RateLimiter
from rooms.privacy_models import ErasureDone, ErasureRequest, ErasureState, ErasureSummary, scrubbed_report
from rooms.projects import Access, ProjectService
from rooms.safeguarding import slow_key

_SCRUBBED_FIELDS = {"item", "context", "reported_id", "reporter_name", "note", "resolution"}


def _hash(confirmation: str) -> str:
    return hashlib.sha256(confirmation.encode()).hexdigest()


class ErasureService:
    def __init__(self, store: DocumentStore, objects: ObjectStore, projects: ProjectService, limiter: RateLimiter,
                 clock: Clock = system_clock) -> None:
        self._store = store
        self._objects = objects
        self._projects = projects
        self._limiter = limiter
        self._clock = clock

    async def _access(self, user: User, project_id: str) -> Access:
        access = await self._projects.access(user, project_id)
        access.check("member.erase")
        return access

    async def request(self, user: User, project_id: str, user_id: str) -> ErasureRequest:
        await self._access(user, project_id)
        state = await self._store.get_erasure(project_id, user_id)
        unfinished = state is not None and state.started_at is not None and state.finished_at is None
        if not unfinished and await self._store.get_member(project_id, user_id) is None:
            raise NotFound("member.not_found")
        confirmation = secrets.token_urlsafe(24)
        expires_at = stamp(self._clock() + timedelta(seconds=limits.ERASURE_CONFIRM_SECS))
        summary = await self.summary(project_id, user_id)
        started_at = state.started_at if unfinished and state is not None else None
        await self._store.save_erasure(ErasureState(
            project_id=project_id, user_id=user_id, requested_by=user.id, confirmation_hash=_hash(confirmation),
            expires_at=expires_at, started_at=started_at,
            summary=state.summary if unfinished and state is not None else summary))
        return ErasureRequest(project_id=project_id, user_id=user_id, confirmation=confirmation,
                              expires_at=expires_at, summary=summary)

    async def summary(self, project_id: str, user_id: str) -> ErasureSummary:
        """What of theirs is still there (reports: those that hold something of theirs)."""
        counts = await self._store.count_person(project_id, user_id)
        reports = 0
        before: int | None = None
        while True:
            rows = await self._store.list_reports(project_id, None, before, limits.ERASURE_BATCH)
            reports += sum(1 for r, _ in rows if scrubbed_report(r, user_id) is not None)
            if len(rows) < limits.ERASURE_BATCH:
                break
            before = rows[-1][1]
        return counts.model_copy(update={"reports": reports})

    async def confirm(self, user: User, project_id: str, user_id: str, confirmation: str) -> ErasureDone:
        access = await self._access(user, project_id)
        state = await self._store.get_erasure(project_id, user_id)
        if (state is None or state.requested_by != user.id
                or not hmac.compare_digest(state.confirmation_hash, _hash(confirmation))):
            raise Conflict("erasure.not_confirmed")
        if state.finished_at is not None:
            return ErasureDone(project_id=project_id, user_id=user_id, summary=state.summary)
        now = stamp(self._clock())
        if state.started_at is None:
            if parse(state.expires_at) <= self._clock():
                raise Conflict("erasure.expired", expires_at=state.expires_at)
            state = state.model_copy(update={"started_at": now, "summary": await self.summary(project_id, user_id)})
            audit = entry(user, access, project_id, "member.erase", "member", user_id,
                          after=state.summary.model_dump())
            await self._store.begin_erasure(state, audit)
        else:
            await self._store.begin_erasure(state)  # a retry: the membership may still be there
        await self._erase(project_id, user_id, now)
        state = state.model_copy(update={"finished_at": stamp(self._clock())})
        await self._store.save_erasure(state)
        return ErasureDone(project_id=project_id, user_id=user_id, summary=state.summary)

    async def _erase(self, project_id: str, user_id: str, at: str) -> None:
        store, batch = self._store, limits.ERASURE_BATCH
        for step in (store.erase_messages, store.erase_threads, store.erase_posts, store.erase_mails,
                     store.erase_reactions):
            while await step(project_id, user_id, at, batch):
                pass
        while await store.erase_mail_copies(project_id, user_id, batch):
            pass
        while await store.erase_votes(project_id, user_id, at, batch):  # their poll choices (counts follow)
            pass
        while records := await store.files_of(project_id, user_id, "", batch):
            for record in records:  # the bytes first: a retry finds the record and deletes both
                await self._objects.delete(key_of(record))
                await store.delete_file(record.id)
        await self._scrub_reports(project_id, user_id)
        await store.forget_person(project_id, user_id)
        spaces = await store.list_spaces(project_id, ("members", "teachers", "visitors"))
        keys = [f"chat:{user_id}", f"chat-edit:{user_id}", f"forum:{user_id}", f"mail:{user_id}", f"report:{user_id}",
                f"react:{user_id}"]
        keys += [k for s in spaces for k in (slow_key(s, user_id), f"typing:{s.id}:{user_id}")]
        for key in keys:
            await self._limiter.forget(key)

    async def _scrub_reports(self, project_id: str, user_id: str) -> None:
        before: int | None = None
        while True:
            rows = await self._store.list_reports(project_id, None, before, limits.ERASURE_BATCH)
            for report, _ in rows:
                for _attempt in range(3):  # a moderator may change its state meanwhile: read it again
                    scrubbed = scrubbed_report(report, user_id)
                    if scrubbed is None:
                        break
                    # Plain JSON values: what every store can write as it is (a list of models is not).
                    changes = scrubbed.model_dump(mode="json", include=_SCRUBBED_FIELDS)
                    if await self._store.update_report(report.id, report.state, changes) is not None:
                        break
                    fresh = await self._store.get_report(report.id)
                    if fresh is None:
                        break
                    report = fresh
            if len(rows) < limits.ERASURE_BATCH:
                return
            before = rows[-1][1]
