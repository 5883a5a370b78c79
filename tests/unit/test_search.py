"""Search's rules (rooms/search.py), over a real SQLite store for projects and items whose search is
replaced by a recorder: the scope and query the domain hands the store, the hits it gets back.

Whatever the store would find, the scope it is given decides what may be found: a pupil's never
holds the staff room, another project or another person's mail; a visitor's only the rooms open to
visitors. Queries are folded words, the last a prefix unless the query ends with a space; cursors
are opaque and of one order; refusals store nothing and read as little as possible.
"""

from __future__ import annotations

import unicodedata
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import pytest

import storage
from rooms import limits
from rooms.errors import Forbidden, InvalidRequest, NotFound
from rooms.file_models import Attachment
from rooms.ids import utcnow
from rooms.models import MemberIn, PartnerIn, ProjectIn, SpaceIn, User
from rooms.ports import DocumentStore
from rooms.projects import ProjectService
from rooms.search import SearchService, decode_cursor, encode_cursor
from rooms.search_models import SearchHit, SearchIn, SearchQuery, SearchScope
from rooms.search_text import fold
from tests.contract import builders as b

TEACHER = User(id="teacher_fr", name="Claire", role="teacher", school="Collège Lyon", country="FR")
PARTNER = User(id="teacher_de", name="Jonas", role="teacher", school="Gymnasium Köln", country="DE")
PUPIL = User(id="pupil_fr", name="Léa", role="pupil", school=TEACHER.school, country="FR")
VISITOR = User(id="parent_fr", name="M. Martin", role="visitor", school=TEACHER.school, country="FR")
OUTSIDER = User(id="pupil_xx", name="Zoé", role="pupil", school="Ailleurs", country="FR")
SUPPORT = User(id="support", name="Support", role="support", country="FR")


class RecordingSearch:
    """A document store whose ``search`` records what it was asked and answers ``hits``."""

    def __init__(self, store: DocumentStore) -> None:
        self._store = store
        self.asked: list[tuple[SearchScope, SearchQuery, int]] = []
        self.hits: list[SearchHit] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    async def search(self, scope: SearchScope, query: SearchQuery, limit: int) -> list[SearchHit]:
        self.asked.append((scope, query, limit))
        return self.hits[:limit]


@dataclass
class World:
    store: DocumentStore
    recorder: RecordingSearch
    service: SearchService
    project_id: str
    other_project_id: str
    spaces: dict[str, str] = field(default_factory=dict)
    made: int = 0  # hits made so far

    @property
    def scope(self) -> SearchScope:
        return self.recorder.asked[-1][0]

    @property
    def query(self) -> SearchQuery:
        return self.recorder.asked[-1][1]

    async def search(self, user: User, q: str = "rhone", **changes: Any) -> Any:
        return await self.service.search(user, SearchIn(project_id=self.project_id, q=q, **changes))


async def _project(projects: ProjectService, title: str) -> str:
    project = await projects.register(TEACHER, ProjectIn(
        title=title, subject="Geography", age_min=12, age_max=14, languages=["en", "fr"],
        partners=[PartnerIn(user_id=PARTNER.id, display_name=PARTNER.name, school=PARTNER.school, country="DE")]))
    await projects.review(SUPPORT, project.id, approve=True)
    return project.id


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async with storage.open_documents(f"sqlite://{tmp_path / 'search.db'}") as documents:
        recorder = RecordingSearch(documents)
        port = cast(DocumentStore, recorder)
        projects = ProjectService(port)
        project_id = await _project(projects, "Rivers")
        other = await _project(projects, "Mountains")
        await projects.add_member(TEACHER, project_id, MemberIn(role="pupil", user_id=PUPIL.id,
                                                                display_name=PUPIL.name, school=PUPIL.school))
        await projects.add_member(TEACHER, project_id, MemberIn(role="visitor", user_id=VISITOR.id,
                                                                display_name=VISITOR.name, school=VISITOR.school))
        spaces = {str(s.default_key): s.id for s in await projects.list_spaces(TEACHER, project_id)}
        parents = await projects.create_space(TEACHER, project_id, SpaceIn(kind="chat", name="Parents",
                                                                           visibility="visitors"))
        spaces["parents"] = parents.id
        spaces["other_general"] = next(s.id for s in await projects.list_spaces(TEACHER, other)
                                       if s.default_key == "general")
        yield World(documents, recorder, SearchService(port, projects), project_id, other, spaces)


def hit(w: World, kind: str = "message", text: str = "Le Rhône", **changes: Any) -> SearchHit:
    """A hit as the store gives them, newest first, numbered in each world from 0."""
    n = w.made = w.made + 1
    fields: dict[str, Any] = {"kind": kind, "id": f"{kind[:3]}_{n - 1}", "project_id": w.project_id,
                              "space_id": w.spaces["general"], "text": text, "author_id": PUPIL.id,
                              "author_name": PUPIL.name, "author_role": "pupil",
                              "created_at": f"2026-10-{30 - n:02d}T10:00:00.000Z"}
    return SearchHit(**(fields | changes))


# ---- the scope ---------------------------------------------------------------------------------------


async def test_a_pupils_scope_holds_the_rooms_they_read_their_own_mail_and_files(world: World) -> None:
    await world.search(PUPIL)
    s = world.spaces
    assert world.scope == SearchScope(project_id=world.project_id, spaces=(s["general"], s["forum"], s["parents"]),
                                      moderated=(), mail_owner=PUPIL.id, files_of=PUPIL.id)
    assert s["staff"] not in world.scope.spaces and s["other_general"] not in world.scope.spaces


async def test_staff_search_the_staff_room_and_moderate_every_space(world: World) -> None:
    await world.search(PARTNER)
    s = world.spaces
    expected = (s["general"], s["staff"], s["forum"], s["parents"])
    assert sorted(world.scope.spaces) == sorted(expected) and sorted(world.scope.moderated) == sorted(expected)
    assert world.scope.mail_owner == PARTNER.id and world.scope.files_of == PARTNER.id


async def test_visitors_search_the_rooms_open_to_visitors_only(world: World) -> None:
    await world.search(VISITOR)
    assert world.scope.spaces == (world.spaces["parents"],) and world.scope.moderated == ()
    assert world.scope.mail_owner == VISITOR.id


async def test_outsiders_and_support_get_what_any_project_read_answers(world: World) -> None:
    with pytest.raises(NotFound) as caught:
        await world.search(OUTSIDER)
    assert caught.value.code == "project.not_found"
    with pytest.raises(NotFound):
        await world.service.search(PUPIL, SearchIn(project_id="prj_nonexistent", q="x"))
    with pytest.raises(Forbidden):  # support officers are no members: they do not search a project
        await world.search(SUPPORT)
    assert world.recorder.asked == []


async def test_a_space_filter_answers_as_reading_the_space_would(world: World) -> None:
    await world.search(PUPIL, space_id=world.spaces["forum"])
    assert world.query.space_id == world.spaces["forum"]
    with pytest.raises(Forbidden) as denied:
        await world.search(PUPIL, space_id=world.spaces["staff"])
    assert denied.value.code == "permission.denied"
    for elsewhere in (world.spaces["other_general"], "spc_nonexistent"):
        with pytest.raises(NotFound) as missing:
            await world.search(PUPIL, space_id=elsewhere)
        assert missing.value.code == "room.not_found"
    await world.search(TEACHER, space_id=world.spaces["staff"])
    assert len(world.recorder.asked) == 2


# ---- the query ---------------------------------------------------------------------------------------


async def test_the_query_is_folded_words_the_last_a_prefix_unless_a_space_ends_it(world: World) -> None:
    await world.search(PUPIL, q="Les ÉLÈVES de München")
    first = world.query
    await world.search(PUPIL, q="élèves ")
    assert first.words == ("les", "eleves", "de", "munchen") and first.prefix
    assert world.query.words == ("eleves",) and not world.query.prefix
    await world.search(PUPIL, q=" ".join(f"w{k}" for k in range(limits.SEARCH_TERMS_MAX + 3)))
    assert len(world.query.words) == limits.SEARCH_TERMS_MAX and not world.query.prefix  # a cut word is whole


async def test_filters_reach_the_store_as_stamps(world: World) -> None:
    since = datetime(2026, 10, 1, 2, 0, tzinfo=UTC)
    until = datetime(2026, 10, 31, tzinfo=UTC)
    await world.search(PUPIL, kinds=["post", "message", "post"], author_id=PARTNER.id, since=since, until=until,
                       order="best")
    assert world.query.kinds == ("post", "message") and world.query.author_id == PARTNER.id
    assert (world.query.since, world.query.until) == ("2026-10-01T02:00:00.000Z", "2026-10-31T00:00:00.000Z")
    assert world.query.order == "best" and world.query.after is None


async def test_refusals_read_nothing(world: World) -> None:
    for q, field_name in (("!!! ?", "q"), ("—", "q")):
        with pytest.raises(InvalidRequest) as caught:
            await world.search(PUPIL, q=q)
        assert caught.value.data["field"] == field_name
    with pytest.raises(InvalidRequest) as backwards:
        await world.search(PUPIL, since=datetime(2026, 10, 2, tzinfo=UTC), until=datetime(2026, 10, 1, tzinfo=UTC))
    assert backwards.value.data["field"] == "until"
    for cursor in ("nonsense", encode_cursor(3), encode_cursor(limits.SEARCH_BEST_MAX)):
        with pytest.raises(InvalidRequest) as bad:
            await world.search(PUPIL, cursor=cursor)  # newest: a best cursor is refused
        assert bad.value.data["field"] == "cursor"
    with pytest.raises(InvalidRequest):
        await world.search(PUPIL, order="best", cursor=encode_cursor(("2026-10-01T00:00:00.000Z", "msg_1")))
    assert world.recorder.asked == []


# ---- pages -------------------------------------------------------------------------------------------


async def test_newest_pages_go_on_after_the_last_hit(world: World) -> None:
    world.recorder.hits = [hit(world) for _ in range(3)]
    first = await world.search(PUPIL, limit=2)
    assert world.recorder.asked[-1][2] == 3  # one more than the page: is there a next one?
    assert [r.id for r in first.results] == ["mes_0", "mes_1"] and first.next_cursor
    assert decode_cursor(first.next_cursor, "newest") == (world.recorder.hits[1].created_at, "mes_1")
    await world.search(PUPIL, limit=2, cursor=first.next_cursor)
    assert world.query.after == (world.recorder.hits[1].created_at, "mes_1")
    last = await world.search(PUPIL, limit=3)
    assert len(last.results) == 3 and last.next_cursor is None


async def test_best_pages_count_the_hits_before(world: World) -> None:
    world.recorder.hits = [hit(world) for _ in range(5)]
    first = await world.search(PUPIL, order="best", limit=2)
    assert first.next_cursor and decode_cursor(first.next_cursor, "best") == 2
    await world.search(PUPIL, order="best", limit=2, cursor=first.next_cursor)
    assert world.query.after == 2
    deep = await world.search(PUPIL, order="best", limit=2, cursor=encode_cursor(limits.SEARCH_BEST_MAX - 2))
    assert deep.next_cursor is None  # best ranks SEARCH_BEST_MAX hits at most


# ---- results -----------------------------------------------------------------------------------------


async def test_results_carry_escaped_snippets_and_titles(world: World) -> None:
    world.recorder.hits = [
        hit(world, text="<script>alert('rhone')</script> Rhône"),
        hit(world, "thread", title="Le Rhône à Lyon", text="Un fleuve", space_id=world.spaces["forum"]),
        hit(world, "mail", title="Sortie", text="Au bord du rhône", space_id=None),
        hit(world, "file", text="Rapport_Rhône.pdf", space_id=None, author_id=PUPIL.id),
    ]
    page = await world.search(PUPIL)
    message, thread, mail, file = page.results
    assert "<script>" not in message.snippet_html and "&lt;script&gt;" in message.snippet_html
    assert "<mark>Rhône</mark>" in message.snippet_html
    assert thread.title == "Le Rhône à Lyon" and "<mark>Rhône</mark>" in thread.snippet_html  # found by its title
    assert mail.title == "Sortie" and "<mark>rhône</mark>" in mail.snippet_html
    assert file.title == "Rapport_Rhône.pdf"


async def test_visitors_see_no_pupils_id(world: World) -> None:
    world.recorder.hits = [hit(world, space_id=world.spaces["parents"]),
                           hit(world, space_id=world.spaces["parents"], author_id=TEACHER.id, author_role="teacher")]
    pupil, teacher = (await world.search(VISITOR)).results
    assert pupil.author_id is None and pupil.author_name == PUPIL.name and teacher.author_id == TEACHER.id
    assert (await world.search(TEACHER)).results[0].author_id == PUPIL.id


async def test_a_file_of_a_hidden_or_deleted_item_is_shown_only_where_it_may_be_read(world: World) -> None:
    general = world.spaces["general"]
    shared, _ = await world.store.append_message(b.message(general, author=PARTNER.id, project_id=world.project_id))
    hidden, _ = await world.store.append_message(b.message(general, author=PARTNER.id, project_id=world.project_id))
    await world.store.hide_message(general, hidden.id, True, TEACHER.id, utcnow())
    files = {}
    for name, parent in (("shared", shared.id), ("hidden", hidden.id), ("loose", None)):
        record = b.file(world.project_id, owner=PARTNER.id).model_copy(update={
            "name": f"{name}-rhone.txt",
            "attached_to": Attachment(kind="message", id=parent, space_id=general) if parent else None})
        await world.store.add_file(record)
        files[name] = record.id
    mine = b.file(world.project_id, owner=PUPIL.id)
    await world.store.add_file(mine)
    world.recorder.hits = [hit(world, "file", id=files[k], text=f"{k}-rhone.txt", author_id=PARTNER.id)
                           for k in ("shared", "hidden", "loose")]
    world.recorder.hits.append(hit(world, "file", id=mine.id, text="mine-rhone.txt", author_id=PUPIL.id))
    assert [r.id for r in (await world.search(PUPIL)).results] == [files["shared"], mine.id]
    assert [r.id for r in (await world.search(TEACHER)).results] == [files["shared"], files["hidden"]]
    await world.store.delete_message(general, shared.id, PARTNER.id, utcnow())
    assert [r.id for r in (await world.search(PUPIL)).results] == [mine.id]


def test_ascii_text_folds_as_any_text_does() -> None:
    for text in ("".join(chr(c) for c in range(128)), "Hello World_42 ABC xyz"):
        generic = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).casefold()
        assert fold(text) == generic
    assert fold("Élèves MÜNCHEN Straße") == "eleves munchen strasse"
