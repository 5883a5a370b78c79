"""Identifiers and timestamps made by the domain."""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime

RANDOM_POOL_BYTES = 4096  # the operating system's random bytes fetched at once: one call per ~400 ids

_pool = b""
_taken = 0
_pool_lock = threading.Lock()


def random_hex(nbytes: int) -> str:
    """``secrets.token_hex(nbytes)``, from the same source (``os.urandom``), fetched a pool at a time:
    a chat send makes two (its message's id, its request's), and each was a system call."""
    global _pool, _taken
    with _pool_lock:
        if _taken + nbytes > len(_pool):
            _pool, _taken = os.urandom(max(RANDOM_POOL_BYTES, nbytes)), 0
        chunk = _pool[_taken:_taken + nbytes]
        _taken += nbytes
    return chunk.hex()


def _forget_pool() -> None:
    """In a forked child: its own bytes, never the parent's (the same ids in both)."""
    global _pool, _taken
    _pool, _taken = b"", 0


os.register_at_fork(after_in_child=_forget_pool)


def new_id(prefix: str) -> str:
    """A random id such as ``prj_4f3a…``: 80 bits, URL-safe, self-describing."""
    return f"{prefix}_{random_hex(10)}"


def utcnow() -> str:
    """The current time as an ISO 8601 string in UTC, milliseconds precision."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
