"""Search: what one may read in a project (rooms/search.py)."""

from __future__ import annotations

from server.actions.base import Action

ACTIONS: dict[str, Action] = {
}
