"""REST endpoints of who has read a message, and mentions (rooms/seen.py, rooms/mentions.py).

They run the same actions as the Socket.IO events, so both give the same answers and the same pushes.
Mentions are sent with a message (``POST /spaces/{space_id}/messages``, ``server/http/chat.py``).
"""

from __future__ import annotations

from rooms.classroom_models import SeenByIn
from server.actions import seen as a
from server.http.chat import MESSAGE, in_room
from server.http.routing import Endpoint

ENDPOINTS: list[Endpoint] = [
    Endpoint("GET", MESSAGE + "/seen", a.chat_seen_by,
             "Who has read a message (staff; pupils where the project shows them names)",
             bind=in_room(SeenByIn), tag="chat"),
]
