"""Identifiers and timestamps made by the domain."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime


def new_id(prefix: str) -> str:
    """A random id such as ``prj_4f3a…``: 80 bits, URL-safe, self-describing."""
    return f"{prefix}_{secrets.token_hex(10)}"


def utcnow() -> str:
    """The current time as an ISO 8601 string in UTC, milliseconds precision."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
