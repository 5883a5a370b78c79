"""Payload validation (server/wire.py): what a parsed model made of a string is checked again,
and only models that can make integers pay for that second look."""

from __future__ import annotations

from typing import Annotated, Any

import pytest
from pydantic import BaseModel, Field

from rooms.chat_models import ChatReadIn, ChatSendIn
from rooms.errors import InvalidRequest
from server import wire


class Inner(BaseModel):
    count: Annotated[int, Field(ge=0)] = 0


class Nested(BaseModel):
    items: list[Inner] = []


class Scores(BaseModel):
    by_name: dict[str, int] = {}


class Words(BaseModel):
    name: str
    tags: list[Annotated[str, Field(max_length=5)]] = []
    extra: dict[str, Any] = {}
    flag: bool = False
    kind: str | None = None


def test_an_integer_made_from_a_string_is_checked_for_range() -> None:
    with pytest.raises(InvalidRequest) as refused:
        wire.parse(ChatReadIn, {"room_id": "spc_1", "seq": "9" * 30})
    assert "out of range" in str(refused.value.data.get("detail", ""))
    assert wire.parse(ChatReadIn, {"room_id": "spc_1", "seq": "12"}).seq == 12


@pytest.mark.parametrize(("model", "makes"), [
    (ChatReadIn, True), (Inner, True), (Nested, True), (Scores, True),
    (ChatSendIn, False), (Words, False),
])
def test_only_models_that_can_make_integers_are_looked_at_twice(model: type[BaseModel], makes: bool) -> None:
    assert wire._makes_integers(model) is makes


def test_a_payload_of_a_model_that_makes_no_integers_is_still_checked_once() -> None:
    with pytest.raises(InvalidRequest):
        wire.parse(Words, {"name": "x", "extra": {"n": 2**64}})
    with pytest.raises(InvalidRequest):
        wire.parse(Words, {"name": "\ud800"})


def test_a_frozen_model_asked_for_twice_in_a_row_is_dumped_once() -> None:
    class Frozen(BaseModel):
        model_config = {"frozen": True}
        n: int

    class Thawed(BaseModel):
        n: int

    frozen, thawed = Frozen(n=1), Thawed(n=1)
    assert wire.jsonable(frozen) is wire.jsonable(frozen) == {"n": 1}
    first = wire.jsonable(thawed)
    thawed.n = 2  # a model that may change is dumped each time
    assert first == {"n": 1} and wire.jsonable(thawed) == {"n": 2}
    assert wire.jsonable(Frozen(n=3)) == {"n": 3}  # another model: its own
