"""The logs of a test run, scanned for what no log line may hold: tokens, secrets, message text.

Every server the tests start writes its log under one run folder, ``test-artifacts/logs/``
(emptied by ``bin/test`` at its start): pytest's (``tests/support/server.py``), the SDK's
(``client-sdk/test/support/server.mjs``) and the browser test's (``tests/browser/demo.test.mjs``).
At its end ``bin/test`` runs ``python -m tests.support.logscan test-artifacts/logs``, which fails
on a hit.

What is looked for:

- tokens by their shape: a JWT's header starts with the base64 of ``{"``, ``eyJ``, whoever signed
  it, and what follows decodes to JSON text (a Socket.IO sid may hold ``eyJ`` by chance; it then
  decodes to bytes that are not text);
- the secrets the run used, as they were handed to servers: each server's HS256 secret, the
  ``--admin-token`` and ``--jwt-secret`` values of its command line and environment;
- message text: what the tests' clients sent (``tests/support/clients.py`` records the text-bearing
  fields of every payload, refused ones included, since a refusal is where a server is tempted to
  echo its input). A recorded text is looked for only when it is words, long enough to mean
  something (``TEXT_MIN_CHARS``, and a space): "ok" sent as a message would match every ``ok`` in
  the log, and one word (``personal_data``, a report's reason) is a code the log may name. Nor is
  a text the server's own code holds (:func:`own_words`): the fuzz tests' Hypothesis draws strings
  from the code's constants, so a client may send "it was deleted", which the server says itself
  in an error's detail.

Servers record the secrets and clients the texts in ``*.never`` files of the run folder, one JSON
object ``{"kind": "secret" | "text", "value": ...}`` a line (:func:`remember`); ``*.log`` files
are the logs. A text is found through its longest word: each log line's words are looked up in
a map from word to texts, and only the texts that share a word with the line are searched for
in it, so the scan costs the log's size, not the log's size times the number of texts.
"""

from __future__ import annotations

import base64
import json
import os
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
RUN_DIR = Path(os.environ.get("TEST_LOG_DIR") or REPO / "test-artifacts" / "logs")
TEXT_MIN_CHARS = 12  # shorter texts ("Bonjour", "ok", "x") are words any log may hold
SECRET_MIN_CHARS = 8  # a secret this short would match by chance (the tests' own are 32 characters or more)
PREFIX_CHARS = 40  # a text is found by its start: a log that cut it short still holds that much
# What people write, in the payloads of rooms/*_models.py: messages, posts and their titles, mail,
# notes and reasons of moderation and reports, poll questions and options, search words.
TEXT_FIELDS = frozenset({"text", "body", "subject", "title", "description", "note", "reason", "comment",
                         "question", "options", "q"})
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{9,}")  # '{"' in base64url, then more of a JSON header


def _json_text(candidate: str) -> bool:
    """Whether a candidate's first 12 characters decode to printable ASCII, as a JSON header does
    (``{"alg":"R``); random URL-safe characters after ``eyJ`` decode to bytes that are not."""
    decoded = base64.urlsafe_b64decode(candidate[:12])
    return all(32 <= b < 127 for b in decoded)
WORD = re.compile(r"\w+")


def remember(kind: str, value: str) -> None:
    """Record something no log line of this run may hold (``kind``: ``secret`` or ``text``)."""
    if len(value) < (SECRET_MIN_CHARS if kind == "secret" else TEXT_MIN_CHARS):
        return
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    with open(RUN_DIR / f"pytest-{os.getpid()}.never", "a", encoding="utf-8") as out:
        out.write(json.dumps({"kind": kind, "value": value}) + "\n")  # escaped: lone surrogates too


def texts_of(payload: Any) -> Iterator[str]:
    """The values of text-bearing fields (``TEXT_FIELDS``) anywhere in a payload."""
    stack = [payload]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                if key in TEXT_FIELDS and isinstance(item, str):
                    yield item
                elif key in TEXT_FIELDS and isinstance(item, list):
                    yield from (option for option in item if isinstance(option, str))
                elif isinstance(item, dict | list | tuple):
                    stack.append(item)
        elif isinstance(value, list | tuple):
            stack.extend(value)


def remember_texts(payload: Any) -> None:
    for text in texts_of(payload):
        remember("text", text)


def own_words() -> str:
    """The source of the server's packages, where every text the server says of itself is written."""
    return "\n".join(path.read_text(encoding="utf-8", errors="replace")
                     for package in ("server", "rooms", "storage") for path in sorted((REPO / package).rglob("*.py")))


@dataclass(frozen=True, slots=True)
class Hit:
    path: Path
    line_no: int
    what: str  # "token", "secret" or "text"
    found: str  # what matched, shortened

    def __str__(self) -> str:
        return f"{self.path.name}:{self.line_no}: a {self.what} ({self.found[:40]!r}...)"


class Scanner:
    """What must not appear, indexed for one pass over each log."""

    def __init__(self, secrets: Iterable[str] = (), texts: Iterable[str] = (), own: str = "") -> None:
        """``own``: the server's own words (:func:`own_words`); a text found in them is not looked for."""
        self.secrets = sorted({s for s in secrets if len(s) >= SECRET_MIN_CHARS})
        self.by_word: dict[str, set[str]] = {}  # a word of a text's start -> those starts
        for text in set(texts):
            if len(text.strip()) < TEXT_MIN_CHARS or not any(c.isspace() for c in text.strip()):
                continue
            if own and text in own:
                continue
            start = text[:PREFIX_CHARS]
            words = WORD.findall(start)
            if len(text) > PREFIX_CHARS and len(words) > 1 and start[-1:].isalnum():
                words = words[:-1]  # cut in the middle: in a log line that word goes on
            if words:
                self.by_word.setdefault(max(words, key=len), set()).add(start)

    @classmethod
    def of_run(cls, run_dir: Path) -> Scanner:
        secrets, texts = [], []
        for path in sorted(run_dir.glob("*.never")):
            for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue  # a line cut short by a killed test process
                (secrets if entry.get("kind") == "secret" else texts).append(str(entry.get("value", "")))
        return cls(secrets, texts, own_words())

    def line(self, line: str) -> Iterator[tuple[str, str]]:
        """(what, found) for each thing ``line`` must not hold."""
        token = next((m for m in JWT.finditer(line) if _json_text(m.group())), None)
        if token:
            yield "token", token.group()
        for secret in self.secrets:
            if secret in line:
                yield "secret", secret
        for word in set(WORD.findall(line)):
            for start in self.by_word.get(word, ()):
                if start in line or json.dumps(start, ensure_ascii=False)[1:-1] in line:
                    yield "text", start

    def logs(self, run_dir: Path) -> list[Hit]:
        hits = []
        for path in sorted(run_dir.rglob("*.log")):
            with open(path, encoding="utf-8", errors="replace") as log:
                for line_no, line in enumerate(log, 1):
                    hits += [Hit(path, line_no, what, found) for what, found in self.line(line)]
        return hits


def main(argv: list[str]) -> int:
    run_dir = Path(argv[0]) if argv else RUN_DIR
    logs = sorted(run_dir.rglob("*.log")) if run_dir.is_dir() else []
    if not logs:
        print(f"logscan: no server log under {run_dir}: the tests wrote none where they should", file=sys.stderr)
        return 1
    scanner = Scanner.of_run(run_dir)
    hits = scanner.logs(run_dir)
    for hit in hits[:50]:
        print(f"logscan: {hit}", file=sys.stderr)
    if hits:
        print(f"logscan: {len(hits)} line(s) hold a token, a secret or message text", file=sys.stderr)
        return 1
    print(f"logscan: {len(logs)} logs, {len(scanner.secrets)} secrets and "
          f"{sum(map(len, scanner.by_word.values()))} texts looked for: none found")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
