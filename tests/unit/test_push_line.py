"""server/realtime/fanout.py's line of answered handlers' pushes, and who sends it.

A handler started as its event arrived (server/realtime/direct.py) sends the line in its own task
right after its answer; anything else hands it to a task. Either way the pushes leave in the order
the handlers were answered. On a live server: tests/integration/test_push_order.py and test_delivery.py.
"""

from __future__ import annotations

import asyncio
from typing import Any

from server.actions.base import ToUsers
from server.realtime import direct
from server.realtime.fanout import Fanout


class Sio:
    """What the fan-out emits through, and a handler python-socketio would run for an event."""

    manager = None  # not python-socketio's: the fan-out cannot tell who an emit reaches

    def __init__(self) -> None:
        self.sent: list[Any] = []  # acks and pushes, in the order they left

    async def emit(self, event: str, data: Any, room: Any = None, skip_sid: str | None = None) -> None:
        self.sent.append(("push", data["n"]))


def unread(n: int) -> ToUsers:
    return ToUsers("room:unread", {"n": n}, ("u1",))


async def test_pushes_handed_over_outside_a_handler_leave_in_order_from_a_task() -> None:
    sio = Sio()
    fanout = Fanout(sio)  # type: ignore[arg-type]
    for n in range(3):
        fanout.after_answer([unread(n)])
    assert sio.sent == []  # not before the caller's answer
    await asyncio.wait_for(fanout.aclose(), 5)
    assert sio.sent == [("push", 0), ("push", 1), ("push", 2)]


async def test_a_handler_taken_as_it_arrived_sends_the_line_after_its_answer_in_its_own_task() -> None:
    sio = Sio()
    fanout = Fanout(sio)  # type: ignore[arg-type]

    async def handle_event_internal(server: Any, sid: str, eio_sid: str, data: Any, namespace: str,
                                    ack_id: Any) -> None:  # python-socketio's: the handler, then its ack
        fanout.after_answer([unread(data)])
        sio.sent.append(("ack", data))

    sio._handle_event_internal = handle_event_internal  # type: ignore[attr-defined]
    fanout.after_answer([unread(0)])  # an earlier handler's, outside: its task is made, not yet run
    await direct._handle_then_tell(sio, "s1", "e1", 1, "/", 7, direct._AfterAnswer(asyncio.current_task()))  # in this test's own task, as take_event's
    # The line, in the order answered, right after this handler's ack, by its own task.
    assert sio.sent == [("ack", 1), ("push", 0), ("push", 1)]
    await asyncio.wait_for(fanout.aclose(), 5)  # the earlier task finds the line empty
    assert sio.sent == [("ack", 1), ("push", 0), ("push", 1)]


async def test_a_task_the_handler_started_does_not_send_its_line() -> None:
    sio = Sio()
    fanout = Fanout(sio)  # type: ignore[arg-type]
    asked: list[bool] = []

    async def handle_event_internal(*_: Any) -> None:
        async def started_by_the_handler() -> None:  # it inherits the context, not the slot
            asked.append(direct.after_this_answer(fanout._send_waiting))
        await asyncio.create_task(started_by_the_handler())
        asked.append(direct.after_this_answer(fanout._send_waiting))

    sio._handle_event_internal = handle_event_internal  # type: ignore[attr-defined]
    await direct._handle_then_tell(sio, "s1", "e1", 1, "/", 7, direct._AfterAnswer(asyncio.current_task()))
    assert asked == [False, True]
    assert not direct.after_this_answer(fanout._send_waiting)  # outside any handler


async def test_when_the_answer_fails_the_line_is_still_sent() -> None:
    sio = Sio()
    fanout = Fanout(sio)  # type: ignore[arg-type]

    async def handle_event_internal(*_: Any) -> None:
        fanout.after_answer([unread(1)])
        raise ConnectionError("the ack could not be written")

    sio._handle_event_internal = handle_event_internal  # type: ignore[attr-defined]
    try:
        await direct._handle_then_tell(sio, "s1", "e1", 1, "/", 7, direct._AfterAnswer(asyncio.current_task()))
    except ConnectionError:
        pass
    else:  # pragma: no cover
        raise AssertionError("the handler's error is raised")
    for _ in range(100):  # sent by a task of its own: wait for it
        if sio.sent:
            break
        await asyncio.sleep(0.01)
    assert sio.sent == [("push", 1)]
