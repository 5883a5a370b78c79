"""Who has read a message, and mentions (rooms/seen.py, rooms/mentions.py)."""

from __future__ import annotations

from server.actions.base import Action

ACTIONS: dict[str, Action] = {
}
