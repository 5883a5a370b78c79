"""The forum's light markup, rendered to safe HTML.

Posts are stored as the plain text their authors typed. This renderer
escapes every character that HTML gives meaning to *before* it applies
the markup, so the HTML it returns contains only the tags it made itself:
user-written HTML is shown as text, never interpreted.

Markup (documented in ``docs/protocol.md``):

- a blank line separates paragraphs; a single line break stays a line break
- ``**bold**``, ``*italic*``, ```code```
- a line starting with ``> `` is a quotation
- lines starting with ``- `` make a bulleted list
- ``http://`` and ``https://`` addresses become links (``rel="nofollow noopener"``)
"""

from __future__ import annotations

import html
import re

_CODE = re.compile(r"`([^`\n]+)`")
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_ITALIC = re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])")
_URL = re.compile(r"\bhttps?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]]")


def _inline(escaped: str) -> str:
    parts = _CODE.split(escaped)  # odd indexes are code spans: no markup inside
    out = []
    for i, part in enumerate(parts):
        if i % 2:
            out.append(f"<code>{part}</code>")
            continue
        part = _URL.sub(lambda m: f'<a href="{m[0]}" rel="nofollow noopener">{m[0]}</a>', part)
        part = _BOLD.sub(r"<strong>\1</strong>", part)
        part = _ITALIC.sub(r"<em>\1</em>", part)
        out.append(part)
    return "".join(out)


def _kind(line: str) -> str:
    if line.startswith("- "):
        return "list"
    if line.startswith("&gt; ") or line == "&gt;":
        return "quote"
    return "text"


def _run(kind: str, lines: list[str]) -> str:
    if kind == "list":
        return "<ul>" + "".join(f"<li>{_inline(line[2:])}</li>" for line in lines) + "</ul>"
    if kind == "quote":
        return "<blockquote><p>" + "<br>".join(_inline(line[5:]) for line in lines) + "</p></blockquote>"
    return "<p>" + "<br>".join(_inline(line) for line in lines) + "</p>"


def _block(lines: list[str]) -> str:
    """A paragraph: consecutive lines of one kind (text, list, quote) render together."""
    out: list[str] = []
    run: list[str] = []
    kind = ""
    for line in lines:
        if run and _kind(line) != kind:
            out.append(_run(kind, run))
            run = []
        kind = _kind(line)
        run.append(line)
    if run:
        out.append(_run(kind, run))
    return "".join(out)


def render(text: str) -> str:
    """Safe HTML for a post's plain text."""
    escaped = html.escape(text.replace("\r\n", "\n"), quote=True)
    blocks = [b for b in re.split(r"\n\s*\n", escaped) if b.strip()]
    return "".join(_block(block.split("\n")) for block in blocks)
