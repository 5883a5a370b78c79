"""The light markup renders to HTML that contains only the tags it made."""

from __future__ import annotations

import random
import re
from html.parser import HTMLParser

import pytest

from rooms.markup import TAGS, render


@pytest.mark.parametrize(("text", "html"), [
    ("plain", "<p>plain</p>"),
    ("**bold** and *italic* and `co*de*`", "<p><strong>bold</strong> and <em>italic</em> and <code>co*de*</code></p>"),
    ("line one\nline two\n\nnext paragraph", "<p>line one<br>line two</p><p>next paragraph</p>"),
    ("- a\n- b", "<ul><li>a</li><li>b</li></ul>"),
    ("> quoted\nanswer", "<blockquote><p>quoted</p></blockquote><p>answer</p>"),
    ("see https://example.org/a?b=1&c=2.", '<p>see <a href="https://example.org/a?b=1&amp;c=2" '
                                            'rel="nofollow noopener">https://example.org/a?b=1&amp;c=2</a>.</p>'),
    ("2 * 3 * 4 and a<b", "<p>2 * 3 * 4 and a&lt;b</p>"),
    ("javascript:alert(1)", "<p>javascript:alert(1)</p>"),
])
def test_render(text: str, html: str) -> None:
    assert render(text) == html


@pytest.mark.parametrize("attack", [
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", '" onmouseover="alert(1)',
    "https://x.org/\"><script>alert(1)</script>", "**<iframe src=//evil>**", "`</code><script>`",
])
def test_user_html_never_becomes_tags(attack: str) -> None:
    out = render(attack)
    tags = set(re.findall(r"<\s*/?\s*([a-zA-Z]+)", out))
    assert tags <= {"p", "br", "strong", "em", "code", "a", "ul", "li", "blockquote"}
    assert "<script" not in out and "<img" not in out and "<iframe" not in out


class _Checker(HTMLParser):
    """Fails on anything but well-formed HTML made of the light markup's tags and a link's href and rel."""

    VOID = {"br"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.open: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in TAGS:
            self.problems.append(f"tag {tag}")
        names = [name for name, _ in attrs]
        if tag == "a":
            values = dict(attrs)
            href = values.get("href") or ""
            if sorted(names) != ["href", "rel"] or values["rel"] != "nofollow noopener":
                self.problems.append(f"link attributes {attrs}")
            if not href.startswith(("http://", "https://")) or "<" in href or ">" in href:
                self.problems.append(f"href {href!r}")
        elif names:
            self.problems.append(f"attributes on {tag}: {attrs}")
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.problems.append(f"self-closing {tag}")

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open.pop() != tag:
            self.problems.append(f"</{tag}> closes nothing open")

    def handle_entityref(self, name: str) -> None:
        if name not in ("amp", "lt", "gt", "quot"):
            self.problems.append(f"entity &{name};")

    def handle_charref(self, name: str) -> None:
        self.problems.append(f"character reference &#{name};")

    def handle_data(self, data: str) -> None:
        if "<" in data or "&" in data:
            self.problems.append(f"raw {data!r}")

    def handle_comment(self, data: str) -> None:
        self.problems.append("comment")

    def unknown_decl(self, data: str) -> None:
        self.problems.append(f"declaration {data!r}")


def problems(out: str) -> list[str]:
    checker = _Checker()
    checker.feed(out)
    checker.close()
    return checker.problems + [f"<{tag}> never closed" for tag in checker.open] + (
        [f"unparsed {checker.rawdata!r}"] if checker.rawdata else [])


HOSTILE = [
    "**https://a.example/**x**",  # the issue's: </strong> ended up inside the href
    "*a **b* c**", "**a *b** c*", "***x** y*", "*a `b* c`", "`a **b` c**", "**`**`**",  # emphasis that crosses
    "https://x.org/a&", "https://x.org/a&amp;b", "x &amp; y &#60; &lt; &#x3c;script&#x3e;", "&", "&#",  # entities
    "https://x.org/\"onmouseover=\"alert(1)", "https://x.org/'><b>", "https://x.org/**", "http://a*b*c.org/",
    "<script>alert(1)</script>", "<a href=javascript:alert(1)>x</a>", "[x](javascript:alert(1))",
    "<javascript:alert(1)>", "javascript:alert(1)", "![i](https://x.org/i.png)", "<!-- c -->", "<![CDATA[x]]>",
    "- *a\n- b*", "> **a\n> b**\nc**", "> > nested\n>", "- - nested\n  - indented", "# heading\n===\n---",
    "    indented code\n```\nfence\n```", "1. ordered\n* star\n+ plus", "a\\\nb  \nc", "\r\n\r\n**x\r\n**",
    "Καλημέρα **你好** *مرحبا* `🙂`", "\u202eevil\u202c **x**", "\x00\x01\x7f", "x\ud800y\udfff", "\ufeff\u200b*z*",
    "*" * 200, "`" * 99, "**a" * 100, "> " * 50 + "deep", "- " * 50 + "deep", "https://" + "a" * 2000,
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_input_renders_well_formed_html(text: str) -> None:
    out = render(text)
    assert problems(out) == [], out


def test_mixed_markup_renders_well_formed_html() -> None:
    pieces = ["*", "**", "`", "> ", "- ", "\n", "\n\n", " ", "a", "<", ">", "&", '"', "'", "https://x.org/",
              "&amp;", "<b>", "</p>", "é", "_"]
    rng = random.Random(18)
    for _ in range(1500):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 24)))
        out = render(text)
        assert problems(out) == [], (text, out)


def test_bold_around_a_link_keeps_the_link_whole() -> None:
    assert render("**see https://a.example/x** now") == (
        '<p><strong>see <a href="https://a.example/x" rel="nofollow noopener">https://a.example/x</a></strong>'
        " now</p>")
    assert render("https://x.org/a&") == (
        '<p><a href="https://x.org/a&amp;" rel="nofollow noopener">https://x.org/a&amp;</a></p>')
