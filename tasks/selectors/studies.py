"""Reads for studies. Permission scoping lives here, so every page and API shares it."""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Iterable
from typing import Any

from django.db.models import Count, IntegerField, Model, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Least
from django.utils import timezone

from evalsite.permissions import is_owner
from tasks.models import Assignment, Comparison, Output, Prompt, Rater, Study, System

RATER_VISIBLE_STATUSES = (Study.Status.LIVE, Study.Status.PAUSED, Study.Status.CLOSED)


def studies_visible_to(*, user: Any) -> QuerySet[Study]:
    """Studies an account may see as owner: its own, those shared with it; staff see all; raters none."""
    if not is_owner(user):
        return Study.objects.none()
    qs = Study.objects.all()
    if not user.is_staff:
        qs = qs.filter(Q(owner=user) | Q(shared_with=user)).distinct()
    return qs


def _count_per_study(model: type[Model], **filters: Any) -> Coalesce:
    """A correlated COUNT of `model` rows of the outer study (0 when none): one subquery, no row fan-out."""
    rows = (
        model._default_manager.filter(study=OuterRef("pk"), **filters)
        .order_by()
        .values("study")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


def studies_for_owner_home(*, user: Any) -> QuerySet[Study]:
    """The owner's studies list, each with its owner and the counts the table shows (`n_outputs`,
    `n_comparisons`, `n_judgments` = submitted assignments of any kind) — one query for the whole list."""
    return (
        studies_visible_to(user=user)
        .select_related("owner")
        .annotate(
            n_outputs=_count_per_study(Output),
            n_comparisons=_count_per_study(Comparison),
            n_judgments=_count_per_study(Assignment, status=Assignment.Status.SUBMITTED),
        )
    )


def study_by_slug(*, slug: str) -> Study | None:
    """Any study by its slug (for management commands, which run with the operator's full rights), else None."""
    return Study.objects.filter(slug=slug).select_related("owner").first()


def study_for_owner(*, user: Any, slug: str) -> Study | None:
    """The study with this slug if the account may manage it, else None (callers answer 404: never reveal it)."""
    return studies_visible_to(user=user).filter(slug=slug).first()


def study_counts(*, study: Study) -> dict[str, int]:
    """Headline numbers for the owner's study page, in one query of independent counts (joining systems,
    prompts and raters in one aggregate would multiply them: 6 × 200 × 400k rows for a large crowd)."""
    row = (
        Study.objects.filter(pk=study.pk)
        .annotate(
            n_systems=_count_per_study(System),
            n_prompts=_count_per_study(Prompt),
            n_raters=_count_per_study(Rater),
            n_outputs=_count_per_study(Output),
            n_comparisons=_count_per_study(Comparison),
            n_submitted=_count_per_study(Assignment, status=Assignment.Status.SUBMITTED),
        )
        .values("n_systems", "n_prompts", "n_raters", "n_outputs", "n_comparisons", "n_submitted")
        .first()
    ) or {}
    names = {"systems", "prompts", "raters", "outputs", "comparisons"}
    counts = {name: int(row.get(f"n_{name}") or 0) for name in names}
    counts["assignments_submitted"] = int(row.get("n_submitted") or 0)
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


# The judgment rate behind the time-to-finish estimate: the last hour, or the last day when the hour is quiet.
RATE_WINDOWS = (dt.timedelta(hours=1), dt.timedelta(days=1))
RATE_MIN_JUDGMENTS = 5


def study_progress(*, study: Study, now: dt.datetime | None = None) -> dict[str, Any]:
    """Progress toward the study's target: every active regular comparison judged `redundancy` times.

    `judged` counts each comparison's judgments up to the redundancy (gold and repeat items are extra
    work, not part of the target); `target` = active regular comparisons × redundancy. The estimate of
    the time left divides what remains by the rate of regular judgments in the last hour (or the last
    day when the hour saw fewer than RATE_MIN_JUDGMENTS); `eta_seconds` is None without a recent rate.
    """
    now = now or timezone.now()
    agg = Comparison.objects.filter(study=study, kind=Comparison.Kind.REGULAR, active=True).aggregate(
        comparisons=Count("pk"), judged=Sum(Least("judgment_count", Value(study.redundancy)))
    )
    comparisons, judged = int(agg["comparisons"] or 0), int(agg["judged"] or 0)
    target = comparisons * study.redundancy
    remaining = max(target - judged, 0)
    recent = Assignment.objects.filter(
        study=study, status=Assignment.Status.SUBMITTED, comparison__kind=Comparison.Kind.REGULAR
    )
    rate_window, rate_count = RATE_WINDOWS[-1], 0
    for window in RATE_WINDOWS:
        since = now - window
        # A judgment is only accepted while its lease lives (finished_at < expires_at), so the
        # (status, expires_at) index narrows the scan to recent leases before finished_at decides.
        rate_window, rate_count = window, recent.filter(expires_at__gt=since, finished_at__gte=since).count()
        if rate_count >= RATE_MIN_JUDGMENTS:
            break
    per_hour = rate_count / (rate_window.total_seconds() / 3600)
    eta_seconds = None
    if remaining and rate_count >= RATE_MIN_JUDGMENTS:
        eta_seconds = math.ceil(remaining / rate_count * rate_window.total_seconds())
    return {
        "comparisons": comparisons,
        "redundancy": study.redundancy,
        "judged": judged,
        "target": target,
        "remaining": remaining,
        "percent": (100.0 * judged / target) if target else 0.0,
        "rate_per_hour": round(per_hour, 1),
        "rate_window_hours": rate_window.total_seconds() / 3600,
        "rate_judgments": rate_count,
        "eta_seconds": eta_seconds,
        "eta_at": now + dt.timedelta(seconds=eta_seconds) if eta_seconds is not None else None,
        "done": target > 0 and remaining == 0,
    }


def launch_preview(*, study: Study) -> dict[str, Any]:
    """What launching would do now: comparisons by kind, the judgments the target needs, what blocks it.

    Mirrors `tasks.services.pairing.pairing_generate` (excluded outputs are not paired; a prompt needs
    outputs from two systems; sampled pairing takes min(k, C(n, 2)) pairs per prompt; repeats are
    ceil(repeat_rate × regular)).
    """
    outputs_per_prompt = Counter(
        Output.objects.filter(study=study)
        .exclude(leak_review=Output.LeakReview.EXCLUDED)
        .order_by()
        .values("prompt_id")
        .annotate(n=Count("pk"))
        .values_list("n", flat=True)
    )  # {outputs on a prompt: how many prompts have that many}
    n_prompts = Prompt.objects.filter(study=study).count()
    pairs = [n * (n - 1) // 2 for n, times in outputs_per_prompt.items() if n >= 2 for _ in range(times)]
    if study.pairing == Study.Pairing.SAMPLED:
        pairs = [min(study.pairs_per_prompt, p) for p in pairs]
    regular = sum(pairs)
    repeat = min(regular, math.ceil(study.repeat_rate * regular)) if study.repeat_rate > 0 else 0
    counts = Output.objects.filter(study=study).aggregate(
        outputs=Count("pk"),
        flagged=Count("pk", filter=Q(leak_review=Output.LeakReview.FLAGGED)),
        excluded=Count("pk", filter=Q(leak_review=Output.LeakReview.EXCLUDED)),
    )
    gold = Comparison.objects.filter(study=study, kind=Comparison.Kind.GOLD, active=True).count()
    blockers = []
    if counts["flagged"]:
        blockers.append("leaks_unreviewed")
    if not regular:
        blockers.append("nothing_to_pair")
    return {
        "prompts": n_prompts,
        "prompts_paired": len(pairs),
        "prompts_unpaired": n_prompts - len(pairs),
        "outputs": counts["outputs"],
        "flagged": counts["flagged"],
        "excluded": counts["excluded"],
        "regular": regular,
        "repeat": repeat,
        "gold": gold,
        "judgments_needed": regular * study.redundancy,
        "blockers": blockers,
        "can_launch": study.status == Study.Status.DRAFT and not blockers,
    }


def study_next_step(*, study: Study, outputs: int, flagged: int, judged: int) -> str:
    """The one thing the owner should do next, as a key the page turns into words and a link:
    import → review_leaks → launch → share (live, nothing judged yet) → watch; paused → resume; closed → results.
    """
    if study.status == Study.Status.DRAFT:
        if not outputs:
            return "import"
        return "review_leaks" if flagged else "launch"
    if study.status == Study.Status.LIVE:
        return "share" if not judged else "watch"
    if study.status == Study.Status.PAUSED:
        return "resume"
    return "results"
