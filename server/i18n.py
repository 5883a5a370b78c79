"""Which language a request's messages are in, and the catalogues' maintenance commands.

The language (:func:`negotiate`, the one place it is decided): the token's ``lang`` claim, then
what the connection itself asked for (a Socket.IO handshake's ``auth.lang``, which the SDK's
``lang`` option sets), then the request's ``Accept-Language`` by its q-values, then English;
each only when it is one of :data:`rooms.languages.LANGUAGES`, regional tags (``fr-BE``,
``de_AT``) counting as their language.

The catalogues (``rooms/languages.py`` says where they are and how the server reads them)::

    python -m server.i18n extract   # rooms/locales/twinspace.pot from the messages in the code
    python -m server.i18n update    # the .pot merged into every language's .po (new ones created)
    python -m server.i18n compile   # every .po compiled to its .mo, which the server reads
    python -m server.i18n check     # exit 1 when the .pot or a .mo is not current

Built on Babel's catalog API (``Catalog``, ``read_po``/``write_po``, ``write_mo``), so the files
are the ones translators' tools (Poedit, Weblate, Lokalize) open. docs/translations.md.
"""

from __future__ import annotations

import argparse
import io
import re
import sys
from collections.abc import Iterable
from pathlib import Path

from babel.core import negotiate_locale, parse_locale
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from rooms import mentions, notices
from rooms.errors import SPECS
from rooms.languages import DEFAULT_LANGUAGE, DOMAIN, LANGUAGES, LOCALES

ACCEPT_LANGUAGE_MAX_ITEMS = 32  # a browser sends a handful; a longer header is read no further
_TAG = re.compile(r"^[A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8})*$")
_Q = re.compile(r"^q=(0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$")


def accepted_languages(header: str | None) -> list[str]:
    """The language tags of an ``Accept-Language`` header, best first (q-values; ``q=0`` and malformed
    items left out; equal q-values in the header's order)."""
    weighted: list[tuple[float, int, str]] = []
    for position, item in enumerate((header or "").split(",")[:ACCEPT_LANGUAGE_MAX_ITEMS]):
        tag, *params = (part.strip() for part in item.split(";"))
        q = 1.0
        for param in params:
            if (match := _Q.match(param.replace(" ", ""))) is not None:
                q = float(match.group(1))
        if _TAG.match(tag) and q > 0:
            weighted.append((-q, position, tag))
    return [tag for _, _, tag in sorted(weighted)]


def language_of(tag: object) -> str | None:
    """The language of a tag (``de-CH``, ``de_AT``, ``DE`` -> ``de``), or None when it is no tag."""
    if not isinstance(tag, str) or not _TAG.match(tag):
        return None
    try:
        return parse_locale(tag.replace("-", "_"))[0]
    except ValueError:
        return None


def negotiate(*chosen: object, accept_language: str | None = None) -> str:
    """The language of a request's messages: the first of ``chosen`` (the token's ``lang``, then the
    connection's own choice) that the server has, else the best of ``accept_language`` it has, else
    English."""
    preferred = [lang for lang in map(language_of, chosen) if lang]
    preferred += [lang for lang in map(language_of, accepted_languages(accept_language)) if lang]
    return negotiate_locale(preferred, LANGUAGES, aliases={}) or DEFAULT_LANGUAGE


# ---- the catalogues ----------------------------------------------------------------------------

TEMPLATE = LOCALES / f"{DOMAIN}.pot"
_ROOT = Path(__file__).resolve().parents[1]
# A message whose translations leave out a field of the English ({detail}) is no python-brace-format for
# gettext's checks (msgfmt --check, Poedit, Weblate would call the missing field an error); their fields
# are checked by tests/unit/test_catalogues.py instead.
_NOT_BRACE_CHECKED = "no-python-brace-format"


def po_path(lang: str) -> Path:
    return LOCALES / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def messages() -> Iterable[tuple[str, str, str, list[str]]]:
    """Every message the server writes: (context, English, source file, comments for translators)."""
    for spec in SPECS.values():
        notes = [f"Error {spec.code} (HTTP {spec.status})."]
        if "{detail}" in spec.message:
            notes.append("{detail} is English for developers: leave it out"
                         + (", and name the field at fault with {field} instead." if spec.names_field else "."))
        yield spec.code, spec.message, "rooms/errors.py", notes
    for module in (notices, mentions):
        source = str(Path(module.__file__ or "").resolve().relative_to(_ROOT))
        for context, english in module.MESSAGES.items():
            yield context, english, source, ["An e-mail to a teacher; keep {title} and {link}."]


def template() -> Catalog:
    """The ``.pot``: every message of :func:`messages`, with its context and where it is written."""
    catalog = Catalog(domain=DOMAIN, project="Twinspace", header_comment="# Twinspace: the server's messages.\n#",
                      msgid_bugs_address="", fuzzy=False)
    for context, english, source, notes in messages():
        flags = [_NOT_BRACE_CHECKED] if "{detail}" in english else []
        catalog.add(english, context=context, locations=[(source, 0)], auto_comments=notes, flags=flags)
    return catalog


def _po_bytes(catalog: Catalog) -> bytes:
    for message in catalog:
        if _NOT_BRACE_CHECKED in message.flags:  # Babel adds python-brace-format to every message with braces
            message.flags.discard("python-brace-format")
    out = io.BytesIO()
    write_po(out, catalog, width=100, include_lineno=False)
    return out.getvalue()


def _mo_bytes(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_mo(out, catalog)
    return out.getvalue()


def read(path: Path, lang: str | None = None) -> Catalog:
    with path.open("rb") as file:
        return read_po(file, locale=lang, domain=DOMAIN)


def _entries(catalog: Catalog) -> list[tuple[object, ...]]:
    return [(m.context, m.id, tuple(m.auto_comments), tuple(f for f, _ in m.locations), _NOT_BRACE_CHECKED in m.flags)
            for m in catalog if m.id]


def extract() -> None:
    """Write the template, unless it holds these messages already (so its date changes only with them)."""
    catalog = template()
    if TEMPLATE.exists() and _entries(read(TEMPLATE)) == _entries(catalog):
        return
    TEMPLATE.parent.mkdir(parents=True, exist_ok=True)
    TEMPLATE.write_bytes(_po_bytes(catalog))


def update() -> None:
    """Merge the template into every language's catalogue; a changed English message turns its
    translation fuzzy (not used until a translator confirms it), a new one comes untranslated."""
    pot = read(TEMPLATE)
    for lang in LANGUAGES:
        path = po_path(lang)
        if path.exists():
            catalog = read(path, lang)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            catalog = Catalog(locale=lang, domain=DOMAIN, project="Twinspace", fuzzy=False,
                              header_comment=f"# Twinspace: the server's messages in {lang}.\n#")
        catalog.update(pot, update_creation_date=False)
        catalog.obsolete.clear()  # a removed message's old translation is in git's history
        path.write_bytes(_po_bytes(catalog))


def compile_all() -> None:
    for lang in LANGUAGES:
        po_path(lang).with_suffix(".mo").write_bytes(_mo_bytes(read(po_path(lang), lang)))


def stale() -> list[str]:
    """What is not current: the template against the code, each ``.mo`` against its ``.po``."""
    found = []
    if not TEMPLATE.exists() or _entries(read(TEMPLATE)) != _entries(template()):
        found.append(f"{TEMPLATE.relative_to(_ROOT)} (run: python -m server.i18n extract)")
    for lang in LANGUAGES:
        po, mo = po_path(lang), po_path(lang).with_suffix(".mo")
        if not po.exists():
            found.append(f"{po.relative_to(_ROOT)} missing (run: python -m server.i18n update)")
        elif not mo.exists() or mo.read_bytes() != _mo_bytes(read(po, lang)):
            found.append(f"{mo.relative_to(_ROOT)} (run: python -m server.i18n compile)")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m server.i18n", description="The server's message catalogues.")
    parser.add_argument("command", choices=["extract", "update", "compile", "check"])
    command = parser.parse_args(argv).command
    if command == "extract":
        extract()
    elif command == "update":
        update()
    elif command == "compile":
        compile_all()
    else:
        found = stale()
        for line in found:
            print(f"not current: {line}", file=sys.stderr)
        return 1 if found else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
