"""Article bodies: Markdown rendered to HTML with no raw HTML let through, then cleaned
to an allow-list of tags and attributes, so nothing an editor types runs in a reader's
browser; and a short plain-text excerpt for lists and suggestions."""

from __future__ import annotations

import html

import nh3
from markdown_it import MarkdownIt

EXCERPT_LENGTH = 240

# CommonMark with tables and strike-through; `html=False` writes any HTML in the source
# out as text, and markdown-it refuses javascript:, vbscript:, file: and data: links.
_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_MARKDOWN.enable(["table", "strikethrough"])

TAGS = {
    "a", "p", "br", "hr", "strong", "em", "del", "s", "code", "pre", "blockquote",
    "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td", "img",
}  # fmt: skip
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "th": {"style"},
    "td": {"style"},
}
URL_SCHEMES = {"http", "https", "mailto"}


def render(source: str) -> str:
    """Safe HTML of a Markdown body: links get rel="noopener noreferrer nofollow"."""
    return nh3.clean(
        _MARKDOWN.render(source),
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        filter_style_properties={"text-align"},
    )


def plain_text(rendered: str) -> str:
    """The text of rendered HTML, whitespace collapsed."""
    return " ".join(html.unescape(nh3.clean(rendered, tags=set())).split())


def excerpt(rendered: str, length: int = EXCERPT_LENGTH) -> str:
    """The start of the text, cut at a word with an ellipsis when longer."""
    text = plain_text(rendered)
    if len(text) <= length:
        return text
    cut = text[:length].rsplit(" ", 1)[0] or text[:length]
    return cut.rstrip(" ,.;:") + "…"
