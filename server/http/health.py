"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse

from rooms.errors import TwinspaceError
from server.realtime.pubsub import listener_ready
from server.services import Opened

# "fanout_listener": this instance hears the pushes of the others (subscribed to the Redis channel);
# a PING answering is not enough, the listener reconnects on its own after an outage.
CHECKS = ("documents", "objects", "fanout", "fanout_listener")
PROBE_TIMEOUT_SECS = 2.0  # a backend slower than this is as good as down for a load balancer


async def healthz(_: Request) -> JSONResponse:
    """The process is alive and serving HTTP."""
    return JSONResponse({"status": "ok"})


def readyz(opened: Opened) -> Callable[[Request], Awaitable[JSONResponse]]:
    async def probe(request: Request) -> JSONResponse:
        """Each configured backend answers, and pushes from the other instances arrive."""
        if not opened.is_open:
            return JSONResponse({"status": "unavailable", "checks": dict.fromkeys(CHECKS, "closed")},
                                status_code=503)
        services = opened.get()
        checks: dict[str, str] = {}
        for name, ping in zip(CHECKS, (services.documents.ping, services.objects.ping, services.fanout_ping)):
            try:
                await asyncio.wait_for(ping(), PROBE_TIMEOUT_SECS)
                checks[name] = "ok"
            except (TwinspaceError, TimeoutError, OSError):
                checks[name] = "unavailable"
        sio = getattr(request.app.state, "sio", None)
        checks["fanout_listener"] = "ok" if sio is None or listener_ready(sio.manager) else "unavailable"
        ready = all(v == "ok" for v in checks.values())
        return JSONResponse({"status": "ready" if ready else "unavailable", "checks": checks},
                            status_code=200 if ready else 503)
    return probe
