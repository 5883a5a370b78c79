"""Search: anything one may read in a project, in every language, and nothing else.

The scope is computed from the policy before the store is asked (:meth:`SearchService.scope`), and
the store's query is restricted to it (``rooms.ports.SearchStore``): the spaces of the project the
searcher may read (``space.read``), those of them they moderate (``space.moderate``: hidden items
too), their own mail copies and their own uploads. So a result, its snippet and the length of a
page can never come from a staff room for a pupil, another project, or someone else's mail. A
``space_id`` filter answers as reading that space would (``ProjectService.get_space``): a space of
the project one may not read is ``permission.denied``, one that is not the project's
``room.not_found``.

Files are found by name when they are the searcher's own upload or attached to something in the
scope; one attached to someone else's message or post is checked again here as
``FileService.readable`` does (its message or post hidden from non-staff, or deleted; its thread
deleted; its mail removed by a moderator): the store's scope names spaces and mail owners, not the
state of each file's parent.

Queries: the words of ``q`` folded as the index folds them (``rooms.search_text.terms``), at most
``limits.SEARCH_TERMS_MAX``; the last one also as the start of a word unless ``q`` ends with a
space. Cursors are opaque: for ``newest`` the position of the last hit (created_at, id), for
``best`` how many hits came before; a cursor of the other order is ``request.invalid``.
"""

from __future__ import annotations

import base64
import binascii
import re

from rooms import limits, policy
from rooms.audience import for_role
from rooms.clock import parse, stamp
from rooms.errors import Forbidden, InvalidRequest, NotFound
from rooms.models import Space, User
from rooms.ports import DocumentStore
from rooms.projects import Access, ProjectService
from rooms.search_models import SearchHit, SearchIn, SearchPage, SearchQuery, SearchResult, SearchScope
from rooms.search_text import snippet_html, terms

_ID = re.compile(r"[^|]{1,200}")
_BAD_CURSOR = "cursor: not a cursor this server gave for this order"


def encode_cursor(after: tuple[str, str] | int) -> str:
    """An opaque cursor: ``n|created_at|id`` for newest, ``b|offset`` for best, base64url."""
    raw = f"b|{after}" if isinstance(after, int) else f"n|{after[0]}|{after[1]}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, order: str) -> tuple[str, str] | int:
    """The position in a cursor :func:`encode_cursor` made for ``order``; ``request.invalid`` otherwise."""
    try:
        parts = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode().split("|")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        parts = []
    if order == "newest" and len(parts) == 3 and parts[0] == "n" and _ID.fullmatch(parts[2]):
        try:
            parse(parts[1])
            return parts[1], parts[2]
        except ValueError:
            pass
    if order == "best" and len(parts) == 2 and parts[0] == "b" and parts[1].isdigit():
        offset = int(parts[1])
        if 0 < offset < limits.SEARCH_BEST_MAX:
            return offset
    raise InvalidRequest("request.invalid", detail=_BAD_CURSOR)


def query_of(data: SearchIn) -> SearchQuery:
    """The store's query for ``data``: folded words, prefix, filters as stamps, the cursor's position."""
    words = terms(data.q)[:limits.SEARCH_TERMS_MAX]
    if not words:
        raise InvalidRequest("request.invalid", detail="q: give at least one word (letters or digits)")
    since = stamp(data.since) if data.since is not None else None
    until = stamp(data.until) if data.until is not None else None
    if since is not None and until is not None and until <= since:
        raise InvalidRequest("request.invalid", detail="until: must be after since")
    cut = len(terms(data.q)) > limits.SEARCH_TERMS_MAX  # the last word kept is a whole word then
    return SearchQuery(words=tuple(words), prefix=not cut and not data.q[-1].isspace(),
                       kinds=tuple(dict.fromkeys(data.kinds)), space_id=data.space_id, author_id=data.author_id,
                       since=since, until=until, order=data.order,
                       after=decode_cursor(data.cursor, data.order) if data.cursor else None)


def scope_of(access: Access, spaces: list[Space], space_id: str | None = None) -> SearchScope:
    """What ``access`` may search among the project's ``spaces``, from the policy.

    ``space_id`` (a filter) must be one of them that they may read: ``permission.denied`` when it is
    the project's but not readable (as reading it would answer), ``room.not_found`` otherwise.
    """
    readable = [s for s in spaces if policy.allowed(access.role, "space.read", s.visibility)]
    if space_id is not None and space_id not in {s.id for s in readable}:
        if space_id in {s.id for s in spaces}:
            raise Forbidden("permission.denied", action="space.read")
        raise NotFound("room.not_found")
    mine = access.user_id if access.member is not None else None
    return SearchScope(project_id=access.project.id, spaces=tuple(s.id for s in readable),
                       moderated=tuple(s.id for s in readable
                                       if policy.allowed(access.role, "space.moderate", s.visibility)),
                       mail_owner=mine, files_of=mine)


def result_of(hit: SearchHit, query: SearchQuery) -> SearchResult:
    """A hit as the client gets it: its snippet escaped with the matches marked, its title."""
    snippet = snippet_html(hit.text, query.words, query.prefix)
    title = hit.title if hit.kind != "file" else (hit.title or hit.text)
    if "<mark>" not in snippet and hit.title and hit.kind in ("thread", "mail"):
        in_title = snippet_html(hit.title, query.words, query.prefix)  # found by its title or subject
        if "<mark>" in in_title:
            snippet = in_title
    return SearchResult(kind=hit.kind, id=hit.id, project_id=hit.project_id, space_id=hit.space_id,
                        thread_id=hit.thread_id, seq=hit.seq, title=title, author_id=hit.author_id,
                        author_name=hit.author_name, author_role=hit.author_role, created_at=hit.created_at,
                        snippet_html=snippet)


class SearchService:
    """``search:query``: the scope from the policy, the query, one store search, the results."""

    def __init__(self, store: DocumentStore, projects: ProjectService) -> None:
        self._store = store
        self._projects = projects

    async def scope(self, user: User, project_id: str, space_id: str | None = None) -> tuple[SearchScope, Access]:
        """The user's scope in a project; ``project.not_found`` for outsiders, as any project read."""
        access = await self._projects.access(user, project_id)
        access.check("project.search")
        spaces = await self._store.list_spaces(project_id, policy.SPACE_VISIBILITIES)
        return scope_of(access, spaces, space_id), access

    async def search(self, user: User, data: SearchIn) -> SearchPage:
        query = query_of(data)  # refuse a bad query before reading anything
        scope, access = await self.scope(user, data.project_id, data.space_id)
        hits = await self._store.search(scope, query, data.limit + 1)  # one more: is there a next page?
        more = len(hits) > data.limit
        hits = hits[:data.limit]
        next_cursor = None
        if more and hits:
            if query.order == "newest":
                next_cursor = encode_cursor((hits[-1].created_at, hits[-1].id))
            else:
                offset = (query.after if isinstance(query.after, int) else 0) + len(hits)
                next_cursor = encode_cursor(offset) if offset < limits.SEARCH_BEST_MAX else None
        shown = [result_of(h, query) for h in hits if await self._file_readable(scope, h)]
        return for_role(access.role, SearchPage(results=shown, next_cursor=next_cursor))

    async def _file_readable(self, scope: SearchScope, hit: SearchHit) -> bool:
        """A file found through its parent is shown only if ``FileService.readable`` would let it be read."""
        if hit.kind != "file" or (scope.files_of is not None and hit.author_id == scope.files_of):
            return True  # not a file, or one's own upload
        record = await self._store.get_file(hit.id)
        if record is None or record.expired_at is not None or record.project_id != scope.project_id:
            return False
        if record.owner_id == scope.files_of:
            return True
        attached = record.attached_to
        if attached is None:
            return False
        if attached.kind == "mail":
            if scope.mail_owner is None:
                return False
            copy = await self._store.get_copy(scope.mail_owner, attached.id)
            return copy is not None and copy.mail.removed_by is None
        if attached.space_id not in scope.spaces:
            return False
        staff = attached.space_id in scope.moderated
        if attached.kind == "message":
            message = await self._store.get_message(attached.space_id, attached.id)
            return message is not None and not message.deleted and (staff or not message.hidden)
        if attached.kind == "post":
            post = await self._store.get_post(attached.id)
            thread = await self._store.get_thread(post.thread_id) if post else None
            return bool(post and thread and not post.deleted and not thread.deleted and (staff or not post.hidden))
        thread = await self._store.get_thread(attached.id)
        return thread is not None and not thread.deleted
