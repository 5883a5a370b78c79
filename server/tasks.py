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


class Background:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def every(self, name: str, period_secs: float, job: Job, *, first_now: bool = False) -> None:
        """Run ``job`` every ``period_secs`` (at once too, with ``first_now``) until :meth:`aclose`."""
        task = asyncio.create_task(self._repeat(name, period_secs, job, first_now), name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @staticmethod
    async def _repeat(name: str, period_secs: float, job: Job, first_now: bool) -> None:
        if not first_now:
            await asyncio.sleep(period_secs)
        while True:
            try:
                await job()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - logged; the next period tries again
                log.error("background task %s failed; trying again in %s s", name, period_secs, exc_info=exc)
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
