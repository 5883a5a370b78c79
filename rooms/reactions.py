"""Reactions, pinned messages and the project's chat features.

A reaction is one of the few emoji the project offers (:class:`rooms.classroom_models.ChatFeatures`,
chosen by its teachers from :data:`rooms.limits.REACTIONS`), added or taken back by a member who may
write in the room: visitors never react (policy ``chat.react``), and a pupil who may not write now
(muted, a read-only room, outside chat hours: :func:`rooms.safeguarding.check_write`) may not react
either. Each change is pushed to the whole room, so reactions are rate-limited per person
(``--reaction-rate`` per ``--reaction-rate-window-secs``). A message carries its counts; who reacted
is asked for separately (``chat:reactions``), with names from the member list and, for visitors, no
pupil's id (:mod:`rooms.audience`). Taking back a reaction the project no longer offers is allowed.

Teachers pin a few messages per room (:data:`rooms.limits.PINS_PER_ROOM_MAX`: every ``room:join``
carries the room's pins); each pin and unpin is recorded in the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass

from rooms import audit, limits
from rooms.audience import for_role
from rooms.chat import as_seen
from rooms.chat_models import Message
from rooms.classroom_models import (
    ChatFeatures,
    ChatFeaturesIn,
    ChatPinIn,
    ChatReactIn,
    Person,
    ReactionList,
    ReactionPeople,
    ReactionsIn,
)
from rooms.clock import Clock, stamp, system_clock
from rooms.errors import InvalidRequest, NotFound
from rooms.models import Space, User
from rooms.ports import DocumentStore, RateLimiter
from rooms.projects import Access, ProjectService
from rooms.safeguarding import check_rate, check_write

_FEATURE_FIELDS = ("reactions", "seen_by")


@dataclass(frozen=True, kw_only=True)
class ReactionRules:
    """The reaction limits an operator may tune."""

    rate: int = limits.REACTION_RATE_DEFAULT
    rate_window_secs: float = limits.REACTION_RATE_WINDOW_SECS_DEFAULT


def rate_key(user_id: str) -> str:
    """The rate limiter's key of a person's reactions (forgotten when the person is erased)."""
    return f"react:{user_id}"


class ReactionService:
    def __init__(self, store: DocumentStore, projects: ProjectService, limiter: RateLimiter,
                 rules: ReactionRules = ReactionRules(), *, clock: Clock = system_clock) -> None:
        self._store = store
        self._projects = projects
        self._limiter = limiter
        self._rules = rules
        self._clock = clock

    async def _room(self, user: User, room_id: str, action: str) -> tuple[Space, Access]:
        return await self._projects.get_space(user, room_id, action, kind="chat")

    # ---- reactions --------------------------------------------------------------------------

    async def react(self, user: User, data: ChatReactIn) -> tuple[Message, bool]:
        """Add or take back a reaction: the message with its counts (as the reactor may see it: a hidden
        one without its text for a pupil), and whether they changed."""
        room, access = await self._room(user, data.room_id, "chat.react")
        now = self._clock()
        check_write(access, room, now)
        if data.on and data.emoji not in access.project.chat_features.reactions:
            raise InvalidRequest("chat.reaction_not_offered", emoji=data.emoji)
        await check_rate(self._limiter, rate_key(user.id), self._rules.rate, self._rules.rate_window_secs)
        done = await self._store.react(room.id, data.message_id, user.id, data.emoji, data.on, stamp(now))
        if done is None:
            raise NotFound("message.not_found")
        message, changed = done
        return as_seen([message], access)[0], changed

    async def who(self, user: User, data: ReactionsIn) -> ReactionList:
        """Who reacted to a message, per reaction in the order they came, as the asker may see them.
        Those who left the project since are counted but not named."""
        room, access = await self._room(user, data.room_id, "space.read")
        message = await self._store.get_message(room.id, data.message_id)
        if message is None:
            raise NotFound("message.not_found")
        reactions = await self._store.reactions_of(room.id, message.id)
        people: dict[str, list[Person]] = {}
        if reactions:
            members = {m.user_id: m for m in await self._store.list_members(room.project_id, limits.MEMBERS_PAGE_MAX)}
            for emoji, user_id in reactions:
                member = members.get(user_id)
                named = people.setdefault(emoji, [])
                if member is not None:
                    named.append(Person(user_id=user_id, name=member.display_name, role=member.role))
        result = ReactionList(room_id=room.id, message_id=message.id,
                              reactions=[ReactionPeople(emoji=e, people=p) for e, p in people.items()])
        return for_role(access.role, result)

    # ---- pins ----------------------------------------------------------------------------------

    async def pin(self, user: User, data: ChatPinIn) -> tuple[Message, bool]:
        """Pin or unpin a message (recorded); the message, and whether that changed anything."""
        room, access = await self._room(user, data.room_id, "chat.pin")
        message = await self._store.get_message(room.id, data.message_id)
        if message is None or message.deleted:
            raise NotFound("message.not_found")
        if message.pinned == data.pinned:
            return message, False
        at = stamp(self._clock())
        record = audit.entry(user, access, room.project_id, "message.pin" if data.pinned else "message.unpin",
                             "message", message.id, before={"pinned": message.pinned}, after={"pinned": data.pinned},
                             note=f"room {room.id}, seq {message.seq}, by {message.author_id}", at=at)
        updated = await self._store.pin_message(room.id, message.id, data.pinned, user.id, at,
                                                limits.PINS_PER_ROOM_MAX, audit=record)
        if updated is None:
            raise NotFound("message.not_found")
        return updated, updated.rev != message.rev

    # ---- the project's chat features ---------------------------------------------------------

    async def features(self, user: User, project_id: str) -> ChatFeatures:
        access = await self._projects.access(user, project_id)
        access.check("project.view")
        return access.project.chat_features

    async def members(self, project_id: str) -> list[str]:
        """Everyone to tell of a change of the chat features (one read of the member list)."""
        return [m.user_id for m in await self._store.list_members(project_id, limits.MEMBERS_PAGE_MAX)]

    async def set_features(self, user: User, data: ChatFeaturesIn) -> tuple[ChatFeatures, bool]:
        """Change what the project's chat offers (only the fields given); the features, and whether they
        changed (recorded in the audit log)."""
        access = await self._projects.access(user, data.project_id)
        access.check("project.chat_features")
        current = access.project.chat_features
        changes = {f: getattr(data, f) for f in _FEATURE_FIELDS if getattr(data, f) is not None}
        features = current.model_copy(update=changes)
        before, after = audit.changed(current, features, _FEATURE_FIELDS)
        if not after:  # already so: nothing to store or record
            return current, False
        record = audit.entry(user, access, data.project_id, "project.chat_features", "project", data.project_id,
                             before=before, after=after, at=stamp(self._clock()))
        project = await self._store.set_chat_features(data.project_id, features, audit=record)
        if project is None:
            raise NotFound("project.not_found")
        return project.chat_features, True
