"""Article bodies render to safe HTML: no raw HTML, no script links, nothing to run."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st
from knowledge.domain import markdown


def test_markdown_renders_emphasis_lists_code_and_links() -> None:
    html = markdown.render(
        "# Printer\n\n**Turn it off** and *on*.\n\n- one\n- two\n\n`code`\n\n"
        "[manual](https://example.com/manual)"
    )
    assert "<h1>Printer</h1>" in html
    assert "<strong>Turn it off</strong>" in html
    assert "<em>on</em>" in html
    assert "<li>one</li>" in html
    assert "<code>code</code>" in html
    assert 'href="https://example.com/manual"' in html
    assert 'rel="noopener noreferrer nofollow"' in html


def test_raw_html_in_the_source_is_written_out_as_text() -> None:
    html = markdown.render('<script>alert(1)</script>\n\n<img src=x onerror="alert(2)">')
    assert "<script" not in html
    assert "<img" not in html
    assert "&lt;script&gt;" in html


def test_script_and_data_links_are_not_links() -> None:
    for link in ("javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,<b>x</b>"):
        html = markdown.render(f"[click]({link})")
        # Left as the text it was typed as: no element, no link.
        assert "<a" not in html
        assert "href" not in html


def test_tables_render() -> None:
    html = markdown.render("| a | b |\n|---|---|\n| 1 | 2 |")
    assert "<table>" in html
    assert "<td>1</td>" in html


def test_the_excerpt_is_plain_text_cut_at_a_word() -> None:
    html = markdown.render("**Bold** text &amp; more " + "word " * 100)
    text = markdown.excerpt(html, 40)
    assert text.startswith("Bold text & more")
    assert text.endswith("…")
    assert len(text) <= 41
    assert "<" not in text
    assert markdown.excerpt(markdown.render("short")) == "short"


@given(st.text(max_size=300))
def test_nothing_typed_yields_an_element_that_runs(source: str) -> None:
    html = markdown.render(source).lower()
    assert "<script" not in html
    assert "<iframe" not in html
    assert "<style" not in html
    assert re.search(r"<[^>]*\son\w*\s*=", html) is None
    assert re.search(r'href="\s*(javascript|vbscript|data):', html) is None
