"""Markdown to safe HTML: markdown-it-py (CommonMark, raw HTML off), then nh3.

Headings in the text are moved down to level 3 and below so they sit under the page's own
headings. Whatever the renderer produces, the sanitiser's output is what is returned: only
the tags below, links only to http, https and mailto, no images, no styles, no scripts.
"""

from __future__ import annotations

import html as _html

import nh3
from markdown_it import MarkdownIt

TAGS = {
    "p", "br", "strong", "em", "ul", "ol", "li", "a", "blockquote", "code", "pre",
    "h3", "h4", "h5", "h6", "hr",
}  # fmt: skip
ATTRIBUTES = {"a": {"href"}}
SCHEMES = {"http", "https", "mailto"}
_md = MarkdownIt("commonmark", {"html": False, "linkify": False}).disable("image")


def render(text: str) -> str:
    """Safe HTML for ``text`` (empty string for empty text)."""
    if not text or not text.strip():
        return ""
    tokens = _md.parse(text)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(6, int(token.tag[1]) + 2)}"
    html = _md.renderer.render(tokens, _md.options, {})
    return nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )


def plain(text: str) -> str:
    """The text with Markdown and any markup removed (for summaries and search)."""
    return _html.unescape(nh3.clean(render(text), tags=set())).strip()
