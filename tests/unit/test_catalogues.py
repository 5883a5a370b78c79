"""The message catalogues: complete in every language, the same placeholders as the English, current."""

from __future__ import annotations

import re
import string

import pytest
from babel.messages.catalog import Catalog

from rooms import languages, mentions, notices
from rooms.errors import SPECS, InvalidRequest, render
from server import i18n

ENGLISH = {context: english for context, english, _, _ in i18n.messages()}


def fields(template: str) -> set[str]:
    """The ``{name}`` fields of a ``str.format`` template (parsed, not searched: ``{{`` is no field)."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def expected_fields(context: str) -> set[str]:
    """What a translation of ``context`` must show: the English fields but ``detail`` (English for
    developers), and ``field`` in its place for the codes that name the field at fault."""
    english = fields(ENGLISH[context])
    spec = SPECS.get(context)
    if "detail" not in english:
        return english
    return english - {"detail"} | ({"field"} if spec is not None and spec.names_field else set())


@pytest.fixture(scope="module", params=languages.LANGUAGES)
def catalogue(request: pytest.FixtureRequest) -> tuple[str, Catalog]:
    lang = str(request.param)
    return lang, i18n.read(i18n.po_path(lang), lang)


def test_every_message_of_the_code_is_extracted() -> None:
    assert set(ENGLISH) == set(SPECS) | set(notices.MESSAGES) | set(mentions.MESSAGES)
    assert len(SPECS) >= 72


def test_every_catalogue_has_every_message_and_nothing_else(catalogue: tuple[str, Catalog]) -> None:
    lang, catalog = catalogue
    found = {m.context: m for m in catalog if m.id}
    assert set(found) == set(ENGLISH), lang
    for context, message in found.items():
        assert message.id == ENGLISH[context], (lang, context, "run: python -m server.i18n update")
        assert isinstance(message.string, str) and message.string.strip(), (lang, context, "untranslated")
        assert not message.fuzzy, (lang, context, "fuzzy: the English changed; check the translation")
    assert not catalog.obsolete, lang


def test_every_translation_has_the_placeholders_of_the_english(catalogue: tuple[str, Catalog]) -> None:
    lang, catalog = catalogue
    wrong = {}
    for message in catalog:
        if not message.id:
            continue
        context = str(message.context)
        want = fields(ENGLISH[context]) if lang == languages.DEFAULT_LANGUAGE else expected_fields(context)
        got = fields(str(message.string))
        if got != want:
            wrong[context] = (sorted(got), sorted(want))
    assert wrong == {}, lang


def test_english_is_the_code_itself() -> None:
    catalog = i18n.read(i18n.po_path("en"), "en")
    assert {m.context: m.string for m in catalog if m.id} == ENGLISH


def test_french_keeps_its_typography() -> None:
    catalog = i18n.read(i18n.po_path("fr"), "fr")
    for message in catalog:
        text = str(message.string)
        if not message.id or not text:
            continue
        # A space before the double punctuation (the text's ':' but not a URL's), and « » with spaces.
        assert not re.search(r"\S[;!?]|[^\s/]:(?!//)", text.replace("{link}", "")), (message.context, text)
        assert '"' not in text and "“" not in text, (message.context, text)


def test_the_template_and_the_compiled_catalogues_are_current() -> None:
    assert i18n.stale() == []


def test_every_code_renders_in_every_language_with_its_data() -> None:
    data = {"detail": "text: at most 4000 characters", "field": "text", "limit_bytes": 10, "limit": 3, "status": "x",
            "count": 2, "until": "2026-01-01T10:00:00Z", "opens_at": "2026-01-01T08:00:00Z", "path": "/x",
            "retry_after_secs": 5, "file_id": "f1", "platform_role": "pupil", "role": "admin", "quota_bytes": 9,
            "policy": "supervised", "emoji": "👍", "max": 3, "allowed": "1", "options": 3, "state": "open",
            "expires_at": "2026-01-01T10:00:00Z", "quota": 1}
    for lang in languages.LANGUAGES:
        for code in SPECS:
            text = render(code, data, lang)
            assert text.strip() and "{" not in text, (lang, code, text)
            if lang != "en":
                assert "at most 4000" not in text, (lang, code, "detail is English-only")


def test_a_german_refusal_reads_in_german() -> None:
    error = InvalidRequest("request.invalid", detail="text: String should have at most 4000 characters")
    assert render(error.code, error.data, "de") == "Ungültige Anfrage: Prüfe „text“."
    assert render("chat.muted", {"until": "10:00"}, "de").startswith("Du bist hier bis 10:00 stummgeschaltet")
    assert render("chat.muted", {"until": "10:00"}, "pt") == render("chat.muted", {"until": "10:00"}, "en")


def test_a_catalogue_that_lacks_a_message_reads_english() -> None:
    # gettext answers with the msgid when the catalogue has no entry: the English, never an empty text.
    assert languages.translate("de", "no.such_code", "The English.") == "The English."
    assert languages.translate(None, "chat.poll_closed", "This poll is closed.") == "This poll is closed."
