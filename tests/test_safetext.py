"""The text-safety rules of gisplan.safetext: HTML and Markdown escaping of user text."""

from __future__ import annotations

import html
import math
import re

import markdown_it
import pytest

from gisplan.safetext import WORD_JOINER, html_properties, html_text, md_text

HOSTILE = [
    "<img src=x onerror=alert(1)>",
    "<script>alert('x')</script>",
    '"><svg onload=alert(1)>',
    "javascript:alert(1)",
    "' onmouseover='alert(1)",
    "&lt;b&gt;entity&lt;/b&gt;",
    "菜场<b>粗体</b>",
]


@pytest.mark.parametrize("name", HOSTILE)
def test_html_text_is_inert_and_reversible(name):
    out = html_text(name)
    assert "<" not in out and ">" not in out and '"' not in out and "'" not in out
    assert html.unescape(out) == name  # shown literally: the browser decodes the references


def test_html_text_of_none_and_numbers():
    assert html_text(None) == ""
    assert html_text(12) == "12"
    assert html_text("三江口 A&B") == "三江口 A&amp;B"


def test_html_properties_escapes_text_and_keeps_numbers():
    props = {"name": "<b>x</b>", "n": 3, "f": 1.5, "inf": math.inf, "none": None, "ok": True}
    out = html_properties(props)
    assert out == {
        "name": "&lt;b&gt;x&lt;/b&gt;",
        "n": 3,
        "f": 1.5,
        "inf": None,
        "none": None,
        "ok": True,
    }
    assert props["name"] == "<b>x</b>"  # the input is not changed


MARKDOWN_HOSTILE = [
    "![t](http://evil.example/track.png)",
    "[会话已过期，请点此重新登录](http://evil.example/phish)",
    "<http://evil.example/auto>",
    "http://evil.example/bare www.evil.example mail@evil.example",
    "**bold** _it_ `code` ~~s~~",
    "# heading",
    "- list\n1. ordered",
    ":red[colour] :material/home: $x^2$",
    "<img src=x onerror=alert(1)>",
    "a\\b [x]\n\n> quote",
]


def _rendered_text(md: str) -> tuple[str, str]:
    """(html, visible text) of ``md`` under CommonMark with GFM autolinks, tables, strike."""
    parser = (
        markdown_it.MarkdownIt("commonmark", {"linkify": True})
        .enable("linkify")
        .enable("strikethrough")
        .enable("table")
    )
    out = parser.render(md)
    text = html.unescape(re.sub(r"<[^>]+>", "", out)).strip()
    return out, text


@pytest.mark.parametrize("name", MARKDOWN_HOSTILE)
def test_md_text_renders_literally(name):
    out, text = _rendered_text(md_text(name))
    # No element but the paragraph: no link, image, emphasis, heading, list, code, quote.
    tags = set(re.findall(r"<(\w+)", out))
    assert tags <= {"p"}, (name, out)
    # The same characters on one line (the invisible word joiners aside).
    assert text.replace(WORD_JOINER, "") == " ".join(name.split())


def test_md_text_of_none():
    assert md_text(None) == ""
    assert md_text("李规划") == "李规划"
