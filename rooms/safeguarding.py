"""Who may write now: the one place that decides, and the moderation rules teachers set.

A pupil is refused, in this order, when:

- a mute is in force for them, project-wide or in this room (``chat.muted`` {until});
- the room is read-only, an announcement room (``chat.read_only``);
- it is outside the project's chat hours, in its time zone (``chat.closed_hours``
  {opens_at}; chat rooms only: forums stay open);
- they sent a message in this chat room less than its ``slow_mode_secs`` ago
  (``chat.slow_mode`` {retry_after_secs}).

Teachers and admins always may. Mutes and read-only rooms hold in forums too.
A muted pupil may still send mail: mail only reaches the project's members
under its mail policy, and a pupil who is being bullied, or who was muted
by mistake, must still be able to ask a teacher for help.

Every decision reads only what one space access read returns (the space,
its project, the member's own document) and, for slow mode, the shared rate
limiter; no decision is cached. A mute made through one instance therefore
holds on every instance from the next send on.
"""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from rooms import audit, limits
from rooms.clock import Clock, stamp, system_clock
from rooms.errors import Forbidden, InvalidRequest, NotFound, RateLimited, TwinspaceError
from rooms.models import Member, Project, Space, User
from rooms.ports import DocumentStore, RateLimiter
from rooms.projects import Access, ProjectService
from rooms.restriction_models import MuteIn, MuteState, RoomConfigureIn, SafeguardIn, UnmuteIn, WriteState
from rooms.safeguarding_models import ChatHours, Mute, Safeguarding

_SAFEGUARDING_FIELDS = ("chat_hours", "word_filter", "custom_words", "allowed_words", "mail_policy")
_RULE_FIELDS = ("read_only", "slow_mode_secs")


# ---- the decision ---------------------------------------------------------------------


def mutes_in_force(member: Member | None, now: datetime) -> list[Mute]:
    """The member's mutes that have not ended (an ended one is ignored, and dropped at the next mute write)."""
    if member is None:
        return []
    at = stamp(now)
    return [m for m in member.mutes if m.until > at]


def mute_for(member: Member | None, room_id: str, now: datetime) -> Mute | None:
    """The mute that holds in ``room_id`` now (the project-wide one or this room's; the later to end)."""
    holding = [m for m in mutes_in_force(member, now) if m.room_id in (None, room_id)]
    return max(holding, key=lambda m: m.until) if holding else None


def is_open(hours: ChatHours, now: datetime) -> bool:
    """Whether ``now`` is inside the chat hours, in their time zone."""
    local = now.astimezone(ZoneInfo(hours.timezone))
    return local.isoweekday() in hours.days and hours.start <= local.strftime("%H:%M") < hours.end


def next_opening(hours: ChatHours, now: datetime) -> datetime:
    """The next time the chat opens after ``now`` (aware, in the hours' time zone)."""
    zone = ZoneInfo(hours.timezone)
    local = now.astimezone(zone)
    start = time.fromisoformat(hours.start)
    for offset in range(8):  # a week on, the first opening day comes round again
        day: date = local.date() + timedelta(days=offset)
        if day.isoweekday() in hours.days:
            opening = datetime.combine(day, start, tzinfo=zone)
            if opening > local:
                return opening
    raise AssertionError("chat hours name at least one day")  # pragma: no cover - validated


def _zone_of(project: Project) -> ZoneInfo:
    hours = project.safeguarding.chat_hours
    return ZoneInfo(hours.timezone if hours is not None else "UTC")


def readable_time(moment: str, project: Project) -> str:
    """A stored time as people read it, in the project's time zone: ``2026-12-01 15:30 (Europe/Paris)``."""
    zone = _zone_of(project)
    local = datetime.fromisoformat(moment.replace("Z", "+00:00")).astimezone(zone)
    return f"{local:%Y-%m-%d %H:%M} ({zone.key})"


def refusal(access: Access, space: Space, now: datetime) -> TwinspaceError | None:
    """Why ``access`` may not write in ``space`` now, regardless of slow mode; None when they may.

    Only for someone the policy lets write there (``space.write``): staff are never refused here.
    """
    if access.is_staff:
        return None
    mute = mute_for(access.member, space.id, now)
    if mute is not None:
        return Forbidden("chat.muted", until=readable_time(mute.until, access.project), ends_at=mute.until)
    if space.read_only:
        return Forbidden("chat.read_only")
    hours = access.project.safeguarding.chat_hours
    if space.kind == "chat" and hours is not None and not is_open(hours, now):
        return Forbidden("chat.closed_hours", opens_at=next_opening(hours, now).isoformat(timespec="minutes"))
    return None


def check_write(access: Access, space: Space, now: datetime) -> None:
    """Raise the refusal of :func:`refusal`, if any (typing, edits, forum posts: no slow mode)."""
    refused = refusal(access, space, now)
    if refused is not None:
        raise refused


async def check_rate(limiter: RateLimiter, key: str, limit: int, window_secs: float) -> None:
    """Count one write under ``key``; ``rate.limited`` (with when to retry) past ``limit`` per window."""
    wait = await limiter.hit(key, limit, window_secs)
    if wait > 0:
        raise RateLimited("rate.limited", retry_after_secs=max(1, math.ceil(wait)))


def slow_key(space: Space, user_id: str) -> str:
    return f"slow:{space.id}:{user_id}"


async def admit_send(access: Access, space: Space, now: datetime, limiter: RateLimiter) -> str | None:
    """Check a chat send: :func:`check_write`, then slow mode.

    Returns the rate limiter key the send was counted under (None when not counted): the
    caller refunds it when the message is not stored after all, so that only stored
    messages count.
    """
    check_write(access, space, now)
    if access.is_staff or space.slow_mode_secs <= 0:
        return None
    key = slow_key(space, access.user_id)
    wait = await limiter.hit(key, 1, space.slow_mode_secs)
    if wait > 0:
        raise RateLimited("chat.slow_mode", retry_after_secs=max(1, math.ceil(wait)))
    return key


def write_state(access: Access, space: Space, now: datetime) -> WriteState:
    """What the member may do in ``space`` now, for ``room:join``'s answer."""
    slow = 0 if access.is_staff else space.slow_mode_secs
    try:
        access.check("space.write", space.visibility)
    except Forbidden as exc:
        return WriteState(can_write=False, reason=exc.code, slow_mode_secs=slow, read_only=space.read_only)
    refused = refusal(access, space, now)
    if refused is None:
        return WriteState(can_write=True, slow_mode_secs=slow, read_only=space.read_only)
    return WriteState(can_write=False, reason=refused.code, until=refused.data.get("ends_at"),
                      opens_at=refused.data.get("opens_at"), slow_mode_secs=slow, read_only=space.read_only)


def for_viewer(rules: Safeguarding, access: Access) -> Safeguarding:
    """The settings as this member may see them: the teachers' own words only for staff and support."""
    if access.is_staff or access.role == "support":
        return rules
    return rules.model_copy(update={"custom_words": [], "allowed_words": []})


# ---- the moderation rules teachers set ------------------------------------------------------


class SafeguardingService:
    """Mutes, room rules and a project's safeguarding settings: each change audited in its write."""

    def __init__(self, store: DocumentStore, projects: ProjectService, clock: Clock = system_clock) -> None:
        self._store = store
        self._projects = projects
        self._clock = clock

    async def _target(self, user: User, project_id: str, user_id: str) -> tuple[Access, Member]:
        access = await self._projects.access(user, project_id)
        access.check("member.mute")
        target = await self._store.get_member(project_id, user_id)
        if target is None:
            raise NotFound("member.not_found")
        if target.role != "pupil":
            raise InvalidRequest("member.not_mutable")
        return access, target

    async def _room_of(self, project_id: str, room_id: str | None) -> None:
        if room_id is None:
            return
        space = await self._store.get_space(room_id)
        if space is None or space.project_id != project_id:
            raise NotFound("room.not_found")

    async def mute(self, user: User, data: MuteIn) -> MuteState:
        access, target = await self._target(user, data.project_id, data.user_id)
        await self._room_of(data.project_id, data.room_id)
        now = self._clock()
        until = stamp(now + timedelta(minutes=data.minutes))
        kept = [m for m in mutes_in_force(target, now) if m.room_id != data.room_id]
        mutes = [*kept, Mute(room_id=data.room_id, until=until, by=user.id)]
        return await self._set(user, access, target, mutes, "member.mute")

    async def unmute(self, user: User, data: UnmuteIn) -> MuteState:
        access, target = await self._target(user, data.project_id, data.user_id)
        now = self._clock()
        mutes = [m for m in mutes_in_force(target, now) if m.room_id != data.room_id]
        if mutes == mutes_in_force(target, now):  # nothing to end: nothing to write or record
            return MuteState(project_id=target.project_id, user_id=target.user_id, mutes=mutes)
        return await self._set(user, access, target, mutes, "member.unmute")

    async def _set(self, user: User, access: Access, target: Member, mutes: list[Mute], action: str) -> MuteState:
        record = audit.entry(user, access, target.project_id, action, "member", target.user_id,
                             before={"mutes": [m.model_dump(mode="json") for m in target.mutes]},
                             after={"mutes": [m.model_dump(mode="json") for m in mutes]}, at=stamp(self._clock()))
        updated = await self._store.set_mutes(target.project_id, target.user_id, mutes, audit=record)
        if updated is None:
            raise NotFound("member.not_found")
        return MuteState(project_id=updated.project_id, user_id=updated.user_id, mutes=updated.mutes)

    async def configure(self, user: User, data: RoomConfigureIn) -> Space:
        """Make a room read-only (announcements) or set its slow mode."""
        space, access = await self._projects.get_space(user, data.room_id, "space.configure")
        changes = {f: getattr(data, f) for f in _RULE_FIELDS if getattr(data, f) is not None}
        if not changes:
            raise InvalidRequest("request.invalid", detail="read_only, slow_mode_secs: give at least one")
        before, after = audit.changed(space, space.model_copy(update=changes), _RULE_FIELDS)
        if not after:  # the rules are already so: nothing to store or record
            return space
        record = audit.entry(user, access, space.project_id, "space.configure", "space", space.id,
                             before=before, after=after, at=stamp(self._clock()))
        updated = await self._store.update_space(space.id, changes, audit=record)
        if updated is None:
            raise NotFound("room.not_found")
        return updated

    async def settings(self, user: User, project_id: str) -> Safeguarding:
        access = await self._projects.access(user, project_id)
        access.check("project.view")
        return for_viewer(access.project.safeguarding, access)

    async def safeguard(self, user: User, data: SafeguardIn) -> Safeguarding:
        """Change the settings (only the fields given); the new settings, as staff see them."""
        access = await self._projects.access(user, data.project_id)
        access.check("project.safeguard")
        given = {f: getattr(data, f) for f in _SAFEGUARDING_FIELDS if f in data.model_fields_set}
        changes = {f: v for f, v in given.items() if v is not None or f == "chat_hours"}
        for words in ("custom_words", "allowed_words"):
            if words in changes:
                changes[words] = list(dict.fromkeys(changes[words]))
        current = access.project.safeguarding
        rules = Safeguarding.model_validate({**current.model_dump(), **{
            k: (v.model_dump() if hasattr(v, "model_dump") else v) for k, v in changes.items()}})
        before, after = audit.changed(current, rules, _SAFEGUARDING_FIELDS)
        if not before and not after:  # the settings are already so: nothing to store or record
            return current
        record = audit.entry(user, access, data.project_id, "project.safeguard", "project", data.project_id,
                             before=before, after=after, at=stamp(self._clock()))
        project = await self._store.set_safeguarding(data.project_id, rules, audit=record)
        if project is None:
            raise NotFound("project.not_found")
        return project.safeguarding

    async def audience(self, project_id: str) -> tuple[list[str], list[str]]:
        """The members to tell of a settings change: (staff, who see everything; the others)."""
        members = await self._store.list_members(project_id, limits.MEMBERS_PAGE_MAX)
        staff = [m.user_id for m in members if m.role in ("admin", "teacher")]
        return staff, [m.user_id for m in members if m.role not in ("admin", "teacher")]
