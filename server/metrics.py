"""Every metric the server exposes at ``GET /metrics``, in one place, on the official ``prometheus-client``.

One :class:`Metrics` per app, on a :class:`~prometheus_client.CollectorRegistry` of its own (never
the library's global default): each instance, and each app a test starts in one process, has its
own series. Prometheus tells instances apart by the target it scrapes (its ``instance`` label);
no series here carries a host name. What feeds it:

- answered events and routes: :meth:`Metrics.finished` listens on the app's observer
  (``server/observe.py``), one report per answer; ``name`` is an event of the event table or a
  route template (``GET /api/v1/projects/{project_id}``), never a concrete path;
- the stores: :func:`timed` wraps the opened document and object stores (``server/lifespan.py``)
  in one proxy that times every port method;
- rate limits: :func:`counting_refusals` wraps the rate limiter, and the connection budgets
  (``server/realtime/events.py``) report their own refusals;
- fan-out publishes (``server/realtime/fanout.py``), the Redis listener's reconnects and silence
  (``server/realtime/managers.py``), background task runs (``server/tasks.py``); connected sockets
  and rooms with members are read from python-socketio's manager when scraped.

No label holds personal data: label values come from fixed tables (events, routes, error codes,
port methods, limit names, task names, push names), never from a request's ids or text.
"""

from __future__ import annotations

import hmac
import inspect
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from typing import Any, TypeVar, cast

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response

from rooms.errors import TwinspaceError, Unauthenticated
from rooms.ports import DocumentStore, ObjectStore, RateLimiter
from server.http.routing import error_response
from server.observe import Finished

log = logging.getLogger("twinspace.metrics")

# Seconds from a request's arrival to its answer: chat sends take a few ms; 250 ms is the p99 a
# send should stay under (bench/README.md), a few seconds is a backend timing out.
ANSWER_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# One store call: SQLite point reads take tens of µs, a grouped commit a few ms, MongoDB and S3 a
# network round trip; the 2 s end is the backends' own time-outs.
STORE_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)

# The rate limiter's key prefixes (``rooms/``: ``chat:<user_id>`` ...) -> the limit's name in the
# ``limit`` label. A key whose prefix is not here is counted as ``other``; the mention notices'
# once-an-hour key is no refusal of anyone's request and is not counted.
LIMITS: Mapping[str, str | None] = {
    "chat": "chat",  # chat messages and polls per person
    "chat-edit": "edit",
    "react": "reaction",
    "forum": "forum",
    "mail": "mail",
    "report": "report",
    "slow": "slow_mode",  # a room's slow mode
    "typing": "typing",  # typing pushes throttled
    "mention-notice": None,
}
CONNECTION_LIMITS = ("connection_in_flight", "connection_rate")  # server/realtime/events.py Budgets

DOCUMENT_METHODS = frozenset(n for n in dir(DocumentStore) if not n.startswith("_"))
OBJECT_METHODS = frozenset(n for n in dir(ObjectStore) if not n.startswith("_"))

T = TypeVar("T")


class Metrics:
    """The app's series and the one registry they live in."""

    def __init__(self) -> None:
        self.registry = registry = CollectorRegistry(auto_describe=True)
        # The process's own (process_*: CPU, resident memory, open files; python_gc_*; python_info), as
        # the library's default registry has them.
        ProcessCollector(registry=registry)
        PlatformCollector(registry=registry)
        GCCollector(registry=registry)
        self.sockets = Gauge("twinspace_connected_sockets", "Socket.IO connections open on this instance.",
                             registry=registry)
        self.rooms = Gauge("twinspace_rooms_with_members",
                           "Chat rooms with at least one connection joined on this instance.", registry=registry)
        self.events = Counter("twinspace_events", "Socket.IO events answered, by event and outcome "
                              "(ok or the error code).", ["event", "outcome"], registry=registry)
        self.event_seconds = Histogram("twinspace_event_seconds", "Seconds from an event's arrival to its ack.",
                                       ["event"], buckets=ANSWER_BUCKETS, registry=registry)
        self.routes = Counter("twinspace_http_requests", "REST requests answered, by route template and outcome "
                              "(ok or the error code).", ["route", "outcome"], registry=registry)
        self.route_seconds = Histogram("twinspace_http_request_seconds",
                                       "Seconds from a REST request's arrival to its answer.", ["route"],
                                       buckets=ANSWER_BUCKETS, registry=registry)
        self.store_seconds = Histogram("twinspace_store_seconds", "Seconds per store call, by store "
                                       "(documents, objects), port method and outcome (ok or the error code).",
                                       ["store", "method", "outcome"], buckets=STORE_BUCKETS, registry=registry)
        self.store_errors = Counter("twinspace_store_errors", "Store calls that raised, by store, port method "
                                    "and outcome (the error code; unexpected: not one of rooms/errors.py).",
                                    ["store", "method", "outcome"], registry=registry)
        self.published = Counter("twinspace_fanout_publishes", "Pushes handed to the fan-out (in-process, or "
                                 "published to Redis for every instance), by push event.", ["event"],
                                 registry=registry)
        self.listener_reconnects = Counter("twinspace_fanout_listener_reconnects",
                                           "Times the Redis pub/sub listener subscribed again after losing Redis.",
                                           registry=registry)
        self.listener_silence = Gauge("twinspace_fanout_listener_silence_seconds",
                                      "Seconds since the Redis pub/sub listener last heard Redis (a message or "
                                      "the answer to its ping, every 2 s when idle); 0 without Redis.",
                                      registry=registry)
        self.hosted_channels = Gauge("twinspace_fanout_hosted_channels",
                                     "Redis channels this instance listens on with --fanout-pubsub rooms or sharded "
                                     "(one per Socket.IO room it hosts: chat rooms, people, connections).",
                                     registry=registry)
        self.received = _Read("twinspace_fanout_received",
                              "Pub/sub messages Redis delivered to this instance's listener (by room, only those "
                              "of the rooms it hosts and the shared control channel).", registry)
        self.held = _Read("twinspace_fanout_held",
                          "chat:message pushes from Redis held for an earlier seq of their room, so that this "
                          "instance's members hear the room in seq order (at most 100 ms each).", registry)
        self.held_expired = _Read("twinspace_fanout_held_expired",
                                  "Held pushes let go before the earlier seq came (after 100 ms, or over the "
                                  "cap): a gap this instance's members fill by seq.", registry)
        self.task_runs = Counter("twinspace_task_runs", "Background task runs, by task and outcome (ok, failed).",
                                 ["task", "outcome"], registry=registry)
        self.refusals = Counter("twinspace_rate_limited", "Requests refused by a rate limit, by limit.",
                                ["limit"], registry=registry)
        self._events: dict[tuple[str, str], Any] = {}  # (event or route, outcome) -> its counter's child
        self._seconds: dict[tuple[str, str], Any] = {}
        self._published: dict[str, Any] = {}
        self._limits = {name: self.refusals.labels(name) for name in {*CONNECTION_LIMITS, "other",
                                                                     *(n for n in LIMITS.values() if n)}}

    # ---- answered requests (server/observe.py) ------------------------------

    def finished(self, report: Finished) -> None:
        """One answered event or route: counted by outcome, its time observed. Quick; never raises."""
        key = (report.name, report.outcome)
        counter = self._events.get(key)
        if counter is None:
            family = self.events if report.kind == "event" else self.routes
            counter = self._events[key] = family.labels(report.name, report.outcome)
        counter.inc()
        seconds = self._seconds.get((report.kind, report.name))
        if seconds is None:
            histogram = self.event_seconds if report.kind == "event" else self.route_seconds
            seconds = self._seconds[(report.kind, report.name)] = histogram.labels(report.name)
        seconds.observe(report.secs)

    # ---- the rest -----------------------------------------------------------

    def publish(self, event: str) -> None:
        counter = self._published.get(event)
        if counter is None:
            counter = self._published[event] = self.published.labels(event)
        counter.inc()

    def refused(self, limit: str) -> None:
        """A request refused by ``limit`` (a name of :data:`LIMITS` or :data:`CONNECTION_LIMITS`)."""
        self._limits.get(limit, self._limits["other"]).inc()

    def task_ran(self, task: str, ok: bool) -> None:
        self.task_runs.labels(task, "ok" if ok else "failed").inc()

    def watch_sockets(self, manager: Any) -> None:
        """Read the connections and the rooms from python-socketio's client manager when scraped."""

        def sockets() -> float:
            return len(manager.rooms.get("/", {}).get(None, ()))

        def rooms() -> float:
            channels = manager.rooms.get("/", {})
            return len({name.partition(":")[2] for name, sids in list(channels.items())
                        if isinstance(name, str) and name.startswith(("room:", "guests:")) and sids})

        self.sockets.set_function(sockets)
        self.rooms.set_function(rooms)

    def watch_listener(self, heard_at: Callable[[], float | None]) -> None:
        """The Redis listener's silence from ``heard_at`` (a ``time.monotonic()``, None: no listener)."""

        def silence() -> float:
            at = heard_at()
            return 0.0 if at is None else max(0.0, time.monotonic() - at)

        self.listener_silence.set_function(silence)

    def watch_seq_order(self, held: Callable[[], int], expired: Callable[[], int]) -> None:
        """The Redis listener's seq order: pushes it held, and those let go unfilled (server/realtime/pubsub.py)."""
        self.held.read = held
        self.held_expired.read = expired

    def watch_room_fanout(self, received: Callable[[], int], hosted: Callable[[], int]) -> None:
        """The by-room fan-out's messages received and channels hosted (server/realtime/pubsub.py)."""
        self.received.read = received
        self.hosted_channels.set_function(hosted)

    def exposition(self, accept: str | None) -> tuple[bytes, str]:
        """The registry in the format the scraper asked for (OpenMetrics or the text format), and its type."""
        encoder, content_type = choose_encoder(accept or "")
        return encoder(self.registry), content_type


class _Read(Collector):
    """A counter kept elsewhere (a plain attribute on the hot path), read when scraped."""

    def __init__(self, name: str, documentation: str, registry: CollectorRegistry) -> None:
        self.name, self.documentation = name, documentation
        self.read: Callable[[], int] = lambda: 0
        registry.register(self)

    def collect(self) -> Iterator[Metric]:
        yield CounterMetricFamily(self.name, self.documentation, value=self.read())


# ---- the stores, timed ------------------------------------------------------


class _Timed:
    """A store whose port methods are each timed; everything else is the store's own.

    A method is wrapped on its first use and kept on this object, so later calls find it
    directly: per call, one ``perf_counter`` pair and one histogram observe.
    """

    def __init__(self, inner: object, store: str, methods: frozenset[str], metrics: Metrics) -> None:
        self._inner, self._store, self._methods, self._metrics = inner, store, methods, metrics

    def __getattr__(self, name: str) -> Any:
        if name in ("_inner", "_store", "_methods", "_metrics"):  # not set yet (a copy being made)
            raise AttributeError(name)
        target = getattr(self._inner, name)
        if name not in self._methods or not callable(target):
            return target
        if inspect.isasyncgenfunction(target):
            wrapped: Any = self._stream(name, target)
        elif inspect.iscoroutinefunction(target):
            wrapped = self._call(name, target)
        else:
            return target
        setattr(self, name, wrapped)
        return wrapped

    def _failed(self, name: str, exc: BaseException, secs: float) -> None:
        code = exc.code if isinstance(exc, TwinspaceError) else "unexpected"
        self._metrics.store_seconds.labels(self._store, name, code).observe(secs)
        self._metrics.store_errors.labels(self._store, name, code).inc()

    def _call(self, name: str, method: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        ok = self._metrics.store_seconds.labels(self._store, name, "ok")
        clock = time.perf_counter

        async def call(*args: Any, **kwargs: Any) -> Any:
            started = clock()
            try:
                result = await method(*args, **kwargs)
            except Exception as exc:
                self._failed(name, exc, clock() - started)
                raise
            ok.observe(clock() - started)
            return result

        return call

    def _stream(self, name: str, method: Callable[..., AsyncIterator[Any]]) -> Callable[..., AsyncIterator[Any]]:
        """A stream (an object's bytes) is timed to its first chunk: the rest goes at the reader's pace."""
        ok = self._metrics.store_seconds.labels(self._store, name, "ok")
        clock = time.perf_counter

        async def stream(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
            started = clock()
            first = True
            try:
                async for chunk in method(*args, **kwargs):
                    if first:
                        ok.observe(clock() - started)
                        first = False
                    yield chunk
            except Exception as exc:
                self._failed(name, exc, clock() - started)
                raise
            if first:  # an empty stream
                ok.observe(clock() - started)

        return stream


def timed_documents(store: DocumentStore, metrics: Metrics) -> DocumentStore:
    """``store`` with every ``DocumentStore`` method timed in ``twinspace_store_seconds{store="documents"}``."""
    return cast(DocumentStore, _Timed(store, "documents", DOCUMENT_METHODS, metrics))


def timed_objects(store: ObjectStore, metrics: Metrics) -> ObjectStore:
    """``store`` with every ``ObjectStore`` method timed in ``twinspace_store_seconds{store="objects"}``."""
    return cast(ObjectStore, _Timed(store, "objects", OBJECT_METHODS, metrics))


class _CountingRefusals:
    """A rate limiter that counts the hits it refuses, by the limit their key belongs to."""

    def __init__(self, inner: RateLimiter, metrics: Metrics) -> None:
        self._inner, self._metrics = inner, metrics
        self.refund, self.forget = inner.refund, inner.forget

    async def hit(self, key: str, limit: int, window_secs: float) -> float:
        wait = await self._inner.hit(key, limit, window_secs)
        if wait > 0:
            name = LIMITS.get(key.partition(":")[0], "other")
            if name is not None:
                self._metrics.refused(name)
        return wait


def counting_refusals(limiter: RateLimiter, metrics: Metrics) -> RateLimiter:
    """``limiter``, its refusals counted in ``twinspace_rate_limited_total{limit}``."""
    return cast(RateLimiter, _CountingRefusals(limiter, metrics))


# ---- GET /metrics -------------------------------------------------------------

PATH = "/metrics"


def endpoint(metrics: Metrics, token: str) -> Callable[[Request], Awaitable[Response]]:
    """``GET /metrics``, for whoever sends ``token`` as ``Authorization: Bearer`` (``--metrics-token``).

    Without the header, or with another token: 401 ``auth.missing`` (``auth.malformed`` for
    another scheme than Bearer), with the usual error body.
    """
    expected = token.encode()

    async def scrape(request: Request) -> Response:
        header = request.headers.get("authorization", "")
        scheme, _, given = header.partition(" ")
        if header and scheme.lower() != "bearer":
            return error_response(request, Unauthenticated("auth.malformed"))
        if not hmac.compare_digest(given.strip().encode(), expected):
            log.warning("refused a scrape of %s code=auth.missing", PATH)
            return error_response(request, Unauthenticated("auth.missing"))
        body, content_type = metrics.exposition(request.headers.get("accept"))
        return Response(body, media_type=content_type)

    return scrape


__all__ = ["LIMITS", "PATH", "Metrics", "counting_refusals", "endpoint", "timed_documents", "timed_objects"]
