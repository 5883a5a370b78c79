"""REST endpoints of chat rooms, for portals that post from their own servers: sending (with
mentions), history, and the change feed.

They run the same actions as ``chat:send``, ``chat:history`` and ``chat:changes``, so both give the
same answers and the same pushes (the room's connections hear a message sent over REST). A chat
room is a space: paths name it ``/spaces/{space_id}``, and :func:`in_room` binds it (and a message
in it) to the payload's ``room_id`` (and ``message_id``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import BaseModel, Field
from starlette.requests import Request

from rooms import limits
from rooms.chat_models import AttachmentIds, ChatHistoryIn, ChatSendIn, ChatText, ClientId
from rooms.classroom_models import ChatChangesIn
from rooms.models import Model, UserId
from server import wire
from server.actions import chat as a
from server.http.routing import Endpoint

ROOM = "/spaces/{space_id}"
MESSAGE = ROOM + "/messages/{message_id}"


def in_room(schema: type[BaseModel]) -> Callable[[Request, BaseModel | None], Awaitable[Any]]:
    """A bind for ``schema``: the body's fields given, the query's, and the path's room and message."""

    async def bind(request: Request, body: BaseModel | None) -> Any:
        data: dict[str, Any] = dict(request.query_params)
        if body is not None:
            data.update(body.model_dump(exclude_unset=True))
        data["room_id"] = request.path_params["space_id"]
        if "message_id" in request.path_params:
            data["message_id"] = request.path_params["message_id"]
        return wire.parse(schema, data)
    return bind


class SendBodyIn(Model):
    client_id: ClientId
    text: ChatText
    reply_to: str | None = None
    attachments: AttachmentIds = []
    mentions: list[UserId] = Field(default=[], max_length=limits.MENTIONS_PER_MESSAGE_MAX)
    mention_teachers: bool = False


ENDPOINTS = [
    Endpoint("POST", ROOM + "/messages", a.chat_send,
             "Send a chat message (idempotent by client_id); the room's connections hear it", body=SendBodyIn,
             status=201, bind=in_room(ChatSendIn), tag="chat"),
    Endpoint("GET", ROOM + "/messages", a.chat_history, "A page of the room's history, by seq",
             query=(("before_seq", "messages before this seq (default: the latest)"),
                    ("after_seq", "messages after this seq"), ("limit", f"1 to {limits.CHAT_PAGE_MAX}")),
             bind=in_room(ChatHistoryIn), tag="chat"),
    Endpoint("GET", ROOM + "/changes", a.chat_changes,
             "Every message changed after a rev (new, edited, deleted, reacted to, pinned, voted in), by rev",
             query=(("after_rev", "the last rev the caller saw (0: from the start)"),
                    ("limit", f"1 to {limits.CHANGES_PAGE_MAX}")),
             bind=in_room(ChatChangesIn), tag="chat"),
]
