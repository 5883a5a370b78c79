"""Time, injected: chat hours, slow mode, mutes, escalation deadlines read a clock passed in.

Tests set the time instead of waiting; the server runs on :func:`system_clock`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]  # returns an aware datetime


def system_clock() -> datetime:
    return datetime.now(UTC)


def stamp(moment: datetime) -> str:
    """``moment`` as the domain writes times: ISO 8601 in UTC, milliseconds (see ``rooms.ids.utcnow``)."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse(text: str) -> datetime:
    """A time written by :func:`stamp` back as an aware datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
