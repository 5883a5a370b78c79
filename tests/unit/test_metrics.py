"""server/metrics.py on its own: each app its own registry, the proxies over the ports, the listener."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any, cast

import pytest
from prometheus_client.parser import text_string_to_metric_families

from rooms.errors import NotFound, Unavailable
from rooms.ports import DocumentStore, ObjectStore
from server.metrics import (
    DOCUMENT_METHODS,
    LIMITS,
    Metrics,
    counting_refusals,
    timed_documents,
    timed_objects,
)
from server.observe import Finished
from server.realtime.pubsub import SeqOrder
from server.tasks import Background
from storage.ephemeral.memory import MemoryRateLimiter


def read(metrics: Metrics, name: str, **labels: str) -> float:
    text = metrics.exposition(None)[0].decode()
    found = [s.value for f in text_string_to_metric_families(text) for s in f.samples
             if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())]
    assert len(found) <= 1, found
    return found[0] if found else 0.0


def report(kind: str, name: str, outcome: str = "ok", secs: float = 0.002) -> Finished:
    return Finished(kind, name, outcome, secs, "0" * 16, "u_pupil")  # type: ignore[arg-type]


def test_each_app_has_series_of_its_own() -> None:
    one, two = Metrics(), Metrics()
    one.finished(report("event", "chat:send"))
    assert read(one, "twinspace_events_total", event="chat:send", outcome="ok") == 1
    assert read(two, "twinspace_events_total", event="chat:send", outcome="ok") == 0


def test_answers_are_counted_by_outcome_and_timed_by_name() -> None:
    metrics = Metrics()
    for outcome in ("ok", "ok", "chat.muted"):
        metrics.finished(report("event", "chat:send", outcome, 0.003))
    metrics.finished(report("route", "GET /api/v1/projects/{project_id}", "project.not_found", 0.2))
    assert read(metrics, "twinspace_events_total", event="chat:send", outcome="ok") == 2
    assert read(metrics, "twinspace_events_total", event="chat:send", outcome="chat.muted") == 1
    assert read(metrics, "twinspace_event_seconds_count", event="chat:send") == 3
    assert read(metrics, "twinspace_event_seconds_bucket", event="chat:send", le="0.005") == 3
    route = "GET /api/v1/projects/{project_id}"
    assert read(metrics, "twinspace_http_requests_total", route=route, outcome="project.not_found") == 1
    assert read(metrics, "twinspace_http_request_seconds_bucket", route=route, le="0.1") == 0
    assert read(metrics, "twinspace_http_request_seconds_bucket", route=route, le="0.25") == 1
    assert "u_pupil" not in metrics.exposition(None)[0].decode()  # the report's user id is no label


class FakeStore:
    def __init__(self) -> None:
        self.calls = 0

    async def get_project(self, project_id: str) -> str:
        self.calls += 1
        if project_id == "missing":
            raise NotFound("project.not_found")
        if project_id == "down":
            raise Unavailable("backend.unavailable", backend="documents")
        return project_id

    async def get(self, key: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        if key == "broken":
            raise Unavailable("backend.unavailable", backend="objects")
        yield b"a"
        yield b"b"

    async def not_a_port_method(self) -> str:
        return "passed through"


async def test_the_store_proxy_times_port_methods_and_counts_their_errors() -> None:
    metrics, inner = Metrics(), FakeStore()
    store: Any = timed_documents(cast(DocumentStore, inner), metrics)
    assert await store.get_project("p1") == "p1"
    assert store.get_project is store.get_project  # wrapped once, then found on the proxy itself
    for bad, error in (("missing", NotFound), ("down", Unavailable)):
        with pytest.raises(error):
            await store.get_project(bad)
    assert await store.not_a_port_method() == "passed through"
    assert inner.calls == 3
    labels = {"store": "documents", "method": "get_project"}
    assert read(metrics, "twinspace_store_seconds_count", **labels, outcome="ok") == 1
    assert read(metrics, "twinspace_store_errors_total", **labels, outcome="project.not_found") == 1
    assert read(metrics, "twinspace_store_errors_total", **labels, outcome="backend.unavailable") == 1
    assert read(metrics, "twinspace_store_seconds_count", **labels, outcome="backend.unavailable") == 1
    assert "not_a_port_method" not in metrics.exposition(None)[0].decode()
    assert "append_message" in DOCUMENT_METHODS


async def test_a_stream_is_timed_to_its_first_chunk_and_its_errors_counted() -> None:
    metrics = Metrics()
    objects: Any = timed_objects(cast(ObjectStore, FakeStore()), metrics)
    assert [c async for c in objects.get("k")] == [b"a", b"b"]
    with pytest.raises(Unavailable):
        [c async for c in objects.get("broken")]
    labels = {"store": "objects", "method": "get"}
    assert read(metrics, "twinspace_store_seconds_count", **labels, outcome="ok") == 1
    assert read(metrics, "twinspace_store_errors_total", **labels, outcome="backend.unavailable") == 1


async def test_rate_limit_refusals_are_counted_by_limit_not_by_person() -> None:
    metrics = Metrics()
    limiter = counting_refusals(MemoryRateLimiter(), metrics)
    for key in ("chat:u1", "chat-edit:u1", "react:u1", "slow:spc_1:u1", "mention-notice:u1:spc_1", "new:u1"):
        assert await limiter.hit(key, 1, 60) == 0
        assert await limiter.hit(key, 1, 60) > 0
    await limiter.refund("chat:u1")
    assert await limiter.hit("chat:u1", 1, 60) == 0
    metrics.refused("connection_rate")
    for limit, count in (("chat", 1), ("edit", 1), ("reaction", 1), ("slow_mode", 1), ("other", 1),
                         ("connection_rate", 1), ("mail", 0)):
        assert read(metrics, "twinspace_rate_limited_total", limit=limit) == count, limit
    text = metrics.exposition(None)[0].decode()
    assert "u1" not in text and "spc_1" not in text and "mention" not in text
    assert set(LIMITS) >= {"chat", "chat-edit", "react", "forum", "mail", "report", "slow"}


async def test_background_runs_are_counted_by_task_and_outcome() -> None:
    metrics = Metrics()
    runs: list[int] = []
    third = asyncio.Event()

    async def job() -> None:
        runs.append(1)
        if len(runs) == 3:
            third.set()
        if len(runs) == 1:
            raise RuntimeError("the store said no")

    background = Background(metrics.task_ran)
    background.every("sweep", 0.001, job, first_now=True)
    await asyncio.wait_for(third.wait(), 5)
    await background.aclose()
    assert read(metrics, "twinspace_task_runs_total", task="sweep", outcome="failed") == 1
    assert read(metrics, "twinspace_task_runs_total", task="sweep", outcome="ok") >= 2


def test_sockets_and_rooms_are_read_from_the_manager_when_scraped() -> None:
    class Manager:
        rooms: dict[str, dict[Any, dict[str, str]]] = {"/": {
            None: {"s1": "e1", "s2": "e2"}, "s1": {"s1": "e1"}, "s2": {"s2": "e2"}, "user:u1": {"s1": "e1"},
            "room:spc_1": {"s1": "e1", "s2": "e2"}, "guests:spc_1": {"s2": "e2"}, "guests:spc_2": {"s2": "e2"},
            "room:spc_3": {}}}

    metrics = Metrics()
    metrics.watch_sockets(Manager())
    assert read(metrics, "twinspace_connected_sockets") == 2
    assert read(metrics, "twinspace_rooms_with_members") == 2  # spc_1 (members and guests), spc_2


def test_the_listener_silence_is_read_when_scraped() -> None:
    metrics = Metrics()
    assert read(metrics, "twinspace_fanout_listener_silence_seconds") == 0
    heard: list[float | None] = [None]
    metrics.watch_listener(lambda: heard[0])
    assert read(metrics, "twinspace_fanout_listener_silence_seconds") == 0
    heard[0] = time.monotonic() - 5
    assert 5 <= read(metrics, "twinspace_fanout_listener_silence_seconds") < 60


def test_the_seq_orders_held_and_expired_pushes_are_read_when_scraped() -> None:
    metrics = Metrics()
    assert read(metrics, "twinspace_fanout_held_total") == 0  # without Redis: none, and the series is there
    clock = [0.0]
    order: SeqOrder[str] = SeqOrder(hold_secs=0.1, clock=lambda: clock[0])
    metrics.watch_seq_order(lambda: order.held, lambda: order.expired)
    assert order.offer("room", 1, "one") == (True, [])
    assert order.offer("room", 3, "three") == (False, [])  # 2 has not come: held
    assert order.offer("room", 5, "five") == (False, [])
    assert read(metrics, "twinspace_fanout_held_total") == 2
    assert order.offer("room", 2, "two") == (True, ["three"])
    clock[0] = 1.0
    assert order.expired_items() == ["five"]  # 4 never came
    assert read(metrics, "twinspace_fanout_held_total") == 2
    assert read(metrics, "twinspace_fanout_held_expired_total") == 1


def test_openmetrics_when_the_scraper_asks_for_it() -> None:
    body, content_type = Metrics().exposition("application/openmetrics-text; version=1.0.0")
    assert content_type.startswith("application/openmetrics-text")
    assert body.endswith(b"# EOF\n")
