"""What each request leaves for the operator: a request id, and one report when it is answered.

The Socket.IO dispatcher (``server/realtime/events.py``) and the REST router
(``server/http/routing.py``) start every request with :func:`begin` and end it
with :meth:`Observer.finished`, so an event and a route are counted and logged
alike. The metrics (``server/metrics.py``) and the log (``server/logs.py``)
listen on the app's one :class:`Observer`, made by ``server/app.py``; the log
writes the one line of each request, refusals included, so the dispatcher and
the router log none of their own.

The request id lives in a context variable: each Socket.IO event and each REST
request runs in a task of its own, so everything logged while it is handled,
and its error answer (``server/wire.py``), carry the same id.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Literal

from rooms.ids import random_hex

REQUEST_ID_BYTES = 8  # 16 hex digits: unique enough to find one request in a day of logs, short enough to read out

_request_id: ContextVar[str | None] = ContextVar("twinspace_request_id", default=None)


def begin() -> str:
    """A new request id for the request being handled in this task."""
    request_id = random_hex(REQUEST_ID_BYTES)
    _request_id.set(request_id)
    return request_id


def request_id() -> str | None:
    """The id of the request this task handles, if any."""
    return _request_id.get()


@dataclass(frozen=True, slots=True)
class Finished:
    """One answered request. ``name`` is an event (``chat:send``) or a route template
    (``POST /api/v1/projects/{project_id}/members``), never a concrete path: it holds no id."""

    kind: Literal["event", "route"]
    name: str
    outcome: str  # "ok", or the error code answered
    secs: float  # from the request's arrival to its answer
    request_id: str
    user_id: str | None
    detail: str = ""  # what was wrong with a refused request, for the log: names fields and limits, never values


Listener = Callable[[Finished], None]


class Observer:
    """The app's listeners to answered requests. A listener must be quick and must not raise."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def listen(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def finished(self, report: Finished) -> None:
        for listener in self._listeners:
            listener(report)


__all__ = ["Finished", "Listener", "Observer", "begin", "request_id"]
