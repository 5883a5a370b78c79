"""REST endpoints of search (rooms/search.py).

They run the same actions as the Socket.IO events, so both give the same answers. ``kinds`` may be
given comma-separated (``kinds=message,post``), repeated (``kinds=message&kinds=post``) or both;
left out, every kind is searched.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from starlette.requests import Request

from rooms import limits
from rooms.search_models import SEARCH_KINDS, SearchIn
from server import wire
from server.actions import search as a
from server.http.routing import Endpoint

QUERY = (("q", f"the words, all must match (the last also as a word's start unless q ends with a space); "
               f"at most {limits.SEARCH_QUERY_MAX_CHARS} characters"),
         ("kinds", f"comma-separated or repeated, of {', '.join(SEARCH_KINDS)} (default: all)"),
         ("space_id", "one chat room or forum"), ("author_id", "one author"),
         ("since", "created at or after (ISO 8601 with a time zone)"), ("until", "created before"),
         ("order", "newest (default) or best"), ("cursor", "next_cursor of the previous page"),
         ("limit", f"1 to {limits.SEARCH_PAGE_MAX} (default {limits.SEARCH_PAGE_DEFAULT})"))


async def bind_query(request: Request, body: BaseModel | None) -> Any:
    """The query parameters as a SearchIn; ``kinds`` split on commas and gathered from repeats."""
    params = request.query_params
    data: dict[str, Any] = {name: params[name] for name, _ in QUERY if name in params and name != "kinds"}
    kinds = [k.strip() for raw in params.getlist("kinds") for k in raw.split(",") if k.strip()]
    if "kinds" in params:
        data["kinds"] = kinds
    data["project_id"] = request.path_params["project_id"]
    return wire.parse(SearchIn, data)


ENDPOINTS: list[Endpoint] = [
    Endpoint("GET", "/projects/{project_id}/search", a.search_query,
             "Search what one may read in a project: messages, threads, posts, one's own mail, file names",
             query=QUERY, bind=bind_query, tag="search"),
]
