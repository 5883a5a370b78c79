"""REST endpoints of search (rooms/search.py).

They run the same actions as the Socket.IO events, so both give the same answers.
"""

from __future__ import annotations

from server.http.routing import Endpoint

ENDPOINTS: list[Endpoint] = [
]
