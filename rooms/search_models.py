"""Typed models of search: the query a client sends, the results it gets, and what the domain hands
the store (:class:`SearchScope`, :class:`SearchQuery`) and gets back (:class:`SearchHit`).

The scope is computed from the policy before the store is asked (``rooms/search.py``), and the
store's query is restricted to it: a result can never come from a space the searcher may not read,
another project, or another person's mail.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_validator

from rooms import limits
from rooms.model_base import Model
from rooms.models import UserId

SearchKind = Literal["message", "thread", "post", "mail", "file"]
SEARCH_KINDS: tuple[SearchKind, ...] = ("message", "thread", "post", "mail", "file")
SearchOrder = Literal["newest", "best"]


class SearchIn(Model):
    """Search one project for ``q``: every word must match (the last also as the start of a word),
    case and accents aside."""

    project_id: str
    q: Annotated[str, StringConstraints(min_length=1, max_length=limits.SEARCH_QUERY_MAX_CHARS)]
    kinds: list[SearchKind] = Field(default=list(SEARCH_KINDS), min_length=1, max_length=len(SEARCH_KINDS))
    space_id: str | None = None  # one chat room or forum
    author_id: UserId | None = None
    since: datetime | None = None  # created at or after
    until: datetime | None = None  # created before
    order: SearchOrder = "newest"
    cursor: str | None = None
    limit: int = Field(default=limits.SEARCH_PAGE_DEFAULT, ge=1, le=limits.SEARCH_PAGE_MAX)

    @field_validator("since", "until")
    @classmethod
    def _zoned(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("give a time zone (for example 2026-10-01T00:00:00Z)")
        return value


class SearchResult(Model):
    """One thing found, with what a client needs to open it where it is.

    ``snippet_html`` is the text around the first match, escaped, each match in ``<mark>``: the only
    markup in it is the server's. ``space_id``: the room or forum (null for mail and for files not
    attached in a space); ``thread_id`` for threads and posts; ``seq`` for messages and posts;
    ``title``: a thread's title, a mail's subject, a file's name.
    """

    kind: SearchKind
    id: str
    project_id: str
    space_id: str | None = None
    thread_id: str | None = None
    seq: int | None = None
    title: str | None = None
    author_id: str | None  # null in a visitor's view of a pupil (rooms.audience)
    author_name: str
    author_role: str | None = None
    created_at: str
    snippet_html: str


class SearchPage(Model):
    results: list[SearchResult]
    next_cursor: str | None  # pass back for the next page; null on the last


class SearchScope(Model):
    """What a searcher may read in one project, from the policy: the store searches nothing else.

    ``spaces``: the chat rooms and forums they may read; ``moderated``: those of them where they see
    hidden messages and posts (staff); ``mail_owner``: whose mail copies (theirs); ``files_of``:
    whose uploads they see whatever their attachment (theirs).
    """

    project_id: str
    spaces: tuple[str, ...]
    moderated: tuple[str, ...] = ()
    mail_owner: str | None = None
    files_of: str | None = None


class SearchQuery(Model):
    """A query as the store runs it. ``words``: folded (rooms.search_text.terms), all must match;
    with ``prefix`` the last also matches the start of a word. ``since``/``until``: stamps (UTC,
    rooms.clock.stamp). ``after``: the position after which the page starts: for ``newest``
    (created_at, id) of the last hit; for ``best`` how many hits came before."""

    words: tuple[str, ...]
    prefix: bool = True
    kinds: tuple[SearchKind, ...] = SEARCH_KINDS
    space_id: str | None = None
    author_id: str | None = None
    since: str | None = None
    until: str | None = None
    order: SearchOrder = "newest"
    after: tuple[str, str] | int | None = None


class SearchHit(Model):
    """An item the store found, as stored (the domain makes the result and its snippet)."""

    kind: SearchKind
    id: str
    project_id: str
    space_id: str | None = None
    thread_id: str | None = None
    seq: int | None = None
    title: str | None = None
    text: str  # what matched: the message's text, a post's or thread's body, a mail's body, a file's name
    author_id: str
    author_name: str
    author_role: str | None = None
    created_at: str
