"""Reactions, pinned messages and the project's chat features (rooms/reactions.py)."""

from __future__ import annotations

from server.actions.base import Action

ACTIONS: dict[str, Action] = {
}
