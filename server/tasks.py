"""The lifespan's background tasks: owned, logged, surviving their own failures.

Each task repeats one job on a period. A job that raises is logged with
its traceback and tried again next period: a failed retention sweep or a
missed heartbeat must not silently end the loop for the process's life.
Cancellation (the lifespan closing) is the only way out, and ``aclose``
waits until every task has ended.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger("twinspace.tasks")

Job = Callable[[], Awaitable[None]]
Ran = Callable[[str, bool], None]  # (task name, ok): told after each run (server/metrics.py counts them)


class Background:
    def __init__(self, ran: Ran | None = None) -> None:
        self._tasks: set[asyncio.Task[None]] = set()
        self._ran = ran

    def every(self, name: str, period_secs: float, job: Job, *, first_now: bool = False) -> None:
        """Run ``job`` every ``period_secs`` (at once too, with ``first_now``) until :meth:`aclose`."""
        task = asyncio.create_task(self._repeat(name, period_secs, job, first_now, self._ran), name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @staticmethod
    async def _repeat(name: str, period_secs: float, job: Job, first_now: bool, ran: Ran | None) -> None:
        if not first_now:
            await asyncio.sleep(period_secs)
        while True:
            try:
                await job()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - logged; the next period tries again
                log.error("background task %s failed; trying again in %s s", name, period_secs, exc_info=exc)
                if ran is not None:
                    ran(name, False)
            else:
                if ran is not None:
                    ran(name, True)
            await asyncio.sleep(period_secs)

    @property
    def names(self) -> list[str]:
        return sorted(t.get_name() for t in self._tasks)

    async def aclose(self) -> None:
        """Cancel every task and wait until each has ended; safe to call more than once."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


SETTLE_SECS = 0.05  # an event read from a socket starts its handler on a later turn of the loop: look again


class InFlight:
    """The Socket.IO events being handled now, so that a graceful stop answers each before closing."""

    def __init__(self) -> None:
        self._count = 0
        self._idle = asyncio.Event()
        self._idle.set()

    def track(self) -> InFlight:
        """Around one event's handling, until its answer is returned (python-socketio queues the ack then):
        ``with in_flight.track():`` (a plain context manager, not a generator: one per event)."""
        return self

    def __enter__(self) -> None:
        self._count += 1
        self._idle.clear()

    def __exit__(self, *_: object) -> None:
        self._count -= 1
        if self._count == 0:
            self._idle.set()

    @property
    def count(self) -> int:
        return self._count

    async def settled(self, timeout_secs: float) -> bool:
        """Wait until no event is being handled (and none was about to start); False at the time limit."""
        try:
            async with asyncio.timeout(timeout_secs):
                while True:
                    await self._idle.wait()
                    await asyncio.sleep(SETTLE_SECS)
                    if self._count == 0:
                        return True
        except TimeoutError:
            return False
