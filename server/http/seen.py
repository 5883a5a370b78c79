"""REST endpoints of who has read a message, and mentions (rooms/seen.py, rooms/mentions.py).

They run the same actions as the Socket.IO events, so both give the same answers and the same pushes.
"""

from __future__ import annotations

from server.http.routing import Endpoint

ENDPOINTS: list[Endpoint] = [
]
