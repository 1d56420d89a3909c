"""Reads for leaderboards: pairwise counts aggregated in the database, and stored snapshots.

Counts come from one GROUP BY over JudgmentChoice → Judgment → Comparison →
Output.system (plus one more for the per-tag breakdown, which unnests
Prompt.tags in SQL: ``jsonb_array_elements_text`` on PostgreSQL, ``json_each``
on SQLite). Judgments are never iterated in Python here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Count, F, Q, QuerySet

from ratings.models import JudgmentChoice, Leaderboard
from tasks.models import Comparison, Output, Rater, Study

BOTH_BAD_MODES = ("tie", "drop")


@dataclass(frozen=True)
class LeaderboardOptions:
    """What counts toward a leaderboard, and how it is computed (stored as the snapshot's params)."""

    include_excluded_raters: bool = False  # Rater.excluded=True are left out by default
    exclude_flagged_raters: bool = False  # Rater.status='flagged'
    kinds: tuple[str, ...] = (Comparison.Kind.REGULAR,)  # gold and repeat items are left out by default
    include_excluded_outputs: bool = False  # Output.leak_review='excluded' are left out by default
    both_bad: str = "tie"  # "tie" (half a win each) or "drop"
    rounds: int = 1000
    seed: int = 0
    level: float = 0.95
    anchor: str = ""  # a system name pinned to anchor_score; "" = scores average 1000
    anchor_score: float = 1000.0
    elo_max_judgments: int = 500_000  # online Elo needs every judgment in order; skipped above this
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.both_bad not in BOTH_BAD_MODES:
            raise ValueError(f"both_bad must be one of {BOTH_BAD_MODES}")
        if not 1 <= self.rounds <= 10_000:
            raise ValueError("rounds must be between 1 and 10000")
        if not 0.5 <= self.level < 1:
            raise ValueError("level must be in [0.5, 1)")

    def as_params(self) -> dict[str, Any]:
        params = asdict(self)
        params["kinds"] = list(self.kinds)
        params.pop("extra")
        return params


def _choices_for_study(*, study: Study, options: LeaderboardOptions) -> QuerySet[JudgmentChoice]:
    qs = JudgmentChoice.objects.filter(study=study, judgment__comparison__kind__in=list(options.kinds))
    if not options.include_excluded_raters:
        qs = qs.filter(judgment__rater__excluded=False)
    if options.exclude_flagged_raters:
        qs = qs.filter(~Q(judgment__rater__status=Rater.Status.FLAGGED))
    if not options.include_excluded_outputs:
        qs = qs.filter(
            ~Q(judgment__comparison__output_a__leak_review=Output.LeakReview.EXCLUDED),
            ~Q(judgment__comparison__output_b__leak_review=Output.LeakReview.EXCLUDED),
        )
    if options.both_bad == "drop":
        qs = qs.exclude(choice="both_bad")
    return qs


def _pair_values(qs: QuerySet[JudgmentChoice], **extra: Any) -> QuerySet:
    return qs.values(
        "criterion",
        "choice",
        sa=F("judgment__comparison__output_a__system_id"),
        sb=F("judgment__comparison__output_b__system_id"),
        **extra,
    )


def leaderboard_counts(*, study: Study, options: LeaderboardOptions) -> list[tuple[str, int, int, str, int]]:
    """Rows ``(criterion, system_a_id, system_b_id, choice, count)`` over the whole study (one query)."""
    rows = _pair_values(_choices_for_study(study=study, options=options)).annotate(n=Count("id")).order_by()
    return [(r["criterion"], r["sa"], r["sb"], r["choice"], r["n"]) for r in rows]


def leaderboard_tag_counts(*, study: Study, options: LeaderboardOptions) -> list[tuple[str, str, int, int, str, int]]:
    """Rows ``(criterion, tag, system_a_id, system_b_id, choice, count)``: one query that unnests Prompt.tags.

    A judgment on a prompt with several tags counts once in each tag's breakdown.
    """
    inner = _pair_values(
        _choices_for_study(study=study, options=options), tags=F("judgment__comparison__prompt__tags")
    ).order_by()
    inner_sql, params = inner.query.sql_with_params()
    if connection.vendor == "postgresql":
        unnest = (
            "CROSS JOIN LATERAL jsonb_array_elements_text("
            "CASE WHEN jsonb_typeof(t.tags) = 'array' THEN t.tags ELSE '[]'::jsonb END) AS tag(value)"
        )
        where = ""
    elif connection.vendor == "sqlite":
        unnest = ", json_each(t.tags) AS tag"
        where = "WHERE json_type(t.tags) = 'array'"
    else:  # pragma: no cover - other backends are not supported by evalsite
        raise NotImplementedError(f"tag breakdown not implemented for {connection.vendor}")
    sql = (
        f"SELECT t.criterion, CAST(tag.value AS TEXT), t.sa, t.sb, t.choice, COUNT(*) "  # noqa: S608 - inner SQL is Django's, values are params
        f"FROM ({inner_sql}) t {unnest} {where} GROUP BY 1, 2, 3, 4, 5"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [tuple(row) for row in cursor.fetchall()]


def study_criteria_keys(*, study: Study) -> list[str]:
    """The keys of the study's criteria, in order ("overall" when none are configured)."""
    keys: list[str] = [str(c["key"]) for c in (study.criteria or []) if isinstance(c, dict) and c.get("key")]
    return keys or ["overall"]


def study_has_tags(*, study: Study) -> bool:
    return study.prompts.exclude(tags=[]).exists()


def leaderboard_elo_battles(*, study: Study, options: LeaderboardOptions, criterion: str) -> QuerySet:
    """``(system_a_id, system_b_id, choice)`` per judgment in time order, for online Elo (flat values list)."""
    qs = _choices_for_study(study=study, options=options).filter(criterion=criterion)
    return qs.order_by("judgment__created_at", "judgment_id").values_list(
        "judgment__comparison__output_a__system_id", "judgment__comparison__output_b__system_id", "choice"
    )


def leaderboards_for_study(*, study: Study) -> QuerySet[Leaderboard]:
    return Leaderboard.objects.filter(study=study)


def leaderboard_snapshot(*, study: Study, criterion: str, tag: str = "", method: str = "bradley_terry"):
    return Leaderboard.objects.filter(study=study, criterion=criterion, tag=tag, method=method).first()
