"""REST endpoints of polls in chat rooms (rooms/polls.py).

They run the same actions as the Socket.IO events, so both give the same answers and the same pushes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field

from rooms import limits
from rooms.chat_models import ClientId
from rooms.classroom_models import ChatPollCreateIn, ChatPollRefIn, ChatPollVoteIn, PollOptionText, PollQuestion
from rooms.models import Model
from server.actions import polls as a
from server.http.chat import MESSAGE, ROOM, in_room
from server.http.routing import Endpoint


class PollBodyIn(Model):
    client_id: ClientId
    question: PollQuestion
    options: list[PollOptionText] = Field(min_length=limits.POLL_OPTIONS_MIN, max_length=limits.POLL_OPTIONS_MAX)
    multiple: bool = False
    anonymous: bool = False
    closes_at: datetime | None = None


class VoteBodyIn(Model):
    choices: list[Annotated[int, Field(ge=0, lt=limits.POLL_OPTIONS_MAX)]] = Field(max_length=limits.POLL_OPTIONS_MAX)


ENDPOINTS: list[Endpoint] = [
    Endpoint("POST", ROOM + "/polls", a.poll_create,
             "Post a poll (idempotent by client_id); the room's connections hear it as a message",
             body=PollBodyIn, status=201, bind=in_room(ChatPollCreateIn), tag="chat"),
    Endpoint("POST", MESSAGE + "/vote", a.poll_vote,
             "Vote in a poll, change one's vote, or take it back (no choices); the room hears the counts",
             body=VoteBodyIn, bind=in_room(ChatPollVoteIn), tag="chat"),
    Endpoint("POST", MESSAGE + "/close", a.poll_close, "Close a poll before its time; the room hears it",
             bind=in_room(ChatPollRefIn), tag="chat"),
    Endpoint("GET", MESSAGE + "/voters", a.poll_voters, "Who chose each option of a poll that is not anonymous",
             bind=in_room(ChatPollRefIn), tag="chat"),
]
