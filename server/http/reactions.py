"""REST endpoints of reactions, pinned messages and the project's chat features (rooms/reactions.py).

They run the same actions as the Socket.IO events, so both give the same answers and the same pushes.
"""

from __future__ import annotations

from pydantic import Field

from rooms import limits
from rooms.classroom_models import ChatPinIn, ChatReactIn, Emoji, ReactionsIn, SeenBy
from rooms.models import Model
from server.actions import reactions as a
from server.http.chat import MESSAGE, in_room
from server.http.routing import Endpoint


class ReactBodyIn(Model):
    emoji: Emoji
    on: bool = True


class PinBodyIn(Model):
    pinned: bool = True


class ChatFeaturesBodyIn(Model):
    """What to change of the project's chat features; what is left out stays as it is."""

    reactions: list[Emoji] | None = Field(default=None, max_length=len(limits.REACTIONS))
    seen_by: SeenBy | None = None


ENDPOINTS: list[Endpoint] = [
    Endpoint("POST", MESSAGE + "/reactions", a.chat_react,
             "Add (on: true) or take back one's reaction on a message (members who may write; not visitors); "
             "the room hears the new counts", body=ReactBodyIn, bind=in_room(ChatReactIn), tag="chat"),
    Endpoint("GET", MESSAGE + "/reactions", a.chat_reactions,
             "Who reacted to a message, per reaction (visitors see no pupil's id)",
             bind=in_room(ReactionsIn), tag="chat"),
    Endpoint("POST", MESSAGE + "/pin", a.chat_pin,
             f"Pin a message in its room (pinned: true), or unpin it (teachers; at most {limits.PINS_PER_ROOM_MAX} "
             "per room); the room hears it", body=PinBodyIn, bind=in_room(ChatPinIn), tag="chat"),
    Endpoint("PATCH", "/projects/{project_id}/chat-features", a.chat_features,
             "Choose the project's reactions and who sees who has read a message (teachers); every member hears it",
             body=ChatFeaturesBodyIn, bind=None, tag="chat"),
]
