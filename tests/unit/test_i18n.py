"""Language negotiation: the token's ``lang``, the connection's own choice, ``Accept-Language``, English."""

from __future__ import annotations

import pytest

from server.i18n import accepted_languages, language_of, negotiate


@pytest.mark.parametrize(("header", "lang"), [
    ("de-CH,de;q=0.9,en;q=0.8", "de"),
    ("pt-BR", "en"),
    ("pt-BR,pt;q=0.9", "en"),
    ("pt-BR,pt;q=0.9,it;q=0.3", "it"),
    ("en;q=0.5,pl;q=0.8", "pl"),  # by q-value, not by position
    ("fr-BE", "fr"),
    ("de_AT", "de"),
    ("ES", "es"),
    ("*", "en"),
    ("pl;q=0,de;q=0.1", "de"),  # q=0 means "not this one"
    ("it;q=1.0, fr ; q=0.99", "it"),
    ("", "en"),
    (None, "en"),
    ("xx-ñ, ;;;, de;q=abc", "de"),  # a malformed q counts as 1, malformed tags are skipped
    (",".join(["pt"] * 40) + ",de", "en"),  # read no further than ACCEPT_LANGUAGE_MAX_ITEMS
])
def test_accept_language(header: str | None, lang: str) -> None:
    assert negotiate(accept_language=header) == lang


def test_the_tokens_lang_comes_first_then_the_connections_then_the_header() -> None:
    assert negotiate("pl", "fr", accept_language="de") == "pl"
    assert negotiate(None, "fr", accept_language="de") == "fr"
    assert negotiate(None, None, accept_language="de") == "de"
    # An unsupported choice gives way to the next one, not to English.
    assert negotiate("pt", None, accept_language="es-ES,es;q=0.9") == "es"
    assert negotiate("pt", "it-IT") == "it"
    # What a client sends as auth.lang may be anything.
    assert negotiate(None, 42, accept_language="de") == "de"
    assert negotiate(None, "<script>") == "en"


def test_equal_q_values_keep_the_headers_order() -> None:
    assert accepted_languages("it, es;q=0.5, fr;q=0.5, de;q=0") == ["it", "es", "fr"]


def test_language_of_a_tag() -> None:
    assert [language_of(t) for t in ("de-CH", "de_AT", "DE", "zh-Hant-TW", "", "-", 3)] == [
        "de", "de", "de", "zh", None, None, None]
