"""Typed models of a project's safeguarding rules: what they are, as stored with the project.

The rules are shared state: they live in the project's, the space's and the
member's documents, which every chat event reads already, so each instance
decides on what is stored now, never on a cached copy.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, StringConstraints, field_validator, model_validator

from rooms import limits
from rooms.model_base import Model

WordFilterMode = Literal["off", "block", "flag"]  # flag: sent, and reported to the project's teachers
MailPolicy = Literal["teachers_only", "supervised"]  # what pupils may mail; see rooms/mail.py
_HHMM = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")

HourMinute = Annotated[str, StringConstraints(pattern=_HHMM.pattern)]
FilterWord = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2,
                                              max_length=limits.FILTER_WORD_MAX_CHARS)]


class ChatHours(Model):
    """When pupils may write in chat, in the project's time zone; teachers always may.

    ``days`` are ISO weekdays (1 Monday ... 7 Sunday); ``start`` is inclusive and
    ``end`` exclusive, both "HH:MM" with ``start`` before ``end``.
    """

    timezone: str
    days: list[Annotated[int, Field(ge=1, le=7)]] = Field(min_length=1, max_length=7)
    start: HourMinute
    end: HourMinute

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value[:60]!r} (use an IANA name such as Europe/Paris)") from None
        return value

    @field_validator("days")
    @classmethod
    def _distinct_days(cls, value: list[int]) -> list[int]:
        if len(set(value)) != len(value):
            raise ValueError("days must be distinct")
        return sorted(value)

    @model_validator(mode="after")
    def _ordered(self) -> ChatHours:
        if self.start >= self.end:
            raise ValueError("start must be before end")
        return self


class Safeguarding(Model):
    """A project's safeguarding settings, stored in the project's document."""

    chat_hours: ChatHours | None = None  # None: pupils may write at any time
    word_filter: WordFilterMode = "flag"
    custom_words: list[FilterWord] = Field(default=[], max_length=limits.FILTER_WORDS_MAX)  # the teachers' own
    # Words of the shipped lists this project does not filter (everyday words some lists hold, e.g. "bosser").
    allowed_words: list[FilterWord] = Field(default=[], max_length=limits.FILTER_WORDS_MAX)
    mail_policy: MailPolicy = "supervised"


class Mute(Model):
    """A member may read but not write until ``until``, in one room or (``room_id`` None) the whole project."""

    room_id: str | None = None
    until: str
    by: str
