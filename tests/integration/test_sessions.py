"""A socket is held to its token while it is open: expiry, revocation by the portal, connections per person."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.test_scale_out import shared_redis_url
from tests.support.clients import CALL_TIMEOUT_SECS, Realtime, realtime, refused, until
from tests.support.redis import RedisServer
from tests.support.server import ServerProcess

ADMIN = "an-administration-token-of-32-bytes-or-more"
GRACE_SECS = 5  # server/realtime/sessions.py EXPIRY_GRACE_SECS


def ended(rt: Realtime) -> list[Any]:
    """Record the ``session:ended`` pushes ``rt`` receives."""
    seen: list[Any] = []

    async def record(data: Any) -> None:
        seen.append(data)
    rt.sio.on("session:ended", handler=record)
    return seen


async def test_a_socket_is_refused_then_ended_once_its_token_expires(
        make_server: Callable[..., ServerProcess]) -> None:
    server = make_server("--jwt-leeway-secs", "0").start()
    token = server.token(f"u-{uuid.uuid4().hex[:8]}", "teacher", ttl=timedelta(seconds=2))
    exp = int(time.time()) + 2
    async with realtime(server, token) as rt:
        told = ended(rt)
        assert (await rt.call("me:get", {}))["ok"]
        await until(lambda: time.time() > exp + 0.2, timeout=5)
        ack = await rt.call("me:get", {})
        assert ack["ok"] is False and ack["error"]["code"] == "auth.expired"
        await until(lambda: not rt.sio.connected, timeout=GRACE_SECS + CALL_TIMEOUT_SECS)
        assert [t["code"] for t in told] == ["auth.expired"]
    assert (await refused(server, {"token": token}))["data"]["code"] == "auth.expired"


@pytest.mark.parametrize("where", ["redis", "cluster"])
async def test_connections_per_person_are_capped_across_instances(
        make_server: Callable[..., ServerProcess], request: pytest.FixtureRequest, tmp_path: Path, where: str) -> None:
    data = tmp_path / "shared"
    flags = ("--fanout-url", shared_redis_url(request, where), "--max-connections-per-user", "3")
    a = make_server(*flags, data_dir=data).start()
    b = make_server(*flags, data_dir=data).start()
    token = a.token(f"u-{uuid.uuid4().hex[:8]}", "pupil")
    async with realtime(a, token) as first, realtime(a, token), realtime(b, token):
        refusal = (await refused(b, {"token": token}))["data"]
        assert refusal["code"] == "auth.too_many_connections" and "3" in refusal["message"]
        await first.sio.disconnect()

        async def admitted() -> None:
            async with realtime(b, token) as again:
                assert (await again.call("me:get", {}))["ok"]
        await asyncio.wait_for(admitted(), CALL_TIMEOUT_SECS)


async def test_a_revocation_through_one_instance_ends_the_sockets_on_the_other(
        make_server: Callable[..., ServerProcess], redis_server: RedisServer, tmp_path: Path) -> None:
    data = tmp_path / "shared"
    flags = ("--fanout-url", redis_server.url, "--admin-token", ADMIN)
    a = make_server(*flags, data_dir=data).start()
    b = make_server(*flags, data_dir=data).start()
    pupil, other = f"p-{uuid.uuid4().hex[:8]}", f"t-{uuid.uuid4().hex[:8]}"
    token = a.token(pupil, "pupil")
    async with httpx.AsyncClient(base_url=a.url, timeout=CALL_TIMEOUT_SECS) as http:
        body = {"user_id": pupil}
        assert (await http.post("/api/v1/sessions/revoke", json=body)).json()["error"]["code"] == "auth.missing"
        wrong = await http.post("/api/v1/sessions/revoke", json=body, headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "auth.admin_required"
        async with realtime(b, token) as on_b, realtime(a, token) as on_a, realtime(b, a.token(other, "teacher")) as bystander:
            told = ended(on_b)
            assert (await on_b.call("me:get", {}))["ok"]
            answer = await http.post("/api/v1/sessions/revoke", json=body,
                                     headers={"Authorization": f"Bearer {ADMIN}"})
            assert answer.status_code == 200, answer.text
            revoked_at = time.time()
            assert answer.json()["disconnected"] == 2
            await until(lambda: not on_b.sio.connected and not on_a.sio.connected)
            assert [t["code"] for t in told] == ["auth.revoked"]
            assert (await bystander.call("me:get", {}))["ok"]  # someone else's socket stays
        for server in (a, b):
            assert (await refused(server, {"token": token}))["data"]["code"] == "auth.revoked"
        # A token the portal issues after the revocation works.
        await until(lambda: int(time.time()) > revoked_at, timeout=3)  # iat has whole seconds
        async with realtime(b, a.token(pupil, "pupil")) as fresh:
            assert (await fresh.call("me:get", {}))["ok"]
