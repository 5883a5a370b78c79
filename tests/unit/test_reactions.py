"""Reactions, pinned messages and the project's chat features (rooms/reactions.py), every rule, over the
server's own services on a real SQLite store, with the time (and the rate limiter's) set by the test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

import storage
from rooms import limits
from rooms.chat_models import ChatSendIn
from rooms.classroom_models import ChatFeaturesIn, ChatPinIn, ChatReactIn, ReactionCount, ReactionsIn
from rooms.errors import TwinspaceError
from rooms.models import MemberIn, PartnerIn, ProjectIn, SpaceIn, User
from rooms.restriction_models import MuteIn, RoomConfigureIn
from server import settings as config
from server.services import Services
from storage.ephemeral.memory import MemoryPresence
from tests.unit.test_safeguarding import Clock, ClockedLimiter

TEACHER = User(id="teacher_fr", name="Claire", role="teacher", school="Collège Lyon", country="FR")
PARTNER = User(id="teacher_de", name="Jonas", role="teacher", school="Gymnasium Köln", country="DE")
PUPIL = User(id="pupil_fr", name="Léa", role="pupil", school=TEACHER.school, country="FR")
PUPIL2 = User(id="pupil_de", name="Max", role="pupil", school=PARTNER.school, country="DE")
VISITOR = User(id="parent", name="Parent", role="visitor", country="FR")
SUPPORT = User(id="support", name="Support", role="support", country="FR")
NOON = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
RATE = 3


@dataclass
class World:
    services: Services
    clock: Clock
    project_id: str
    general: str
    open_room: str
    n: int = 0

    async def send(self, user: User = TEACHER, room: str | None = None) -> str:
        self.n += 1
        message, _ = await self.services.chat.send(user, ChatSendIn(room_id=room or self.general,
                                                                    client_id=f"c{self.n}", text="hello"))
        return message.id

    async def react(self, user: User, message_id: str, emoji: str = "👍", on: bool = True,
                    room: str | None = None) -> tuple[list[ReactionCount], bool]:
        self.clock.advance(milliseconds=10)  # reactions are ordered by when they came
        message, changed = await self.services.reactions.react(user, ChatReactIn(
            room_id=room or self.general, message_id=message_id, emoji=emoji, on=on))
        return message.reactions, changed

    async def log(self) -> list[str]:
        entries = await self.services.documents.list_audit(self.project_id, None, 50)
        return [e.action for e, _ in entries if e.action.startswith(("message.", "project.chat"))][::-1]


async def refused(call: object) -> TwinspaceError:
    with pytest.raises(TwinspaceError) as caught:
        await call  # type: ignore[misc]
    return caught.value


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    clock = Clock(NOON)
    async with (storage.open_documents(f"sqlite://{tmp_path / 'react.db'}") as documents,
                storage.open_objects(f"file://{tmp_path / 'files'}") as objects):
        async def fanout_ping() -> None:
            return None

        settings = config.load({"data_dir": str(tmp_path), "reaction_rate": str(RATE),
                                "reaction_rate_window_secs": "60"}, {})
        services = Services.build(settings, documents, objects, MemoryPresence(), ClockedLimiter(clock), fanout_ping,
                                  clock=clock)
        projects = services.projects
        project = await projects.register(TEACHER, ProjectIn(
            title="Rivers", subject="Geography", age_min=12, age_max=14, languages=["en", "fr"],
            partners=[PartnerIn(user_id=PARTNER.id, display_name=PARTNER.name, school=PARTNER.school,
                                country="DE")]))
        await projects.review(SUPPORT, project.id, approve=True)
        for who, role in ((PUPIL, "pupil"), (PUPIL2, "pupil"), (VISITOR, "visitor")):
            await projects.add_member(TEACHER, project.id, MemberIn(role=role, user_id=who.id, display_name=who.name))
        spaces = {s.default_key: s.id for s in await projects.list_spaces(TEACHER, project.id)}
        open_room = await projects.create_space(TEACHER, project.id, SpaceIn(name="Open", visibility="visitors"))
        yield World(services, clock, project.id, spaces["general"], open_room.id)


# ---- reactions ----------------------------------------------------------------------------------


async def test_reactions_are_counted_and_taken_back(world: World) -> None:
    mid = await world.send()
    assert await world.react(PUPIL, mid) == ([ReactionCount(emoji="👍", count=1)], True)
    assert await world.react(PUPIL, mid) == ([ReactionCount(emoji="👍", count=1)], False)  # a repeat
    counts, _ = await world.react(TEACHER, mid, "🎉")
    assert counts == [ReactionCount(emoji="👍", count=1), ReactionCount(emoji="🎉", count=1)]
    assert await world.react(PUPIL, mid, on=False) == ([ReactionCount(emoji="🎉", count=1)], True)


async def test_only_the_reactions_the_project_offers(world: World) -> None:
    mid = await world.send()
    assert "🤔" not in limits.REACTIONS_DEFAULT
    error = await refused(world.react(PUPIL, mid, "🤔"))
    assert (error.code, error.data) == ("chat.reaction_not_offered", {"emoji": "🤔"})
    error = await refused(world.react(PUPIL, mid, "🍕"))
    assert error.code == "chat.reaction_not_offered"
    await world.services.reactions.set_features(TEACHER, ChatFeaturesIn(project_id=world.project_id,
                                                                        reactions=["🤔", "👍"]))
    assert (await world.react(PUPIL, mid, "🤔"))[1]
    await world.react(PUPIL, mid, "👍")
    await world.services.reactions.set_features(TEACHER, ChatFeaturesIn(project_id=world.project_id,
                                                                        reactions=["🤔"]))
    assert (await refused(world.react(PUPIL2, mid, "👍"))).code == "chat.reaction_not_offered"
    assert await world.react(PUPIL, mid, "👍", on=False) == ([ReactionCount(emoji="🤔", count=1)], True)  # taken back


async def test_visitors_never_react_and_tombstones_take_none(world: World) -> None:
    mid = await world.send(room=world.open_room)
    error = await refused(world.react(VISITOR, mid, room=world.open_room))
    assert (error.code, error.data.get("action")) == ("permission.denied", "chat.react")
    assert (await world.react(PUPIL, mid, room=world.open_room))[1]
    await world.services.chat.delete(TEACHER, world.general, gone := await world.send())
    assert (await refused(world.react(PUPIL, gone))).code == "message.not_found"
    assert (await refused(world.react(PUPIL, "msg_none"))).code == "message.not_found"
    assert (await refused(world.react(PUPIL, mid, room="spc_none"))).code == "room.not_found"


async def test_a_pupil_who_may_not_write_may_not_react(world: World) -> None:
    mid = await world.send()
    await world.services.safeguarding.mute(TEACHER, MuteIn(project_id=world.project_id, user_id=PUPIL.id, minutes=10))
    assert (await refused(world.react(PUPIL, mid))).code == "chat.muted"
    await world.services.safeguarding.configure(TEACHER, RoomConfigureIn(room_id=world.general, read_only=True))
    assert (await refused(world.react(PUPIL2, mid))).code == "chat.read_only"
    assert (await world.react(TEACHER, mid))[1]  # teachers always may
    world.clock.advance(minutes=11)
    await world.services.safeguarding.configure(TEACHER, RoomConfigureIn(room_id=world.general, read_only=False))
    assert (await world.react(PUPIL, mid))[1]


async def test_reactions_are_rate_limited_per_person(world: World) -> None:
    mid = await world.send()
    for emoji in ("👍", "🎉", "✅"):
        await world.react(PUPIL, mid, emoji)
    error = await refused(world.react(PUPIL, mid, "❓"))
    assert error.code == "rate.limited" and error.data["retry_after_secs"] == 60
    assert (await world.react(PUPIL2, mid, "❓"))[1]  # someone else's are their own
    world.clock.advance(seconds=61)
    assert (await world.react(PUPIL, mid, "❓"))[1]


async def test_who_reacted_as_each_audience_sees_them(world: World) -> None:
    mid = await world.send(room=world.open_room)
    await world.react(PUPIL, mid, room=world.open_room)
    await world.react(TEACHER, mid, room=world.open_room)
    await world.react(PUPIL2, mid, "🎉", room=world.open_room)
    query = ReactionsIn(room_id=world.open_room, message_id=mid)
    seen = await world.services.reactions.who(PUPIL2, query)
    assert [(r.emoji, [(p.user_id, p.name, p.role) for p in r.people]) for r in seen.reactions] == [
        ("👍", [(PUPIL.id, "Léa", "pupil"), (TEACHER.id, "Claire", "admin")]), ("🎉", [(PUPIL2.id, "Max", "pupil")])]
    visitor = await world.services.reactions.who(VISITOR, query)
    assert [[(p.user_id, p.name) for p in r.people] for r in visitor.reactions] == [
        [(None, "Léa"), (TEACHER.id, "Claire")], [(None, "Max")]]
    none = await world.services.reactions.who(PUPIL, ReactionsIn(room_id=world.general, message_id=await world.send()))
    assert none.reactions == []
    error = await refused(world.services.reactions.who(VISITOR, ReactionsIn(room_id=world.general, message_id=mid)))
    assert error.code in ("permission.denied", "room.not_found")


# ---- pins -----------------------------------------------------------------------------------------


async def test_teachers_pin_a_few_messages_and_each_pin_is_recorded(world: World) -> None:
    reactions = world.services.reactions
    ids = [await world.send() for _ in range(limits.PINS_PER_ROOM_MAX + 1)]
    error = await refused(reactions.pin(PUPIL, ChatPinIn(room_id=world.general, message_id=ids[0])))
    assert (error.code, error.data.get("action")) == ("permission.denied", "chat.pin")
    for mid in ids[:-1]:
        world.clock.advance(seconds=1)
        message, changed = await reactions.pin(TEACHER, ChatPinIn(room_id=world.general, message_id=mid))
        assert changed and message.pinned and message.pinned_by == TEACHER.id
    again, changed = await reactions.pin(PARTNER, ChatPinIn(room_id=world.general, message_id=ids[0]))
    assert not changed and again.pinned_by == TEACHER.id
    error = await refused(reactions.pin(TEACHER, ChatPinIn(room_id=world.general, message_id=ids[-1])))
    assert (error.code, error.data) == ("chat.pins_full", {"max": limits.PINS_PER_ROOM_MAX})
    unpinned, changed = await reactions.pin(PARTNER, ChatPinIn(room_id=world.general, message_id=ids[0],
                                                               pinned=False))
    assert changed and not unpinned.pinned
    assert (await reactions.pin(TEACHER, ChatPinIn(room_id=world.general, message_id=ids[-1])))[1]
    room, access = await world.services.chat.room(PUPIL, world.general)
    joined = await world.services.chat.join(PUPIL, "sid1", room, access, None)
    assert [m.id for m in joined.result.pinned] == [ids[-1], *reversed(ids[1:-1])]  # most recent first
    assert await world.log() == ["message.pin"] * 5 + ["message.unpin", "message.pin"]
    assert (await refused(reactions.pin(TEACHER, ChatPinIn(room_id=world.general, message_id="msg_none")))).code \
        == "message.not_found"


# ---- chat features ----------------------------------------------------------------------------------


async def test_teachers_choose_the_chat_features(world: World) -> None:
    reactions = world.services.reactions
    error = await refused(reactions.set_features(PUPIL, ChatFeaturesIn(project_id=world.project_id,
                                                                       seen_by="off")))
    assert (error.code, error.data.get("action")) == ("permission.denied", "project.chat_features")
    assert (await refused(reactions.set_features(VISITOR, ChatFeaturesIn(project_id=world.project_id)))).code \
        == "permission.denied"
    features, changed = await reactions.set_features(PARTNER, ChatFeaturesIn(project_id=world.project_id,
                                                                             seen_by="counts_only"))
    assert changed and features.seen_by == "counts_only" and features.reactions == list(limits.REACTIONS_DEFAULT)
    features, changed = await reactions.set_features(PARTNER, ChatFeaturesIn(project_id=world.project_id,
                                                                             reactions=["✅", "✅", "❓"]))
    assert changed and (features.reactions, features.seen_by) == (["✅", "❓"], "counts_only")
    same, changed = await reactions.set_features(TEACHER, ChatFeaturesIn(project_id=world.project_id,
                                                                         reactions=["✅", "❓"]))
    assert not changed and same == features
    assert await reactions.features(PUPIL, world.project_id) == features
    none, _ = await reactions.set_features(TEACHER, ChatFeaturesIn(project_id=world.project_id, reactions=[]))
    assert none.reactions == []
    assert (await refused(world.react(TEACHER, await world.send(), "✅"))).code == "chat.reaction_not_offered"
    assert await world.log() == ["project.chat_features"] * 3
    with pytest.raises(ValueError):
        ChatFeaturesIn(project_id=world.project_id, reactions=["🍕"])
