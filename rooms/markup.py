"""The forum's light markup, rendered to safe HTML.

Posts are stored as the plain text their authors typed (``body``); the HTML
(``body_html``) is derived from it here, in two steps:

1. The text is cut into blocks by lines: a blank line separates paragraphs,
   consecutive lines of one kind (text, ``- `` list items, ``> `` quotes)
   render together. The inline markup of each block is parsed and rendered
   by markdown-it (CommonMark) with raw HTML, entities, links, images and
   every other construct off: only line breaks, ``**bold**``, ``*italic*``
   and ```code``` are on, and ``http://`` / ``https://`` addresses become
   links. A parser works on tokens, so a tag always closes where it opened
   and nothing the author typed ends up inside an attribute.
2. The result goes through an allow-list sanitiser (nh3, the Ammonia HTML
   sanitiser): only the tags below survive, only ``href`` (http and https)
   on links, every link gets ``rel="nofollow noopener"``. The sanitiser is
   the guarantee; the renderer is what makes its input already clean.

Markup (documented in ``docs/protocol.md``):

- a blank line separates paragraphs; a single line break stays a line break
- ``**bold**``, ``*italic*``, ```code```
- a line starting with ``> `` is a quotation
- lines starting with ``- `` make a bulleted list
- ``http://`` and ``https://`` addresses become links (``rel="nofollow noopener"``)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline, emphasis
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

TAGS = frozenset({"p", "br", "strong", "em", "code", "a", "ul", "li", "blockquote"})
LINK_REL = "nofollow noopener"
_URL = re.compile(r"\bhttps?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]]")
_BLANK_LINE = re.compile(r"\n[^\S\n]*\n")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _linkify(state: StateCore) -> None:
    """Bare addresses in text become link tokens (never inside code: code spans are not text tokens)."""
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        children: list[Token] = []
        for token in block.children:
            if token.type != "text" or "://" not in token.content:
                children.append(token)
                continue
            at = 0
            for match in _URL.finditer(token.content):
                if match.start() > at:
                    children.append(_text(token.content[at:match.start()], token.level))
                link = Token("link_open", "a", 1, level=token.level)
                link.attrSet("href", match[0])
                link.attrSet("rel", LINK_REL)
                children += [link, _text(match[0], token.level + 1), Token("link_close", "a", -1, level=token.level)]
                at = match.end()
            if at < len(token.content):
                children.append(_text(token.content[at:], token.level))
        block.children = children


def _text(content: str, level: int) -> Token:
    token = Token("text", "", 0, level=level)
    token.content = content
    return token


def _star_emphasis(state: StateInline, silent: bool) -> bool:
    """Emphasis with ``*`` only: ``_`` is no markup here (snake_case_names stay as typed)."""
    return state.src[state.pos] != "_" and emphasis.tokenize(state, silent)


def _break(renderer: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
    return "<br>"


def _parser() -> MarkdownIt:
    md = MarkdownIt("zero", {"breaks": True, "html": False, "linkify": False, "typographer": False})
    md.enable(["newline", "backticks", "emphasis"])
    md.inline.ruler.at("emphasis", _star_emphasis)
    md.core.ruler.push("twinspace_links", _linkify)
    md.add_render_rule("softbreak", _break)
    md.add_render_rule("hardbreak", _break)
    return md


_MD = _parser()


def _inline(lines: list[str]) -> str:
    html: str = _MD.renderInline("\n".join(lines))
    return html


def _kind(line: str) -> str:
    if line.startswith("- "):
        return "list"
    if line.startswith("> ") or line == ">":
        return "quote"
    return "text"


def _run(kind: str, lines: list[str]) -> str:
    if kind == "list":
        return "<ul>" + "".join(f"<li>{_inline([line[2:]])}</li>" for line in lines) + "</ul>"
    if kind == "quote":
        return "<blockquote><p>" + _inline([line[2:] for line in lines]) + "</p></blockquote>"
    return "<p>" + _inline(lines) + "</p>"


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
    text = _SURROGATE.sub("\ufffd", text.replace("\r\n", "\n").replace("\r", "\n"))
    blocks = [b for b in _BLANK_LINE.split(text) if b.strip()]
    rendered = "".join(_block(block.split("\n")) for block in blocks)
    return nh3.clean(rendered, tags=set(TAGS), attributes={"a": {"href"}}, url_schemes={"http", "https"},
                     link_rel=LINK_REL, strip_comments=True)
