"""Opaque page cursors: the position of the last item a client saw, as a URL-safe string."""

from __future__ import annotations

import base64
import binascii

from rooms.errors import InvalidRequest


def encode(*position: int) -> str:
    return base64.urlsafe_b64encode(":".join(map(str, position)).encode()).decode().rstrip("=")


def decode(cursor: str, size: int) -> tuple[int, ...]:
    """The position in a cursor made by :func:`encode` with ``size`` numbers; ``request.invalid`` otherwise."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        position = tuple(int(p) for p in raw.split(":"))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        position = ()
    if len(position) != size or not all(0 <= p < 2**63 for p in position):  # a store keeps 64-bit numbers
        raise InvalidRequest("request.invalid", detail="cursor: not a cursor this server gave")
    return position
