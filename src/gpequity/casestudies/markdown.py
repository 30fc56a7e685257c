"""Markdown to safe HTML: markdown-it-py (CommonMark, raw HTML off), then nh3.

Headings in the text become levels 3 to 6, in the order of the levels used, so they sit
under the page's own headings without skipping a level. Whatever the renderer produces,
the sanitiser's output is what is returned: only the tags below, links only to http, https
and mailto, no images, no styles, no scripts.
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
    # The levels used, in order, become h3, h4, h5, h6: no level is skipped under the
    # page's own h2, whatever levels the writer chose.
    used = sorted({int(t.tag[1]) for t in tokens if t.type == "heading_open"})
    level = {n: f"h{min(6, 3 + i)}" for i, n in enumerate(used)}
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = level[int(token.tag[1])]
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
