"""`{{ text|markdown }}`: tasks.lib.markdown in templates (sanitised HTML, marked safe)."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe

from tasks.lib.markdown import render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str | None) -> SafeString:
    """Markdown source to HTML that went through the nh3 allow-list, so it may be marked safe."""
    return mark_safe(render_markdown(text or ""))  # noqa: S308 (sanitised by nh3 in render_markdown)
