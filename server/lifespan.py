"""The one lifecycle: open every backend at start, close each exactly once at shutdown."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import storage
from rooms.errors import TwinspaceError
from server import gc_tuning
from server.runtime import Runtime
from storage.ephemeral import open_ephemeral

log = logging.getLogger("twinspace")


def lifespan(runtime: Runtime):  # type: ignore[no-untyped-def]
    @asynccontextmanager
    async def run(_app: Any) -> AsyncIterator[None]:
        settings = runtime.settings
        async with AsyncExitStack() as stack:
            try:
                documents = await stack.enter_async_context(storage.open_documents(settings.documents_url))
                objects = await stack.enter_async_context(storage.open_objects(settings.objects_url))
            except TwinspaceError as exc:
                log.error("cannot start: the %s backend is unavailable: %s", exc.data.get("backend"),
                          exc.data.get("detail", exc.code))
                raise
            ephemeral = await stack.enter_async_context(open_ephemeral(settings.fanout_url))
            runtime.attach(documents, objects, ephemeral.presence, ephemeral.limiter, ephemeral.ping)
            stack.push_async_callback(runtime.fanout.aclose)
            if ephemeral.heartbeat is not None:
                beat = asyncio.create_task(_every(ephemeral.heartbeat_secs, ephemeral.heartbeat), name="presence")
                stack.push_async_callback(_stop, beat)
            stack.push_async_callback(_stop, asyncio.create_task(_retention_loop(runtime), name="retention"))
            stack.callback(runtime.detach)
            log.info("documents: %s; objects: %s; fan-out: %s", _safe(settings.documents_url),
                     _safe(settings.objects_url), _safe(settings.fanout_url))
            same = _same_settings(settings)
            gc_tuning.freeze_startup_objects()
            print(f"Twinspace is serving on {settings.public_url}", flush=True)
            if settings.demo:
                print(f"  demo page:  {settings.public_url}/demo   (pick a demo person and chat; --demo false "
                      "to turn it off)", flush=True)
            print(f"  try it:     twinspace seed-demo{same}   (a demo project, its users and their tokens)",
                  flush=True)
            print(f"  a token:    twinspace token --user ID --name NAME --role teacher{same}", flush=True)
            yield
        log.info("stopped; every backend closed")
    return run


def _same_settings(settings: Any) -> str:
    """The flags that make ``seed-demo`` and ``token`` use this server's data folder and address."""
    flags = ""
    if str(settings.data_dir) != "twinspace-data":
        flags += f" --data-dir {settings.data_dir}"
    if settings.port != 8000:
        flags += f" --port {settings.port}"
    return flags


def _safe(url: str) -> str:
    """A URL without its password, for logs."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@")
    return url


async def _retention_loop(runtime: Runtime) -> None:
    """Turn chat past its project's retention period into tombstones, now and then periodically."""
    while True:
        try:
            expired = await runtime.chat.enforce_retention()
            if expired:
                log.info("retention: %d chat messages expired", expired)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - try again next round; the log has the traceback
            log.error("retention sweep failed", exc_info=exc)
        await asyncio.sleep(runtime.settings.retention_sweep_secs)


async def _every(secs: float, job: Callable[[], Awaitable[None]]) -> None:
    """Run ``job`` every ``secs`` seconds until cancelled."""
    while True:
        await asyncio.sleep(secs)
        await job()


async def _stop(task: asyncio.Task[None]) -> None:
    """Cancel a background task the lifespan owns and wait until it has ended."""
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass
