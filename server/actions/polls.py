"""Polls in chat rooms (rooms/polls.py)."""

from __future__ import annotations

from server.actions.base import Action

ACTIONS: dict[str, Action] = {
}
