"""The in-process :class:`rooms.ports.Sessions`: connections per person and revocations."""

from __future__ import annotations

import time

from storage.ephemeral.memory import MemorySessions


async def test_connections_are_counted_up_to_the_limit() -> None:
    sessions = MemorySessions()
    assert await sessions.open("u", "s1", 2) and await sessions.open("u", "s2", 2)
    assert not await sessions.open("u", "s3", 2)
    assert await sessions.open("v", "s4", 2)  # another person's count
    assert await sessions.sids_of("u") == ["s1", "s2"]
    await sessions.close("u", "s1")
    assert await sessions.open("u", "s3", 2)


async def test_a_revocation_refuses_the_tokens_issued_before_it() -> None:
    sessions = MemorySessions()
    now = time.time()
    await sessions.revoke("u", None, now, 60)
    assert await sessions.revoked("u", None, now - 5)
    assert await sessions.revoked("u", "any", None)  # no iat: cannot be told apart, refused
    assert not await sessions.revoked("u", None, now + 5)  # issued afterwards
    assert not await sessions.revoked("v", None, now - 5)
    await sessions.revoke("v", "j1", now, 60)
    assert await sessions.revoked("v", "j1", now + 5) and not await sessions.revoked("v", "j2", now - 5)
    await sessions.revoke("w", None, now, 0)  # expired at once
    assert not await sessions.revoked("w", None, now - 5)
