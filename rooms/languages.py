"""The languages of the server's messages, and where their translations are read.

Every message a person reads from the server (an error's, an e-mail notice's) is written once in
English in the code, where it is used: the error registry in ``errors.py``, the notices in
``notices.py`` and ``mentions.py``. Each is a gettext message whose context (``msgctxt``) is its
code (``chat.muted``, ``notice.report.subject``) and whose ``msgid`` is the English template, so a
translator's tool shows the code next to the text and a change of the English marks the
translation fuzzy. The translations are gettext catalogues, one per language, in
``rooms/locales/<lang>/LC_MESSAGES/twinspace.po``, compiled to the ``.mo`` next to each (committed,
and checked current by ``tests/unit/test_catalogues.py``); this module reads the ``.mo`` with the
standard library's ``gettext``. ``python -m server.i18n`` extracts, updates and compiles them
(``docs/translations.md``).

Which language a request gets is ``server/i18n.py``'s to decide; here a language is one of
:data:`LANGUAGES`, anything else reads English.
"""

from __future__ import annotations

import functools
import gettext
from pathlib import Path

LANGUAGES = ("en", "fr", "de", "it", "es", "pl")  # the one list; the SDK and the demo page offer the same
DEFAULT_LANGUAGE = "en"
DOMAIN = "twinspace"  # the catalogues' file name: <lang>/LC_MESSAGES/twinspace.mo
LOCALES = Path(__file__).resolve().with_name("locales")


def supported(lang: str | None) -> str:
    """``lang`` when the server has its messages, else English."""
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


@functools.cache
def catalogue(lang: str) -> gettext.GNUTranslations:
    """The compiled catalogue of one of :data:`LANGUAGES`; a missing one fails loudly at first use."""
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}")
    with (LOCALES / lang / "LC_MESSAGES" / f"{DOMAIN}.mo").open("rb") as mo:
        return gettext.GNUTranslations(mo)


def translate(lang: str | None, context: str, english: str) -> str:
    """The translation of the message ``english`` (context ``context``) in ``lang``; the English when
    the catalogue has none."""
    return catalogue(supported(lang)).pgettext(context, english)
