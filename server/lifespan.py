"""The one lifecycle: open every backend at start, close each exactly once at shutdown."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import Any

import socketio

import storage
from rooms import languages, limits
from rooms.errors import TwinspaceError
from server import gc_tuning
from server.actions.polls import changed
from server.actions.reports import escalated_now
from server.channels import room_channel
from server.metrics import Metrics, counting_refusals, timed_documents, timed_objects
from server.realtime.fanout import Fanout
from server.services import Opened, Services
from server.settings import Settings
from server.tasks import Background
from storage.ephemeral import open_ephemeral
from storage.ephemeral.redis import RedisPresence
from storage.notify import open_notifier

log = logging.getLogger("twinspace")


def lifespan(settings: Settings, opened: Opened, sio: socketio.AsyncServer, fanout: Fanout,
             metrics: Metrics | None = None) -> Callable[[Any], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def run(_app: Any) -> AsyncIterator[None]:
        # Closed in reverse: Socket.IO first (its disconnects still reach the stores), then the
        # background tasks, the pushes still waiting, the services, and the backends last.
        async with AsyncExitStack() as stack:
            for lang in languages.LANGUAGES:  # read now: a missing catalogue stops the start, not an error's answer
                languages.catalogue(lang)
            try:
                documents = await stack.enter_async_context(storage.open_documents(settings.documents_url))
                objects = await stack.enter_async_context(storage.open_objects(settings.objects_url))
            except TwinspaceError as exc:
                log.error("cannot start: the %s backend is unavailable: %s", exc.data.get("backend"),
                          exc.data.get("detail", exc.code))
                raise
            ephemeral = await stack.enter_async_context(open_ephemeral(settings.fanout_url))
            limiter = ephemeral.limiter
            if metrics is not None:  # every store call timed, every rate-limit refusal counted (server/metrics.py)
                documents, objects = timed_documents(documents, metrics), timed_objects(objects, metrics)
                limiter = counting_refusals(limiter, metrics)
            services = Services.build(settings, documents, objects, ephemeral.presence, limiter,
                                      ephemeral.ping, notifier=open_notifier(settings.smtp_url, settings.mail_from),
                                      sessions=ephemeral.sessions)
            opened.open(services)
            stack.callback(opened.close)
            stack.push_async_callback(fanout.aclose)
            background = Background(metrics.task_ran if metrics is not None else None)
            stack.push_async_callback(background.aclose)
            if not sio.manager_initialized:  # python-socketio would at the first connection: the listener
                sio.manager_initialized = True  # of the other instances' pushes runs from the start, for /readyz
                sio.manager.initialize()
            if isinstance(ephemeral.presence, RedisPresence):  # restored presence: only rooms still heard
                ephemeral.presence.hearing = lambda room_id: {
                    sid for sid, _ in sio.manager.get_participants("/", room_channel(room_id))}
            if ephemeral.heartbeat is not None:
                background.every("presence", ephemeral.heartbeat_secs, ephemeral.heartbeat)
            background.every("retention", settings.retention_sweep_secs, _retention(services), first_now=True)
            background.every("escalation", settings.report_escalate_sweep_secs, escalation(services, fanout),
                             first_now=True)
            background.every("polls", limits.POLL_CLOSE_SWEEP_SECS, polls_closing(services, fanout), first_now=True)
            stack.push_async_callback(sio.shutdown)
            log.info("documents: %s; objects: %s; fan-out: %s", _safe(settings.documents_url),
                     _safe(settings.objects_url), _safe(settings.fanout_url))
            same = _same_settings(settings)
            gc_tuning.freeze_startup_objects()
            if settings.log_format == "json":  # a pipeline reads stdout and stderr together: JSON lines only
                log.info("Twinspace is serving on %s%s", settings.public_url,
                         f" (demo page: {settings.public_url}/demo)" if settings.demo else "")
            else:
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


def _same_settings(settings: Settings) -> str:
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


def _retention(services: Services) -> Callable[[], Any]:
    async def sweep() -> None:
        """Remove what is past its project's retention periods; delete the projects past their grace period.

        Several instances may run it at once, and a sweep cut off halfway is finished by the next one
        (rooms/retention.py); it reads ``services.clock``.
        """
        swept = await services.retention.sweep()
        if swept:
            log.info("retention: %d chat messages expired, %d forum posts, %d threads, %d mails, %d files deleted; "
                     "%d projects deleted", swept.messages, swept.posts, swept.threads, swept.mails, swept.files,
                     len(swept.projects_deleted))
    return sweep


def escalation(services: Services, fanout: Fanout) -> Callable[[], Any]:
    async def sweep() -> None:
        """Send the reports left open too long (or serious and not sent yet) to the support officers."""
        pushes = await escalated_now(services)
        if pushes:
            log.info("escalation: %d report(s) sent to the support officers", len(pushes))
            await fanout.deliver(pushes)
    return sweep


def polls_closing(services: Services, fanout: Fanout) -> Callable[[], Any]:
    async def sweep() -> None:
        """Close the polls whose time has come and tell their rooms (each poll once, whichever instance)."""
        closed = await services.polls.close_due()
        if closed:
            log.info("polls: %d closed on time", len(closed))
            await fanout.deliver([changed(m) for m in closed])
    return sweep
