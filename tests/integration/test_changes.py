"""A room's whole state is resumable: a client away while messages were edited, deleted by a teacher,
reacted to and voted in ends with exactly what a fresh client sees, on one instance and across two
instances through a pub/sub outage (the change feed, docs/protocol.md "Changes: resuming exactly")."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.support.clients import Project, Realtime, make_project, ok, realtime
from tests.support.redis import RedisServer
from tests.support.server import ServerProcess

CHANGED = ("chat:message", "chat:message_edited", "chat:message_deleted", "chat:message_hidden",
           "chat:reactions_changed", "chat:pin_changed", "chat:poll_changed")


class Mirror:
    """What a protocol-following client shows of a room: each message's state with the highest rev."""

    def __init__(self) -> None:
        self.messages: dict[str, dict[str, Any]] = {}
        self.rev = 0  # the highest rev up to which nothing is missing

    def apply(self, message: dict[str, Any]) -> None:
        known = self.messages.get(message["id"])
        if known is None or known["rev"] < message["rev"]:
            self.messages[message["id"]] = message

    async def join(self, rt: Realtime, room: str, since_rev: int | None = None) -> None:
        joined = await ok(rt, "room:join", {"room_id": room, **({} if since_rev is None else {"since_rev": since_rev})})
        for message in joined["messages"]:
            self.apply(message)
        self.rev = joined["last_rev"] if since_rev is None or not joined["has_more"] else \
            joined["messages"][-1]["rev"]
        if since_rev is not None and joined["has_more"]:
            await self.catch_up(rt, room)

    async def catch_up(self, rt: Realtime, room: str) -> None:
        while True:
            page = await ok(rt, "chat:changes", {"room_id": room, "after_rev": self.rev})
            for message in page["messages"]:
                self.apply(message)
            self.rev = page["messages"][-1]["rev"] if page["has_more"] else page["last_rev"]
            if not page["has_more"]:
                return

    async def heard(self, rt: Realtime, room: str, message: dict[str, Any]) -> None:
        """A push: applied; a rev past the next one means some were missed: fetch the changes since."""
        self.apply(message)
        if message["rev"] == self.rev + 1:
            self.rev = message["rev"]
        elif message["rev"] > self.rev + 1:
            await self.catch_up(rt, room)


def state(messages: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in sorted(messages.items())}


async def _fill(project: Project, server: ServerProcess, room: str) -> dict[str, str]:
    """Three pupil messages and a teacher's poll; their ids by name."""
    ids: dict[str, str] = {}
    async with realtime(server, project.pupil.token) as pupil, realtime(server, project.admin.token) as teacher:
        for name in ("edited", "deleted", "reacted"):
            sent = await ok(pupil, "chat:send", {"room_id": room, "client_id": uuid.uuid4().hex, "text": name})
            ids[name] = sent["id"]
        poll = await ok(teacher, "chat:poll_create", {"room_id": room, "client_id": uuid.uuid4().hex,
                                                      "question": "Which river?", "options": ["Rhine", "Oder"]})
        ids["poll"] = poll["id"]
    return ids


async def _change(project: Project, server: ServerProcess, room: str, ids: dict[str, str]) -> None:
    """An edit, a teacher's deletion, a reaction and a vote."""
    async with realtime(server, project.pupil.token) as pupil, realtime(server, project.admin.token) as teacher:
        await ok(pupil, "chat:edit", {"room_id": room, "message_id": ids["edited"], "text": "edited again"})
        await ok(teacher, "chat:delete", {"room_id": room, "message_id": ids["deleted"]})
        await ok(pupil, "chat:react", {"room_id": room, "message_id": ids["reacted"], "emoji": "👍", "on": True})
        await ok(pupil, "chat:poll_vote", {"room_id": room, "message_id": ids["poll"], "choices": [1]})


async def _fresh(server: ServerProcess, token: str, room: str) -> dict[str, dict[str, Any]]:
    mirror = Mirror()
    async with realtime(server, token) as rt:
        await mirror.join(rt, room)
    return mirror.messages


def _assert_current(messages: dict[str, dict[str, Any]], ids: dict[str, str]) -> None:
    assert messages[ids["edited"]]["text"] == "edited again"
    assert messages[ids["deleted"]]["deleted"] is True and messages[ids["deleted"]]["text"] is None
    assert messages[ids["reacted"]]["reactions"] == [{"emoji": "👍", "count": 1}]
    assert [o["votes"] for o in messages[ids["poll"]]["poll"]["options"]] == [0, 1]


async def test_a_client_away_while_the_room_changed_rejoins_to_its_exact_state(server: ServerProcess) -> None:
    project = await make_project(server)
    room = project.spaces["general"]
    ids = await _fill(project, server, room)
    away = Mirror()
    async with realtime(server, project.partner.token) as rt:
        await away.join(rt, room)
    assert away.messages[ids["edited"]]["text"] == "edited"
    await _change(project, server, room, ids)
    async with realtime(server, project.partner.token) as rt:  # back: every change since, by rev
        await away.join(rt, room, since_rev=away.rev)
    fresh = await _fresh(server, project.partner.token, room)
    assert state(away.messages) == state(fresh)
    _assert_current(away.messages, ids)


async def test_across_two_instances_a_pubsub_outage_is_caught_up_by_rev(
        make_server: Callable[..., ServerProcess], redis_server: RedisServer, tmp_path: Path) -> None:
    data = tmp_path / "shared"
    flags = ("--fanout-url", redis_server.url, "--chat-rate-messages", "10000")
    a = make_server(*flags, data_dir=data).start()
    b = make_server(*flags, data_dir=data).start()
    project = await make_project(a)
    room = project.spaces["general"]
    ids = await _fill(project, a, room)
    mirror = Mirror()
    async with realtime(b, project.partner.token) as watcher:  # stays connected to b throughout
        await mirror.join(watcher, room)
        heard = 0

        async def follow() -> None:
            nonlocal heard
            for name, data in watcher.arrivals[heard:]:
                heard += 1
                if name in CHANGED:
                    await mirror.heard(watcher, room, data)

        redis_server.stop()
        await _change(project, a, room, ids)  # stored and answered on a; b hears none of it
        redis_server.start()
        deadline = time.monotonic() + 90
        async with realtime(a, project.admin.token) as teacher:
            while time.monotonic() < deadline:  # until pushes cross again
                sent = await ok(teacher, "chat:send", {"room_id": room, "client_id": uuid.uuid4().hex,
                                                       "text": "are you there?"})
                try:
                    await watcher.wait_for("chat:message", lambda m, s=sent: m["id"] == s["id"], timeout=0.5)
                    break
                except TimeoutError:
                    pass
        await follow()  # the first push after the outage shows the gap: the client fetches the changes
    assert mirror.messages[ids["edited"]]["text"] == "edited again"
    fresh = await _fresh(a, project.partner.token, room)
    assert state(mirror.messages) == state(fresh)
    _assert_current(mirror.messages, ids)
