"""REST endpoints of the restrictions: mutes, room rules, safeguarding settings, hiding.

They run the same actions as the ``moderation:*``, ``room:configure``,
``project:safeguard*``, ``chat:hide`` and ``forum:post_hide`` events, so
both give the same answers and the same pushes.
"""

from __future__ import annotations

from rooms.models import Model
from rooms.restriction_models import ChatHideIn, MuteBodyIn, RoomConfigureIn, RulesBodyIn, SafeguardBodyIn
from server.actions import moderation as a
from server.http.chat import in_room
from server.http.forum import T, located
from server.http.routing import Endpoint


class HideBodyIn(Model):
    hidden: bool


P = "/projects/{project_id}"
MUTES = P + "/members/{user_id}/mutes"

ENDPOINTS = [
    Endpoint("POST", MUTES, a.mute, "Mute a pupil for some minutes, in one room or the whole project (teachers)",
             body=MuteBodyIn, tag="moderation"),
    Endpoint("DELETE", MUTES, a.unmute, "End a pupil's mute in a room, or (no room_id) their project-wide mute",
             query=(("room_id", "the room whose mute ends; left out: the project-wide mute"),), tag="moderation"),
    Endpoint("PATCH", "/spaces/{space_id}/rules", a.room_configure,
             "Make a room read-only (announcements) or set its slow mode (teachers)", body=RulesBodyIn,
             bind=in_room(RoomConfigureIn), tag="moderation"),
    Endpoint("GET", P + "/safeguarding", a.settings_get,
             "The project's safeguarding settings (the teachers' own filter words only for staff)", tag="moderation"),
    Endpoint("PATCH", P + "/safeguarding", a.settings_change,
             "Change safeguarding settings: chat hours (null: off), word filter, own words, mail policy (teachers)",
             body=SafeguardBodyIn, tag="moderation"),
    Endpoint("POST", "/spaces/{space_id}/messages/{message_id}/hide", a.chat_hide,
             "Hide a chat message from the members, or show it again (teachers)", body=HideBodyIn,
             bind=in_room(ChatHideIn), tag="moderation"),
    Endpoint("POST", T + "/{thread_id}/posts/{post_id}/hide", a.post_hide,
             "Hide a forum post from the members, or show it again (teachers)", body=HideBodyIn, check=located,
             tag="moderation"),
]
