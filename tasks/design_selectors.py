"""Reads for the study-design pages and API (outputs browser, gold list, comparison counts)."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from tasks.models import Comparison, ImportJob, Output, Study


def comparison_counts(*, study: Study) -> dict[str, int]:
    """Comparisons of a study: total, active, and per kind."""
    counts = Comparison.objects.filter(study=study).aggregate(
        total=Count("id"),
        active=Count("id", filter=Q(active=True)),
        regular=Count("id", filter=Q(kind=Comparison.Kind.REGULAR)),
        gold=Count("id", filter=Q(kind=Comparison.Kind.GOLD)),
        repeat=Count("id", filter=Q(kind=Comparison.Kind.REPEAT)),
    )
    return {key: int(value or 0) for key, value in counts.items()}


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


def gold_comparisons(*, study: Study) -> QuerySet[Comparison]:
    return (
        Comparison.objects.filter(study=study, kind=Comparison.Kind.GOLD)
        .select_related("prompt", "output_a__system", "output_b__system")
        .order_by("prompt_id", "id")
    )


def import_jobs(*, study: Study) -> QuerySet[ImportJob]:
    return ImportJob.objects.filter(study=study).order_by("-created_at")
