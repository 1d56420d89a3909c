"""Reads for studies. Permission scoping lives here, so every page and API shares it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Count, Q, QuerySet

from evalsite.permissions import is_owner
from tasks.models import Comparison, Prompt, Study

RATER_VISIBLE_STATUSES = (Study.Status.LIVE, Study.Status.PAUSED, Study.Status.CLOSED)


def studies_visible_to(*, user: Any) -> QuerySet[Study]:
    """Studies an account may see as owner: its own, those shared with it; staff see all; raters none."""
    if not is_owner(user):
        return Study.objects.none()
    qs = Study.objects.all()
    if not user.is_staff:
        qs = qs.filter(Q(owner=user) | Q(shared_with=user)).distinct()
    return qs


def studies_for_owner_home(*, user: Any) -> QuerySet[Study]:
    """The owner's studies list (with each study's owner loaded for the table)."""
    return studies_visible_to(user=user).select_related("owner")


def study_for_owner(*, user: Any, slug: str) -> Study | None:
    """The study with this slug if the account may manage it, else None (callers answer 404: never reveal it)."""
    return studies_visible_to(user=user).filter(slug=slug).first()


def study_counts(*, study: Study) -> dict[str, int]:
    """Headline numbers for the owner's study page."""
    counts = Study.objects.filter(pk=study.pk).aggregate(
        systems=Count("systems", distinct=True),
        prompts=Count("prompts", distinct=True),
        raters=Count("raters", distinct=True),
    )
    counts["outputs"] = study.outputs.count()
    counts["comparisons"] = study.comparisons.count()
    counts["assignments_submitted"] = study.assignments.filter(status="submitted").count()
    return counts


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


def study_for_rater_link(*, slug: str) -> Study | None:
    """A study a rater may open: live, paused or closed (those show a notice); drafts and unknown slugs: None."""
    return Study.objects.filter(slug=slug, status__in=RATER_VISIBLE_STATUSES).first()


def prompt_ids_with_tags(*, study: Study, tags: Iterable[str]) -> list[int]:
    """Ids of the study's prompts carrying any of `tags` (matched in Python: JSON containment is not portable
    between SQLite and PostgreSQL; prompts are few next to judgments)."""
    wanted = set(tags)
    rows = Prompt.objects.filter(study=study).values_list("id", "tags").iterator(chunk_size=5000)
    return [prompt_id for prompt_id, prompt_tags in rows if wanted.intersection(prompt_tags or [])]
