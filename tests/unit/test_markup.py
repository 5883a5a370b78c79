"""The light markup renders to HTML that contains only the tags it made."""

from __future__ import annotations

import re

import pytest

from rooms.markup import render


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
