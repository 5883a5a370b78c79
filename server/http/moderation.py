"""REST endpoints of the restrictions: mutes, room rules, safeguarding settings, hiding.

They run the same actions as the ``moderation:*``, ``room:configure``,
``project:safeguard*``, ``chat:hide`` and ``forum:post_hide`` events, so
both give the same answers and the same pushes.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from starlette.requests import Request

from rooms.models import Model
from rooms.restriction_models import ChatHideIn, MuteBodyIn, RoomConfigureIn, RulesBodyIn, SafeguardBodyIn
from server import wire
from server.actions import moderation as a
from server.http.forum import T, located
from server.http.routing import Endpoint


class HideBodyIn(Model):
    hidden: bool


def _given(body: BaseModel | None) -> dict[str, Any]:
    """The fields the body gave (a partial update tells "left out" from null)."""
    return body.model_dump(exclude_unset=True) if body is not None else {}


async def bind_rules(request: Request, body: BaseModel | None) -> RoomConfigureIn:
    return wire.parse(RoomConfigureIn, {**_given(body), "room_id": request.path_params["space_id"]})


async def bind_chat_hide(request: Request, body: BaseModel | None) -> ChatHideIn:
    return wire.parse(ChatHideIn, {**_given(body), "room_id": request.path_params["space_id"],
                                   "message_id": request.path_params["message_id"]})


P = "/projects/{project_id}"
MUTES = P + "/members/{user_id}/mutes"

ENDPOINTS = [
    Endpoint("POST", MUTES, a.mute, "Mute a pupil for some minutes, in one room or the whole project (teachers)",
             body=MuteBodyIn, tag="moderation"),
    Endpoint("DELETE", MUTES, a.unmute, "End a pupil's mute in a room, or (no room_id) their project-wide mute",
             query=(("room_id", "the room whose mute ends; left out: the project-wide mute"),), tag="moderation"),
    Endpoint("PATCH", "/spaces/{space_id}/rules", a.room_configure,
             "Make a room read-only (announcements) or set its slow mode (teachers)", body=RulesBodyIn,
             bind=bind_rules, tag="moderation"),
    Endpoint("GET", P + "/safeguarding", a.settings_get,
             "The project's safeguarding settings (the teachers' own filter words only for staff)", tag="moderation"),
    Endpoint("PATCH", P + "/safeguarding", a.settings_change,
             "Change safeguarding settings: chat hours (null: off), word filter, own words, mail policy (teachers)",
             body=SafeguardBodyIn, tag="moderation"),
    Endpoint("POST", "/spaces/{space_id}/messages/{message_id}/hide", a.chat_hide,
             "Hide a chat message from the members, or show it again (teachers)", body=HideBodyIn,
             bind=bind_chat_hide, tag="moderation"),
    Endpoint("POST", T + "/{thread_id}/posts/{post_id}/hide", a.post_hide,
             "Hide a forum post from the members, or show it again (teachers)", body=HideBodyIn, check=located,
             tag="moderation"),
]
