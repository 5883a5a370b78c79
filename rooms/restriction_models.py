"""Typed models of the restrictions: who may write now, mutes, room rules, hiding; the event payloads.

The rules themselves are stored with the project, the space and the member
(:mod:`rooms.safeguarding_models`); :mod:`rooms.safeguarding` decides on them.
"""

from __future__ import annotations

from pydantic import Field

from rooms import limits
from rooms.models import Model
from rooms.safeguarding_models import ChatHours, FilterWord, MailPolicy, Mute, Safeguarding, WordFilterMode


class WriteState(Model):
    """What a member may do in a room now, for the screen: "muted until", "announcements only",
    "slow mode", "closed until".

    ``reason`` is the error code a send would get now (``chat.muted``, ``chat.read_only``,
    ``chat.closed_hours``, ``permission.denied``, ...), null when they may write. Slow mode does
    not stop writing: it spaces a pupil's messages by ``slow_mode_secs`` (0 for staff, who
    are never slowed).
    """

    can_write: bool
    reason: str | None = None
    until: str | None = None  # chat.muted: when the mute ends (ISO 8601, UTC)
    opens_at: str | None = None  # chat.closed_hours: the next opening (ISO 8601, the project's time zone)
    slow_mode_secs: int = 0
    read_only: bool = False


class MuteBodyIn(Model):
    """Mute a pupil for ``minutes``, in one chat room or forum (``room_id``) or the whole project."""

    minutes: int = Field(ge=1, le=limits.MUTE_MAX_MINUTES)
    room_id: str | None = None


class MuteIn(MuteBodyIn):
    project_id: str
    user_id: str


class UnmuteIn(Model):
    """End a pupil's mute in one room (``room_id``), or their project-wide mute (no ``room_id``)."""

    project_id: str
    user_id: str
    room_id: str | None = None


class MuteState(Model):
    """A member's mutes in force."""

    project_id: str
    user_id: str
    mutes: list[Mute]


class RulesBodyIn(Model):
    """A room's rules; a field left out (or null) stays as it is. Slow mode applies to chat rooms."""

    read_only: bool | None = None
    slow_mode_secs: int | None = Field(default=None, ge=0, le=limits.SLOW_MODE_MAX_SECS)


class RoomConfigureIn(RulesBodyIn):
    room_id: str


class SafeguardingRef(Model):
    project_id: str


class SafeguardBodyIn(Model):
    """A partial change of the safeguarding settings: only the fields given change.

    ``chat_hours: null`` turns chat hours off (pupils may write at any time).
    """

    chat_hours: ChatHours | None = None
    word_filter: WordFilterMode | None = None
    custom_words: list[FilterWord] | None = Field(default=None, max_length=limits.FILTER_WORDS_MAX)
    allowed_words: list[FilterWord] | None = Field(default=None, max_length=limits.FILTER_WORDS_MAX)
    mail_policy: MailPolicy | None = None


class SafeguardIn(SafeguardBodyIn):
    project_id: str


class ProjectSafeguarding(Safeguarding):
    """A project's new safeguarding settings, as pushed to its members (who may be in several projects)."""

    project_id: str


class ChatHideIn(Model):
    """Hide a chat message from the members (``hidden: false`` shows it again)."""

    room_id: str
    message_id: str
    hidden: bool


class PostHideIn(Model):
    """Hide a forum post from the members (``hidden: false`` shows it again)."""

    post_id: str
    hidden: bool
