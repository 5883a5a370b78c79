"""The word filter: shipped lists in three languages, folding, obfuscation, whole words, and who it applies to."""

from __future__ import annotations

import sys

import pytest

from rooms.errors import InvalidRequest
from rooms.models import Member, Project
from rooms.policy import Role
from rooms.projects import Access
from rooms.safeguarding_models import Safeguarding, WordFilterMode
from rooms.wordfilter import collecting, compiled, fold, matches, screen

LANGS = ["de", "en", "fr"]
NONE = Safeguarding()


@pytest.mark.parametrize(("text", "found"), [
    ("you are an asshole", ["asshole"]),  # English
    ("quel connard", ["connard"]),  # French
    ("du Arschloch!", ["arschloch"]),  # German
    ("Quel CONNÀRD", ["connard"]),  # case and accents folded
    ("c'est bourrée", ["bourree"]),  # an accented list entry matches with or without its accent
    ("c'est bourree", ["bourree"]),
    ("you are an a$$", ["ass"]),  # leetspeak
    ("sh1t happens", ["shit"]),  # 1 as i
    ("c0nn4rd", ["connard"]),
    ("4$$", ["ass"]),  # a word of digits and symbols is not a number
    ("5 h 1 7", ["shit"]),  # nor is a digit standing alone
    ("b.a.s.t.a.r.d", ["bastard"]),  # letters spread out
    ("b a s t a r d", ["bastard"]),
    ("shiiiiit", ["shit"]),  # stretched letters
    ("Arrrschloch", ["arschloch"]),
    ("brouter le cresson", ["brouter le cresson"]),  # an entry of several words
])
def test_shipped_words_match_folded_and_obfuscated(text: str, found: list[str]) -> None:
    assert matches(LANGS, NONE, text) == found


@pytest.mark.parametrize("text", [
    "a classic assessment of the class",  # Scunthorpe: whole words only
    "an assassin in Scunthorpe",
    "cocktails and passes",
    "I was so happy",  # letters of two words do not join into one
    "Bonjour à tous, on se voit demain",
    "Guten Morgen, wie geht es euch?",
    "cl@ss",  # de-leeted inside a word is still that word
    "room 455, page 717",  # a number is not leetspeak (it would read "ass", "tit")
    '{"bench":1,"t":2110727.455}',
])
def test_clean_texts_do_not_match(text: str) -> None:
    assert matches(LANGS, NONE, text) == []


def test_only_the_projects_languages_and_its_own_words() -> None:
    assert matches(["en"], NONE, "quel connard") == []
    assert matches(["fr"], NONE, "quel connard") == ["connard"]
    own = Safeguarding(custom_words=["Banane", "gros mot"])
    assert matches(["en"], own, "une BANANE et un gros  mot") == ["banane", "gros mot"]
    numbers = Safeguarding(custom_words=["1488", "h4te"])  # a project's own number is kept as a number
    assert matches(["en"], numbers, "1488 and hate") == ["1488", "hate"]


def test_a_project_takes_everyday_words_out_of_the_shipped_lists() -> None:
    text = "on va bosser ensemble, quel connard"
    assert matches(["fr"], NONE, text) == ["bosser", "connard"]  # "bosser" (to work) is on the French list
    allowed = Safeguarding(allowed_words=["Bosser"], custom_words=["ensemble"])
    assert matches(["fr"], allowed, text) == ["ensemble", "connard"]  # its own words still count


def test_a_matcher_is_compiled_once_per_languages_and_words() -> None:
    assert compiled(("en",), ()) is compiled(("en",), ())
    assert compiled(("en",), ("x1",)) is not compiled(("en",), ())


def test_a_projects_first_matcher_imports_nothing() -> None:
    # The word lists' package comes with the module, as the server starts: imported at a project's
    # first message, it held the event loop for about 150 ms (docs/performance.md).
    before = set(sys.modules)
    assert compiled(("de", "fi", "hu"), ("unheard",)).matches("quite unheard") == ["unheard"]
    assert set(sys.modules) - before == set()


def test_fold_drops_case_and_accents() -> None:
    assert fold("Élève ÇA Straße") == "eleve ca strasse"


def _access(role: Role, mode: WordFilterMode) -> Access:
    project = Project(id="prj_1", title="T", description="", subject="S", age_min=10, age_max=12, languages=LANGS,
                      status="validated", safeguarding=Safeguarding(word_filter=mode), created_by="t1",
                      created_at="2026-12-01T10:00:00.000Z", updated_at="2026-12-01T10:00:00.000Z")
    member = Member(project_id="prj_1", user_id="u1", role=role if role != "support" else "teacher",  # type: ignore[arg-type]
                    display_name="U", added_by="t1", joined_at=project.created_at)
    return Access(project, member, role, "u1")


def test_block_refuses_a_pupils_text() -> None:
    with pytest.raises(InvalidRequest) as refused:
        screen(_access("pupil", "block"), "a title", "quel connard")
    assert refused.value.code == "content.blocked"
    screen(_access("pupil", "block"), "a clean text")


def test_flag_records_a_flag_for_the_action() -> None:
    with collecting() as flags:
        screen(_access("pupil", "flag"), "you are an a$$")
        screen(_access("pupil", "flag"), "hello")
    assert [(f.project_id, f.words) for f in flags] == [("prj_1", ("ass",))]
    screen(_access("pupil", "flag"), "you are an a$$")  # no action collecting: nothing to record into


@pytest.mark.parametrize("role", ["admin", "teacher"])
def test_teachers_are_not_filtered(role: Role) -> None:
    with collecting() as flags:
        screen(_access(role, "block"), "quel connard")
        screen(_access(role, "flag"), "quel connard")
    assert flags == []


def test_off_does_nothing() -> None:
    with collecting() as flags:
        screen(_access("pupil", "off"), "quel connard")
    assert flags == []
