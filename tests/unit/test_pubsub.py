"""server/realtime/pubsub.py builds on python-socketio's pub/sub manager only where it knows what it builds on.

What the managers do is tested on live servers in tests/integration/test_faults.py (the listener)
and tests/integration/test_room_fanout.py (the fan-out by room).
"""

from __future__ import annotations

from typing import Any

import pytest

from server.realtime import pubsub


def test_the_installed_socketio_listener_is_the_one_it_replaces() -> None:
    # On an upgrade of python-socketio this fails first: read AsyncPubSubManager._thread and
    # AsyncRedisManager._listen, port PromptListenerRedisManager._listen, and update both hashes.
    assert pubsub.listener_replaceable()
    made = pubsub.client_manager("redis://127.0.0.1:1/0", "twinspace", "broadcast")
    assert isinstance(made, pubsub.PromptListenerRedisManager)
    assert pubsub.listener_ready(made) is False  # not subscribed until it has reached Redis
    assert pubsub.listener_ready(pubsub.client_manager("memory://", "twinspace")) is True


def test_a_socketio_listener_it_was_not_written_for_is_kept(monkeypatch: pytest.MonkeyPatch,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    import socketio

    async def another_listen(self: Any) -> Any:  # what a later python-socketio might have
        yield b""

    monkeypatch.setattr(socketio.AsyncRedisManager, "_listen", another_listen)
    made = pubsub.client_manager("redis://127.0.0.1:1/0", "twinspace", "broadcast")
    assert type(made) is pubsub.DirectEmitRedisManager
    assert "keeping it" in caplog.text


def test_the_installed_socketio_pubsub_manager_is_the_one_the_room_fanout_builds_on() -> None:
    # On an upgrade of python-socketio this fails first: read AsyncPubSubManager and BaseManager, check
    # what server/realtime/pubsub.py relies on (its docstring), and update REPLACED_PUBSUB_SHA256.
    assert pubsub.replaceable()
    for mode, sharded in (("rooms", False), ("sharded", True)):
        made = pubsub.client_manager("redis://127.0.0.1:1/0", "twinspace", mode)
        assert isinstance(made, pubsub.RoomFanoutRedisManager)
        assert made.sharded is sharded
        assert pubsub.listener_ready(made) is False  # not subscribed until it has reached Redis


def test_a_socketio_pubsub_manager_it_was_not_written_for_falls_back_to_broadcast(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(pubsub, "REPLACED_PUBSUB_SHA256", "0" * 64)
    made = pubsub.client_manager("redis://127.0.0.1:1/0", "twinspace", "rooms")
    assert type(made) is pubsub.PromptListenerRedisManager
    assert "every instance hears every push" in caplog.text


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def order(max_held: int = pubsub.SEQ_HOLD_MAX) -> tuple[pubsub.SeqOrder[str], Clock]:
    clock = Clock()
    return pubsub.SeqOrder(hold_secs=0.1, max_held=max_held, clock=clock), clock


def test_seq_order_delivers_in_order_at_once_and_holds_what_comes_before_its_predecessor() -> None:
    seqs, _ = order()
    assert seqs.offer("r", 7, "7") == (True, [])  # the first of a room: at once
    assert seqs.offer("r", 8, "8") == (True, [])
    assert seqs.offer("r", 10, "10") == (False, [])  # 9 not yet here
    assert seqs.offer("r", 11, "11") == (False, [])
    assert seqs.offer("other", 3, "o3") == (True, [])  # rooms are apart
    assert seqs.waiting("r") == 2 and seqs.next_deadline() == 100.1
    assert seqs.offer("r", 9, "9") == (True, ["10", "11"])  # the gap filled: its successors follow it
    assert seqs.waiting("r") == 0 and seqs.next_deadline() is None
    assert seqs.offer("r", 12, "12") == (True, [])
    assert seqs.offer("r", 5, "5") == (True, [])  # late (or a duplicate): at once, the client sorts it out
    assert seqs.offer("r", 12, "12 again") == (True, [])
    assert (seqs.held, seqs.expired) == (2, 0)


def test_seq_order_lets_held_ones_go_after_the_bound_and_a_gap_delays_only_them() -> None:
    seqs, clock = order()
    seqs.offer("r", 1, "1")
    assert seqs.offer("r", 3, "3") == (False, [])  # 2 is never pushed here (lost, or never published)
    clock.now += 0.05
    assert seqs.offer("r", 5, "5") == (False, [])  # another gap: 4
    assert seqs.offer("r", 4, "4") == (False, [])
    assert seqs.expired_items() == []  # not yet
    clock.now += 0.05
    assert seqs.next_deadline() == pytest.approx(clock.now)
    assert seqs.expired_items() == ["3", "4", "5"]  # 3's time is up; 4 and 5 follow it in order
    assert seqs.next_deadline() is None  # 5's entry went with it
    assert seqs.offer("r", 6, "6") == (True, [])  # after the gap, the next ones go at once again
    assert seqs.offer("r", 2, "2") == (True, [])  # the missing one, late
    assert (seqs.held, seqs.expired) == (3, 1)


def test_seq_order_holds_at_most_max_held_per_room_and_forgets_a_room() -> None:
    seqs, _ = order(max_held=3)
    seqs.offer("r", 1, "1")
    for seq in (3, 4, 5):
        assert seqs.offer("r", seq, str(seq)) == (False, [])
    assert seqs.offer("r", 7, "7") == (False, ["3", "4", "5"])  # a fourth held: the oldest go, in order
    assert seqs.waiting("r") == 1
    assert seqs.offer("r", 6, "6") == (True, ["7"])
    seqs.offer("r", 9, "9")
    seqs.offer("s", 1, "s1")
    assert len(seqs) == 2
    assert seqs.forget("r") == ["9"]  # no one here hears the room any more: its held ones, and nothing kept
    assert len(seqs) == 1 and seqs.waiting("r") == 0 and seqs.next_deadline() is None
    assert seqs.offer("r", 20, "20") == (True, [])  # joined again: a first one


def test_seq_order_goes_on_from_where_a_join_read_the_room() -> None:
    seqs, _ = order()
    seqs.start("r", 4)  # a join read the room up to seq 4: 5 comes next
    assert seqs.offer("r", 6, "6") == (False, [])
    assert seqs.offer("r", 5, "5") == (True, ["6"])
    seqs.start("r", 2)  # another join, later: the room is known here already
    assert seqs.offer("r", 7, "7") == (True, [])
    assert seqs.offer("r", 4, "4") == (True, [])  # in the join's page already: at once
