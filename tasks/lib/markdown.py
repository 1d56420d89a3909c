"""Safe Markdown for everything a rater reads (instructions, prompts, outputs).

Two layers: Markdown's raw-HTML handling is switched off (raw tags are shown as
text, never interpreted), and the result goes through nh3 with a strict
allow-list: no scripts, styles, images, iframes, event handlers, ids or classes,
links only to http(s)/mailto and always `rel="noopener noreferrer nofollow"`.
"""

from __future__ import annotations

import markdown
import nh3

ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "del", "sup", "sub",
    "code", "pre", "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto"}


class _NoRawHtml(markdown.extensions.Extension):
    """Treat raw HTML in the source as text: `<b>` shows as `<b>`."""

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")


def render_markdown(text: str) -> str:
    """Markdown (fenced code, tables) to sanitized HTML; safe to mark as safe in templates."""
    if not text:
        return ""
    html = markdown.markdown(text, extensions=["fenced_code", "tables", "sane_lists", _NoRawHtml()])
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
