"""The lifespan's background tasks: a failing run is logged and the next period runs again."""

from __future__ import annotations

import asyncio
import logging

import pytest

from server.tasks import Background


async def test_a_task_that_fails_is_logged_and_runs_again(caplog: pytest.LogCaptureFixture) -> None:
    runs: list[int] = []
    third = asyncio.Event()

    async def job() -> None:
        runs.append(len(runs))
        if len(runs) == 3:
            third.set()
        if len(runs) < 3:
            raise RuntimeError("the store said no")

    background = Background()
    with caplog.at_level(logging.ERROR, logger="twinspace.tasks"):
        background.every("flaky", 0.001, job, first_now=True)
        await asyncio.wait_for(third.wait(), 5)
    assert [r.exc_info[0] for r in caplog.records if r.exc_info] == [RuntimeError, RuntimeError]
    assert "flaky" in caplog.records[0].getMessage()
    assert background.names == ["flaky"]
    await background.aclose()
    assert background.names == []


async def test_aclose_cancels_and_waits_and_may_be_called_twice() -> None:
    started, stopped = asyncio.Event(), asyncio.Event()

    async def job() -> None:
        started.set()
        try:
            await asyncio.sleep(3600)
        finally:
            stopped.set()

    background = Background()
    background.every("long", 3600, job, first_now=True)
    await asyncio.wait_for(started.wait(), 5)
    await background.aclose()
    assert stopped.is_set()
    await background.aclose()


async def test_without_first_now_the_first_run_waits_a_period() -> None:
    ran = asyncio.Event()

    async def job() -> None:
        ran.set()

    background = Background()
    background.every("later", 0.05, job)
    assert not ran.is_set()
    await asyncio.wait_for(ran.wait(), 5)
    await background.aclose()
