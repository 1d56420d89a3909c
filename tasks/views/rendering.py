"""How prompts and outputs look to a rater, shared by the rater's judging page and the owner's full view of
one output ("as raters see it"): one piece of code, so the owner's preview cannot drift from the real page.

Nothing here may depend on which system produced an output.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from tasks.lib.markdown import render_markdown
from tasks.models import Output, Prompt


def output_as_rater_sees(output: Output) -> dict[str, Any]:
    """Identical handling for both sides: rendered Markdown, or the blinded image's opaque URL."""
    return {
        "html": render_markdown(output.text),
        "image_url": reverse("blind-image", args=[output.public_id]) if output.image else "",
    }


def prompt_as_rater_sees(prompt: Prompt) -> dict[str, Any]:
    """The prompt: rendered Markdown, its blinded image, and the chat history before it."""
    return {
        "html": render_markdown(prompt.text),
        "image_url": reverse("blind-image", args=[prompt.public_id]) if prompt.image else "",
        "messages": [
            {"role": str(m.get("role", "")), "html": render_markdown(str(m.get("content", "")))}
            for m in (prompt.messages or [])
            if isinstance(m, dict)
        ],
    }
