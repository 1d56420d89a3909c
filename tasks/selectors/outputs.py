"""Reads for outputs: the owner's outputs browser, leak-review counts, and blinded images by opaque id."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from tasks.models import Comparison, Output, Prompt, Study, System
from tasks.selectors.studies import studies_visible_to


def leak_review_counts(*, study: Study) -> dict[str, int]:
    rows = Output.objects.filter(study=study).values("leak_review").annotate(n=Count("id"))
    counts = {choice: 0 for choice in Output.LeakReview.values}
    counts.update({row["leak_review"]: row["n"] for row in rows})
    return counts


def outputs_for_owner(
    *, study: Study, leak_review: str | None = None, system: str | None = None, search: str | None = None
) -> QuerySet[Output]:
    """Outputs of a study for the owner's browser, with prompt and system loaded (no N+1).

    Filters: leak-review state, system name, and `search` — a case-insensitive substring of the output
    text, the prompt text or the prompt id.
    """
    qs = Output.objects.filter(study=study).select_related("prompt", "system").order_by("prompt_id", "system__name")
    if leak_review:
        qs = qs.filter(leak_review=leak_review)
    if system:
        qs = qs.filter(system__name=system)
    if search:
        qs = qs.filter(
            Q(text__icontains=search) | Q(prompt__text__icontains=search) | Q(prompt__external_id__icontains=search)
        )
    return qs


def output_for_owner(*, study: Study, public_id: str) -> Output | None:
    """One output of this study by its public id, with its prompt and system; None when there is none."""
    return Output.objects.filter(study=study, public_id=public_id).select_related("prompt", "system").first()


def output_usage(*, output: Output) -> dict[str, int]:
    """How an output is used: its comparisons (active ones) and the judgments they collected."""
    agg = Comparison.objects.filter(Q(output_a=output) | Q(output_b=output)).aggregate(
        comparisons=Count("pk"), active=Count("pk", filter=Q(active=True)), judgments=Sum("judgment_count")
    )
    return {key: int(value or 0) for key, value in agg.items()}


def system_names(*, study: Study) -> list[str]:
    """The study's system names, sorted (for the owner's filters)."""
    return list(System.objects.filter(study=study).order_by("name").values_list("name", flat=True))


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
