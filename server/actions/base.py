"""The one shape of every action: ``(Context, payload) -> Outcome(result, pushes)``.

An action is what a Socket.IO event or a REST endpoint does, written once
for both: it calls the domain and returns the answer together with the
pushes that what it changed calls for. It never emits. Both dispatchers
(``server/realtime/events.py`` and ``server/http/routing.py``) send the
answer first and then hand the pushes to the fan-out
(``server/realtime/fanout.py``), the only place that emits. That keeps
"stored, then answered, then told" true on every path, and puts the choice
of recipients in the action, next to the policy decision that allows it.

A push names its recipients explicitly:

- :class:`ToRoom`: the connections that joined a chat room (which the
  policy let in); its visitors hear the visitors' view of ``data``
  (``rooms.audience.for_visitors``) or, when given, ``guest_data``;
- :class:`ToUsers`: every connection of each named person; those named in
  ``guest_ids`` hear the visitors' view;
- :class:`PresenceChanged`: someone came online or went offline in a room
  (batched per room by the fan-out);
- :class:`SeenMoved`: read markers moved in a room, so its "seen by" counts did
  (batched per room by the fan-out: one ``chat:seen`` a second, however many read);
- :class:`Evicted`: connections that must stop hearing a room at once (a
  member removed from the project);
- :class:`Later`: pushes whose data is read (or whose record is written: a
  word-filter report) only after the answer has left (a recipient's unread
  count), so the answer does not wait for them;
- :class:`ToSupport`: every connection of the national support officers
  (escalated reports);
- :class:`Notify`: an e-mail notice (``rooms/notices.py``), sent after the answer
  on a task of its own so that a slow mail server delays no push.

Every action runs with the word filter's flags collected (:func:`action`):
a pupil's text that matched in a project whose filter flags is stored,
answered, then reported automatically (a :class:`Later` after the action's
own pushes). Nothing is awaited between an action's write and its answer:
the pushes of messages stored one after the other are handed to the fan-out
in that order, so a room hears them in ``seq`` order.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from pydantic import BaseModel

from rooms import wordfilter
from rooms.chat_models import PresenceEntry
from rooms.errors import InvalidRequest
from rooms.models import User
from server.services import Services

R = TypeVar("R")


class Channels(Protocol):
    """The Socket.IO channels a connection listens to (``room:<id>``, ``user:<id>``)."""

    async def subscribe(self, sid: str, channel: str) -> None: ...

    async def unsubscribe(self, sid: str, channel: str) -> None: ...

    def caught_up(self, channel: str, seq: int) -> None:
        """A chat room's channel, subscribed to first, was read up to ``seq``: its pushes go on from there."""

@dataclass(frozen=True)
class Connection:
    """The acting Socket.IO connection, for the actions that change what it listens to."""

    sid: str
    channels: Channels


@dataclass(frozen=True)
class Context:
    """What an action receives besides its payload."""

    user: User
    services: Services
    connection: Connection | None = None  # None over REST

    @property
    def sid(self) -> str | None:
        """The acting connection's id (its own pushes may skip it), None over REST."""
        return self.connection.sid if self.connection is not None else None

    def socket(self) -> Connection:
        """The acting connection; ``request.invalid`` for an action that only makes sense over Socket.IO."""
        if self.connection is None:
            raise InvalidRequest("request.invalid", detail="this action needs a Socket.IO connection")
        return self.connection


@dataclass(frozen=True)
class ToRoom:
    event: str
    data: Any
    room_id: str
    skip_sid: str | None = None
    guest_data: Any = None  # what the room's visitors hear (None: the visitors' view of ``data``)


@dataclass(frozen=True)
class ToUsers:
    event: str
    data: Any
    user_ids: tuple[str, ...]
    skip_sid: str | None = None
    guest_ids: tuple[str, ...] = ()  # visitors: they hear rooms.audience.for_visitors(data)


@dataclass(frozen=True)
class PresenceChanged:
    room_id: str
    joined: PresenceEntry | None = None
    left: str | None = None


@dataclass(frozen=True)
class SeenMoved:
    """Read markers moved in ``room_id``: ``count`` reads the room's counts when the batch is sent."""

    room_id: str
    count: Callable[[], Awaitable[Any]]  # -> rooms.seen.Tally


@dataclass(frozen=True)
class Evicted:
    room_id: str
    sids: tuple[str, ...]


@dataclass(frozen=True)
class Later:
    make: Callable[[], Awaitable[Sequence[Push]]]


@dataclass(frozen=True)
class ToSupport:
    event: str
    data: Any


@dataclass(frozen=True)
class Notify:
    send: Callable[[], Awaitable[Any]]


Push = ToRoom | ToUsers | PresenceChanged | SeenMoved | Evicted | Later | ToSupport | Notify


@dataclass(frozen=True)
class Outcome(Generic[R]):
    """An action's answer and the pushes to send once it has been answered, in order."""

    result: R
    pushes: tuple[Push, ...] = ()


def answer(result: R, *pushes: Push) -> Outcome[R]:
    return Outcome(result, pushes)


Run = Callable[[Context, Any], Awaitable[Outcome[Any]]]


@dataclass(frozen=True)
class Action:
    """One action: its payload schema, what its answer holds (for the docs and the SDK), its code."""

    payload: type[BaseModel] | None
    result: Any
    run: Run


def action(payload: type[BaseModel] | None, result: Any) -> Callable[[Run], Action]:
    """Declare an action: ``@action(ChatSendIn, Message)`` over ``async def send(ctx, data) -> Outcome``."""
    def wrap(run: Run) -> Action:
        return Action(payload, result, _filing_flags(run))
    return wrap


def _filing_flags(run: Run) -> Run:
    """``run``, then an automatic report for each word-filter flag its domain call raised (none: as is)."""
    async def run_and_file(ctx: Context, data: Any) -> Outcome[Any]:
        with wordfilter.collecting() as flags:
            outcome = await run(ctx, data)
        if not flags:
            return outcome
        from server.actions.reports import flagged  # it builds on this module

        return flagged(ctx, flags, outcome)
    return run_and_file
