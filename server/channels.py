"""Socket.IO channel names: who hears a push.

- ``room:<room_id>``: the connections that joined a chat room (which the policy let in);
- ``guests:<room_id>``: the visitors' connections that joined a chat room: they hear the room's
  pushes, presence in the visitors' view (``rooms.chat.presence_view``);
- ``user:<user_id>``: every connection of one person (several tabs);
- ``support``: every connection of a national support officer (escalated reports).
"""

from __future__ import annotations


def room_channel(room_id: str) -> str:
    return f"room:{room_id}"


def guest_channel(room_id: str) -> str:
    return f"guests:{room_id}"


def is_chat_channel(name: object) -> bool:
    """Whether ``name`` is a chat room's channel (its members' or its visitors'): each hears every one of the
    room's ``chat:message`` pushes, in its own view (the fan-out between instances keeps them in ``seq`` order)."""
    return isinstance(name, str) and name.startswith(("room:", "guests:"))


def user_channel(user_id: str) -> str:
    return f"user:{user_id}"


def support_channel() -> str:
    """Every connection of a national support officer (platform role ``support``): escalated reports."""
    return "support"
