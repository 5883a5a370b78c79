"""Search: what one may read in a project (rooms/search.py)."""

from __future__ import annotations

from typing import Any

from rooms.search_models import SearchIn, SearchPage
from server.actions.base import Action, Context, Outcome, action, answer


@action(SearchIn, SearchPage)
async def search_query(ctx: Context, data: SearchIn) -> Outcome[Any]:
    return answer(await ctx.services.search.search(ctx.user, data))


ACTIONS: dict[str, Action] = {
    "search:query": search_query,
}
