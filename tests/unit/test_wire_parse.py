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
