"""Reads for gold pairs."""

from __future__ import annotations

from django.db.models import QuerySet

from tasks.models import Comparison, Study


def gold_comparisons(*, study: Study) -> QuerySet[Comparison]:
    return (
        Comparison.objects.filter(study=study, kind=Comparison.Kind.GOLD)
        .select_related("prompt", "output_a__system", "output_b__system")
        .order_by("prompt_id", "id")
    )
