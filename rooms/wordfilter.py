"""The word filter: a project's shipped word lists and its teachers' own words, matched in pupils' writing.

Word lists come from the maintained, MIT-licensed ``glin-profanity`` package
(its bundled dictionaries, read through its public ``DictionaryLoader``), one
per language of the project (``Project.languages``, ISO 639-1 codes mapped to
the package's names in ``LANGUAGE_NAMES``), plus ``Safeguarding.custom_words``, minus
``Safeguarding.allowed_words`` (everyday words some lists hold: French lists "bosser", to work).

Matching is on whole words, after folding:

- case and accents: NFKD, combining marks dropped, ``casefold`` ("Connàrd" is "connard");
- simple obfuscation: leetspeak (0 o, 1 i or l, 3 e, 4 a, 5 s, 7 t, @ a, $ s), letters
  spread out by separators ("b.a.d", "b a d"), stretched letters ("baaad");
- a number is a number: a word of two digits or more is not read as leetspeak ("room 455",
  "page 717", a year, a score), in pupils' writing and in list entries alike (a project's own
  "1488" matches "1488"); a digit standing alone still may be a letter ("5 h 1 7");
- whole words only: "classic" does not contain "ass" (no Scunthorpe problem); a list
  entry of several words matches those words in a row.

Languages written without spaces (Chinese, Japanese, Thai) cannot be split into words:
their entries match anywhere in the text.

Who is filtered: pupils. Teachers and admins are the project's moderators and are not
filtered (they may need to quote a word to explain why it is not welcome); visitors do
not write. What happens on a match is the project's ``Safeguarding.word_filter``:
``block`` refuses the send with ``content.blocked`` (nothing is stored), ``flag`` lets
it through and files an automatic report (see :func:`screen` and ``rooms/reports.py``),
``off`` does nothing.

:func:`screen` is the one call each send path makes (chat send and edit, forum threads
and posts, mail). It reads nothing from the store (the project is in the caller's
``Access`` already) and compiles a project's words once per (languages, custom words).
"""

from __future__ import annotations

import functools
import re
from contextvars import ContextVar
from dataclasses import dataclass

# Imported with the module, as the server starts: imported at a project's first message instead, it
# held the event loop for about 150 ms, and every connection's traffic waited behind it.
from glin_profanity.data.dictionary import DictionaryLoader

from rooms.errors import InvalidRequest
from rooms.projects import Access
from rooms.safeguarding_models import Safeguarding
from rooms.search_text import fold  # search's folding: one for both

# ISO 639-1 -> glin-profanity's dictionary name.
LANGUAGE_NAMES: dict[str, str] = {
    "ar": "arabic", "zh": "chinese", "cs": "czech", "da": "danish", "nl": "dutch", "en": "english",
    "eo": "esperanto", "fi": "finnish", "fr": "french", "de": "german", "hi": "hindi", "hu": "hungarian",
    "it": "italian", "ja": "japanese", "ko": "korean", "no": "norwegian", "nb": "norwegian", "nn": "norwegian",
    "fa": "persian", "pl": "polish", "pt": "portuguese", "ru": "russian", "es": "spanish", "sv": "swedish",
    "th": "thai", "tr": "turkish",
}
_UNSPACED = frozenset({"zh", "ja", "th"})  # written without spaces between words
_LEET = str.maketrans({"0": "o", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"})
# The words before de-leeting (@ and $ may be letters inside one); "_" is made a space first (a
# pattern with "|_+" costs twice as much to split with).
_SPLIT = re.compile(r"[^\w@$]+")
_DIGITS = re.compile(r"\d\d")  # the text may hold a number
_LEETABLE = re.compile(r"[0-9@$]")  # the text may hold leetspeak
_RUN3 = re.compile(r"(\w)\1{2,}")  # a letter three times or more: stretched
_RUN2 = re.compile(r"(\w)\1+")
MAX_CACHED = 256  # distinct (languages, custom words) sets compiled at once: many more projects than that share them


def _deleeted(text: str) -> list[str]:
    """The words of folded text, each de-leeted unless it is a number (two digits or more)."""
    text = text.replace("_", " ")
    if not _LEETABLE.search(text):  # most messages: nothing to de-leet
        return [t for t in _SPLIT.split(text) if t]
    if not _DIGITS.search(text):  # no number: the whole text at once
        return [t for t in _SPLIT.split(text.translate(_LEET)) if t]
    return [t if len(t) > 1 and t.isdigit() else t.translate(_LEET) for t in _SPLIT.split(text) if t]


def _tokens(text: str) -> list[str]:
    """The words of folded, de-leeted text; a run of single letters ("b a d", "b.a.d") is one word."""
    words: list[str] = []
    run: list[str] = []  # single letters in a row
    for token in _deleeted(text):
        if len(token) == 1:
            run.append(token)
            continue
        if run:
            words.append("".join(run))
            run = []
        words.append(token)
    if run:
        words.append("".join(run))
    return words


def _variants(token: str) -> set[str]:
    """A token as it may have been meant: 1 as i or l (not in a number), stretched letters brought back to one or two."""
    forms = {token.replace("1", "i"), token.replace("1", "l")} if "1" in token and not token.isdigit() else {token}
    for form in list(forms):
        if _RUN3.search(form):
            forms.add(_RUN3.sub(r"\1", form))
            forms.add(_RUN3.sub(r"\1\1", form))
            forms.add(_RUN2.sub(r"\1", form))
    return forms


def _entry(word: str) -> str:
    """A list entry as the matcher keeps it: folded, de-leeted, words separated by one space."""
    return " ".join(_deleeted(fold(word)))


@dataclass(frozen=True)
class Matcher:
    """Compiled words of one (languages, custom words) set."""

    words: frozenset[str]  # single words and "several words" entries
    longest: int  # the most words in one entry
    anywhere: tuple[str, ...]  # entries of unspaced languages, matched as substrings
    heads: frozenset[str] = frozenset()  # the first word of each entry of several words

    def __post_init__(self) -> None:
        if not self.heads:
            object.__setattr__(self, "heads", frozenset(e.split(" ", 1)[0] for e in self.words if " " in e))

    def matches(self, *texts: str | None) -> list[str]:
        """The entries found in ``texts``, in the order found, each once."""
        found: dict[str, None] = {}
        for text in texts:
            if not text:
                continue
            folded = fold(text)
            for entry in self.anywhere:
                if entry in folded:
                    found[entry] = None
            tokens = _tokens(folded)
            words, heads = self.words, self.heads
            stretched = _RUN3.search(" ".join(tokens)) is not None  # one search, not one per word
            for start, token in enumerate(tokens):
                if "1" in token or (stretched and len(token) > 2 and _RUN3.search(token)):
                    for form in _variants(token):
                        if form in words:
                            found[form] = None
                elif token in words:  # most words: no other way to read them
                    found[token] = None
                if token not in heads:  # no entry of several words starts with it
                    continue
                for size in range(2, min(self.longest, len(tokens) - start) + 1):
                    phrase = " ".join(tokens[start:start + size])
                    if phrase in words:
                        found[phrase] = None
        return list(found)


@functools.cache
def _shipped(language: str) -> tuple[str, ...]:
    """The package's list for one ISO language code (empty when it has none)."""
    name = LANGUAGE_NAMES.get(language)
    return tuple(DictionaryLoader().get_words(name)) if name else ()


@functools.lru_cache(maxsize=MAX_CACHED)
def compiled(languages: tuple[str, ...], custom_words: tuple[str, ...],
             allowed_words: tuple[str, ...] = ()) -> Matcher:
    """The matcher for a project's languages and its own words, compiled once and kept.

    ``allowed_words`` are taken out of the shipped lists (a project's own words always count).
    """
    spaced: set[str] = set()
    anywhere: set[str] = set()
    for language in languages:
        target = anywhere if language in _UNSPACED else spaced
        target.update(e for e in (_entry(w) for w in _shipped(language)) if e)
    allowed = {e for e in (_entry(w) for w in allowed_words) if e}
    spaced -= allowed
    anywhere -= allowed
    spaced.update(e for e in (_entry(w) for w in custom_words) if e)
    longest = max((e.count(" ") + 1 for e in spaced), default=1)
    return Matcher(frozenset(spaced), longest, tuple(sorted(e for e in (fold(w) for w in anywhere) if e)))


def matches(languages: list[str], safeguarding: Safeguarding, *texts: str | None) -> list[str]:
    return compiled(tuple(sorted(languages)), tuple(sorted(safeguarding.custom_words)),
                    tuple(sorted(safeguarding.allowed_words))).matches(*texts)


# ---- the call each send path makes ---------------------------------------------------------------


@dataclass(frozen=True)
class Flag:
    """A pupil's text matched in a project whose filter flags: the action files an automatic report."""

    project_id: str
    words: tuple[str, ...]


_FLAGS: ContextVar[list[Flag] | None] = ContextVar("twinspace_word_flags", default=None)


class collecting:  # noqa: N801 - used as a function: ``with collecting() as flags``
    """Collect the flags raised while the block runs (an action around its domain call). A plain
    context manager, not a generator: every action's run makes one."""

    __slots__ = ("_found", "_token")

    def __enter__(self) -> list[Flag]:
        self._found: list[Flag] = []
        self._token = _FLAGS.set(self._found)
        return self._found

    def __exit__(self, *_: object) -> None:
        _FLAGS.reset(self._token)


def screen(access: Access, *texts: str | None) -> None:
    """Apply the project's word filter to a pupil's ``texts`` before they are stored.

    ``block``: a match raises ``content.blocked``. ``flag``: a match is recorded for the
    action that runs this call (:func:`collecting`), which files an automatic report once the
    item is stored. Staff are not filtered. No store read: the project is in ``access``.
    """
    mode = access.project.safeguarding.word_filter
    if mode == "off" or access.role != "pupil":
        return
    found = matches(access.project.languages, access.project.safeguarding, *texts)
    if not found:
        return
    if mode == "block":
        raise InvalidRequest("content.blocked")
    flags = _FLAGS.get()
    if flags is not None:
        flags.append(Flag(access.project.id, tuple(found)))
