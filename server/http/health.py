"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import JSONResponse

from rooms.errors import TwinspaceError
from server.runtime import Runtime

PROBE_TIMEOUT_SECS = 2.0  # a backend slower than this is as good as down for a load balancer


async def healthz(_: Request) -> JSONResponse:
    """The process is alive and serving HTTP."""
    return JSONResponse({"status": "ok"})


def readyz(runtime: Runtime):  # type: ignore[no-untyped-def]
    async def probe(_: Request) -> JSONResponse:
        """Each configured backend answers."""
        checks: dict[str, str] = {}
        for name, backend in (("documents", runtime.documents), ("objects", runtime.objects)):
            if backend is None:
                checks[name] = "closed"
                continue
            try:
                await asyncio.wait_for(backend.ping(), PROBE_TIMEOUT_SECS)
                checks[name] = "ok"
            except (TwinspaceError, TimeoutError, OSError):
                checks[name] = "unavailable"
        try:
            if runtime.fanout_ping is None:
                raise TimeoutError
            await asyncio.wait_for(runtime.fanout_ping(), PROBE_TIMEOUT_SECS)
            checks["fanout"] = "ok"
        except (TwinspaceError, TimeoutError, OSError):
            checks["fanout"] = "unavailable"
        ready = all(v == "ok" for v in checks.values())
        return JSONResponse({"status": "ready" if ready else "unavailable", "checks": checks},
                            status_code=200 if ready else 503)
    return probe
