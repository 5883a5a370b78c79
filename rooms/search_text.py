"""Words as search sees them: case and accents folded, split on what is not a letter or a digit.

"élèves" and "eleves", "München" and "munchen", "ΠΟΤΑΜΟΣ" and "ποταμός" fold to the same word, in
every script (NFKD, combining marks dropped, casefolded: the folding SQLite's FTS5 ``unicode61``
tokenizer with ``remove_diacritics 2`` applies too). The MongoDB adapter indexes these words; the
domain splits a query with them and marks them in snippets.
"""

from __future__ import annotations

import html
import re
import unicodedata

from rooms import limits

_WORD = re.compile(r"\w+")


def fold(text: str) -> str:
    """Case and accents folded: NFKD, combining marks dropped, casefolded (the word filter's folding too)."""
    if text.isascii():  # most chat text: NFKD leaves it as it is and it has no combining marks
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def terms(text: str) -> list[str]:
    """The folded words of ``text``, in order (``_`` counts as a separator, as in FTS5's unicode61)."""
    return [w for w in _WORD.findall(fold(text).replace("_", " ")) if w]


def snippet_html(text: str, words: tuple[str, ...], prefix: bool = False,
                 width: int = limits.SEARCH_SNIPPET_CHARS) -> str:
    """An escaped excerpt of ``text`` around its first word matching ``words``, each match in ``<mark>``.

    The user's text is always escaped: the only markup is ``<mark>``. Words are compared folded;
    with ``prefix``, the last of ``words`` also matches the start of a word.
    """
    wanted = set(words)
    last = words[-1] if words and prefix else None

    def hit(word: str) -> bool:
        folded = fold(word).replace("_", "")
        return folded in wanted or (last is not None and folded.startswith(last))

    spans = [(m.start(), m.end()) for m in _WORD.finditer(text) if hit(m.group())]
    start = max(0, spans[0][0] - width // 3) if spans else 0
    end = min(len(text), start + width)
    if start > 0:  # begin at a word
        space = text.find(" ", start, spans[0][0] if spans else end)
        start = space + 1 if space != -1 else start
    out = ["…" if start > 0 else ""]
    at = start
    for a, b in spans:
        if a < start or b > end:
            continue
        out += [html.escape(text[at:a]), "<mark>", html.escape(text[a:b]), "</mark>"]
        at = b
    out.append(html.escape(text[at:end]))
    if end < len(text):
        out.append("…")
    return "".join(out)
