"""Reads for outputs: the owner's outputs browser, leak-review counts, and blinded images by opaque id."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet

from tasks.models import Output, Prompt, Study
from tasks.selectors.studies import studies_visible_to


def leak_review_counts(*, study: Study) -> dict[str, int]:
    rows = Output.objects.filter(study=study).values("leak_review").annotate(n=Count("id"))
    counts = {choice: 0 for choice in Output.LeakReview.values}
    counts.update({row["leak_review"]: row["n"] for row in rows})
    return counts


def outputs_for_owner(*, study: Study, leak_review: str | None = None, system: str | None = None) -> QuerySet[Output]:
    """Outputs of a study for the owner's browser, with prompt and system loaded (no N+1)."""
    qs = Output.objects.filter(study=study).select_related("prompt", "system").order_by("prompt_id", "system__name")
    if leak_review:
        qs = qs.filter(leak_review=leak_review)
    if system:
        qs = qs.filter(system__name=system)
    return qs


def image_visible_to(*, public_id: str, user: Any) -> Output | Prompt | None:
    """The output (or prompt) whose image has this opaque id, if this visitor may see it; else None.

    Raters (anyone) may see the images of live or paused studies, never those of excluded outputs; the
    study's owners always may.
    """
    item: Output | Prompt | None = (
        Output.objects.select_related("study").filter(public_id=public_id).exclude(image="").first()
    )
    excluded = isinstance(item, Output) and item.leak_review == Output.LeakReview.EXCLUDED
    if item is None:
        item = Prompt.objects.select_related("study").filter(public_id=public_id).exclude(image="").first()
    if item is None:
        return None
    if item.study.status in (Study.Status.LIVE, Study.Status.PAUSED) and not excluded:
        return item
    return item if studies_visible_to(user=user).filter(pk=item.study_id).exists() else None


#: The leak-review states an owner filters by, with their labels.
LEAK_REVIEW_CHOICES = Output.LeakReview.choices
