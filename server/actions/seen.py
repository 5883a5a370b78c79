"""Who has read a message, and mentions (rooms/seen.py, rooms/mentions.py).

The live counts (``chat:seen``) follow ``chat:read`` and ``chat:send`` (``server/actions/chat.py``
``seen_moved``); mentions are checked and told with ``chat:send``. Here: the list of who read one
message, for those the project shows names to.
"""

from __future__ import annotations

from typing import Any

from rooms.classroom_models import SeenByIn, SeenByList
from server.actions.base import Action, Context, Outcome, action, answer


@action(SeenByIn, SeenByList)
async def chat_seen_by(ctx: Context, data: SeenByIn) -> Outcome[Any]:
    """Who read a message (its author left out): staff, and pupils where the project shows them names."""
    return answer(await ctx.services.seen.seen_by(ctx.user, data))


ACTIONS: dict[str, Action] = {
    "chat:seen_by": chat_seen_by,
}
