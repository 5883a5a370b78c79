"""The per-connection context a Socket.IO handler receives."""

from __future__ import annotations

from dataclasses import dataclass

from rooms.models import User
from server.runtime import Runtime


@dataclass(frozen=True)
class Session:
    sid: str
    user: User
    runtime: Runtime
