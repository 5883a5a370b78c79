"""Typed models of the classroom chat features: reactions, pins, polls, "seen by", mentions, the
change feed, and the project's choice of them (:class:`ChatFeatures`).

The models that hold a message (the answers of a vote, a mention, a page of changes) are in
:mod:`rooms.chat_models`, next to ``Message``.

A message carries its own state of each (``Message.reactions``, ``pinned``, ``poll``, ``mentions``);
every change to it takes the room's next ``rev`` (docs/protocol.md, "Changes"), so that a client
that was away receives the current state of every message changed since the ``rev`` it last saw.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, NamedTuple

from pydantic import Field, StringConstraints, field_validator, model_validator

from rooms import limits
from rooms.model_base import Model

Emoji = Annotated[str, StringConstraints(min_length=1, max_length=16)]
Rev = Annotated[int, Field(ge=0)]
SeenBy = Literal["names_to_staff", "names_to_members", "counts_only", "off"]


class ChatFeatures(Model):
    """What a project's chat offers, chosen by its teachers.

    ``reactions``: the reactions offered, from the fixed set :data:`rooms.limits.REACTIONS` (none: no
    reactions). ``seen_by``: everyone who reads a room sees how many have read each message, and
    staff see who (``names_to_staff``, the default); pupils see who too (``names_to_members``); nobody
    sees who (``counts_only``); or no counts at all (``off``). Visitors never see who.
    """

    reactions: list[Emoji] = list(limits.REACTIONS_DEFAULT)
    seen_by: SeenBy = "names_to_staff"


class ChatFeaturesIn(Model):
    """Change a project's chat features; what is left out stays as it is."""

    project_id: str
    reactions: list[Emoji] | None = Field(default=None, max_length=len(limits.REACTIONS))
    seen_by: SeenBy | None = None

    @field_validator("reactions")
    @classmethod
    def _offered(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        unknown = [e for e in value if e not in limits.REACTIONS]
        if unknown:
            raise ValueError(f"not in the reactions a project may offer ({' '.join(limits.REACTIONS)})")
        return list(dict.fromkeys(value))


class ProjectChatFeatures(ChatFeatures):
    """Pushed to a project's members when its teachers change its chat features."""

    project_id: str


# ---- people as a room's features show them ------------------------------------------------------

class Person(Model):
    """Someone as an audience sees them (``rooms.audience``): visitors get no pupil's ``user_id``."""

    user_id: str | None
    name: str
    role: str | None = None


# ---- reactions ----------------------------------------------------------------------------------

class ReactionCount(Model):
    emoji: str
    count: int


class ChatReactIn(Model):
    """Add (``on`` true) or take back one's reaction ``emoji`` on a message."""

    room_id: str
    message_id: str
    emoji: Emoji
    on: bool = True


class ReactionsIn(Model):
    """Who reacted to a message."""

    room_id: str
    message_id: str


class ReactionPeople(Model):
    emoji: str
    people: list[Person]


class ReactionList(Model):
    """Who reacted to a message, per reaction, in the order they reacted."""

    room_id: str
    message_id: str
    reactions: list[ReactionPeople]


# ---- pins ---------------------------------------------------------------------------------------

class ChatPinIn(Model):
    room_id: str
    message_id: str
    pinned: bool = True


# ---- polls --------------------------------------------------------------------------------------

PollQuestion = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                                max_length=limits.POLL_QUESTION_MAX_CHARS)]
PollOptionText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                                  max_length=limits.POLL_OPTION_MAX_CHARS)]


class PollOption(Model):
    text: str
    votes: int = 0


class Poll(Model):
    """A poll, as a message carries it: the question is also the message's ``text``.

    ``voters`` is how many people voted; each option's ``votes`` how many chose it (with
    ``multiple`` one person may choose several). ``closed`` once a teacher closed it or
    ``closes_at`` passed; votes are refused from then on.
    """

    question: str
    options: list[PollOption]
    multiple: bool = False
    anonymous: bool = False
    closes_at: str | None = None
    closed: bool = False
    closed_at: str | None = None
    voters: int = 0


class ChatPollCreateIn(Model):
    room_id: str
    client_id: Annotated[str, StringConstraints(min_length=1, max_length=limits.CLIENT_ID_MAX_CHARS,
                                                pattern=r"^[A-Za-z0-9_.:-]+$")]
    question: PollQuestion
    options: list[PollOptionText] = Field(min_length=limits.POLL_OPTIONS_MIN, max_length=limits.POLL_OPTIONS_MAX)
    multiple: bool = False
    anonymous: bool = False
    closes_at: datetime | None = None  # ISO 8601 with a time zone; at most POLL_OPEN_DAYS_MAX days ahead

    @model_validator(mode="after")
    def _distinct(self) -> ChatPollCreateIn:
        if len({o.casefold() for o in self.options}) != len(self.options):
            raise ValueError("options: each option must be different")
        if self.closes_at is not None and self.closes_at.tzinfo is None:
            raise ValueError("closes_at: give a time zone (for example 2026-12-02T15:00:00+01:00)")
        return self


class ChatPollVoteIn(Model):
    """Vote with the indexes of the chosen options (one, unless the poll is ``multiple``); voting again
    replaces one's vote until the poll closes; an empty list takes one's vote back."""

    room_id: str
    message_id: str
    choices: list[Annotated[int, Field(ge=0, lt=limits.POLL_OPTIONS_MAX)]] = Field(
        max_length=limits.POLL_OPTIONS_MAX)


class ChatPollRefIn(Model):
    room_id: str
    message_id: str


class PollOptionVoters(Model):
    index: int
    people: list[Person]


class PollVoters(Model):
    """Who chose each option of a poll that is not anonymous (staff only)."""

    room_id: str
    message_id: str
    options: list[PollOptionVoters]


# ---- seen by ------------------------------------------------------------------------------------

class Written(NamedTuple):
    """What a seen count needs of a message, without decoding it (``ChatStore.latest_written``)."""

    seq: int
    author_id: str
    deleted: bool


class SeenCount(Model):
    seq: int
    seen: int  # members other than the author whose read marker reached this message


class SeenCounts(Model):
    """How many have read each of a room's latest messages (pushed as ``chat:seen``, batched)."""

    room_id: str
    counts: list[SeenCount]


class SeenByIn(Model):
    room_id: str
    message_id: str


class SeenByList(Model):
    """Who has read a message (its author left out), as the asker may see them."""

    room_id: str
    message_id: str
    seen: int
    readers: list[Person]


# ---- mentions -----------------------------------------------------------------------------------

class Mentioned(Model):
    """A member a message mentions by name (``@name``), as an audience sees them."""

    user_id: str | None
    name: str
    role: str | None = None


# ---- the change feed ----------------------------------------------------------------------------

class Mine(Model):
    """The asker's own marks on the messages of a page: their reactions and their poll choices."""

    reactions: dict[str, list[str]] = {}  # message id -> emojis
    votes: dict[str, list[int]] = {}  # message id -> chosen option indexes


class ChatChangesIn(Model):
    room_id: str
    after_rev: Rev
    limit: int = Field(default=limits.CHANGES_PAGE_MAX, ge=1, le=limits.CHANGES_PAGE_MAX)
