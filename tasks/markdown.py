"""Safe Markdown: owner-written instructions rendered for raters and owners.

Markdown is converted to HTML, then nh3 (ammonia) keeps only a small allow-list of
tags and attributes: no scripts, no styles, no event handlers, no `javascript:`
links, no images (an owner's instructions must not load third-party content that
could track raters). Shared by the owner pages and the rater pages.
"""

from __future__ import annotations

import markdown as _markdown
import nh3

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "dd",
    "del",
    "dl",
    "dt",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "kbd",
    "li",
    "ol",
    "p",
    "pre",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "td": {"align"}, "th": {"align"}}


def render_markdown(text: str) -> str:
    """Markdown source -> sanitized HTML (safe to mark_safe in a template)."""
    if not text:
        return ""
    html = _markdown.markdown(text, extensions=["extra", "sane_lists"], output_format="html")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
