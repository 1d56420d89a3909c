"""Reads for leaderboards: pairwise counts aggregated in the database, and stored snapshots.

Counts come from one SQL query: JudgmentChoice ⋈ Judgment ⋈ Comparison →
Output.system, grouped per (criterion, system a, system b, choice); one more query does the
per-tag breakdown by unnesting Prompt.tags in SQL (``jsonb_array_elements_text``
on PostgreSQL, ``json_each`` on SQLite). The Bradley-Terry counts never iterate judgments in
Python; online Elo needs every judgment in time order, so ``leaderboard_elo_battles`` streams
them (one flat values list).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from ratings.models import METHOD_BT, Judgment, JudgmentChoice, Leaderboard
from tasks.models import Comparison, Output, Prompt, Rater, Study

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


def _pair_sql(
    *, study: Study, options: LeaderboardOptions, select: str, joins: str = "", where: str = ""
) -> tuple[str, list[Any]]:
    """FROM/WHERE of the counting query: choices ⋈ judgments ⋈ comparisons ⋈ outputs a and b, options applied.

    Rater filters are ``NOT IN (raters of this study that are excluded/flagged)`` — a hashed subplan on a
    handful of ids instead of a join with every rater.
    """
    choice, judgment = JudgmentChoice._meta.db_table, Judgment._meta.db_table
    comparison, output, rater = Comparison._meta.db_table, Output._meta.db_table, Rater._meta.db_table
    kinds = list(options.kinds)
    conditions = ["jc.study_id = %s", f"c.kind IN ({', '.join(['%s'] * len(kinds))})"]
    params: list[Any] = [study.id, *kinds]
    if not options.include_excluded_raters:
        conditions.append(f"j.rater_id NOT IN (SELECT id FROM {rater} WHERE study_id = %s AND excluded = %s)")  # noqa: S608
        params += [study.id, True]
    if options.exclude_flagged_raters:
        conditions.append(f"j.rater_id NOT IN (SELECT id FROM {rater} WHERE study_id = %s AND status = %s)")  # noqa: S608
        params += [study.id, Rater.Status.FLAGGED]
    if not options.include_excluded_outputs:
        conditions.append("oa.leak_review <> %s AND ob.leak_review <> %s")
        params += [Output.LeakReview.EXCLUDED, Output.LeakReview.EXCLUDED]
    if options.both_bad == "drop":
        conditions.append("jc.choice <> %s")
        params.append("both_bad")
    if where:
        conditions.append(where)
    sql = (
        f"SELECT {select} FROM {choice} jc "  # noqa: S608 - table names from _meta, values are params
        f"JOIN {judgment} j ON j.id = jc.judgment_id JOIN {comparison} c ON c.id = j.comparison_id "
        f"JOIN {output} oa ON oa.id = c.output_a_id JOIN {output} ob ON ob.id = c.output_b_id {joins} "
        f"WHERE {' AND '.join(conditions)}"
    )
    return sql, params


def _fetch(sql: str, params: list[Any]) -> list[tuple]:
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # the hash joins and aggregates of a large study fit in memory instead of spilling to disk
            cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(sql, params)
        return [tuple(row) for row in cursor.fetchall()]


def leaderboard_counts(*, study: Study, options: LeaderboardOptions) -> list[tuple[str, int, int, str, int]]:
    """Rows ``(criterion, system_a_id, system_b_id, choice, count)`` over the whole study (one query)."""
    sql, params = _pair_sql(
        study=study, options=options, select="jc.criterion, oa.system_id, ob.system_id, jc.choice, COUNT(*)"
    )
    return [(c, a, b, ch, int(n)) for c, a, b, ch, n in _fetch(sql + " GROUP BY 1, 2, 3, 4", params)]


def leaderboard_tag_counts(*, study: Study, options: LeaderboardOptions) -> list[tuple[str, str, int, int, str, int]]:
    """Rows ``(criterion, tag, system_a_id, system_b_id, choice, count)``: one query that unnests Prompt.tags.

    A judgment on a prompt with several tags counts once in each tag's breakdown; prompts whose tags are
    not a JSON list count in no tag.
    """
    prompt = Prompt._meta.db_table
    if connection.vendor == "postgresql":
        joins = (
            f"JOIN {prompt} p ON p.id = c.prompt_id CROSS JOIN LATERAL jsonb_array_elements_text("
            "CASE WHEN jsonb_typeof(p.tags) = 'array' THEN p.tags ELSE '[]'::jsonb END) AS tag(value)"
        )
        where = ""
    elif connection.vendor == "sqlite":
        joins = f"JOIN {prompt} p ON p.id = c.prompt_id, json_each(p.tags) AS tag"
        where = "json_type(p.tags) = 'array'"
    else:  # pragma: no cover - other backends are not supported by evalsite
        raise NotImplementedError(f"tag breakdown not implemented for {connection.vendor}")
    sql, params = _pair_sql(
        study=study,
        options=options,
        select="jc.criterion, CAST(tag.value AS TEXT), oa.system_id, ob.system_id, jc.choice, COUNT(*)",
        joins=joins,
        where=where,
    )
    return [(c, str(tag), a, b, ch, int(n)) for c, tag, a, b, ch, n in _fetch(sql + " GROUP BY 1, 2, 3, 4, 5", params)]


def _choices_for_study(*, study: Study, options: LeaderboardOptions) -> QuerySet[JudgmentChoice]:
    """The judgment choices that count, as a queryset (for the per-judgment Elo list)."""
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


def leaderboard_snapshot(*, study: Study, criterion: str, tag: str = "", method: str = METHOD_BT) -> Leaderboard | None:
    return Leaderboard.objects.filter(study=study, criterion=criterion, tag=tag, method=method).first()


def leaderboard_summaries(*, study: Study) -> QuerySet[Leaderboard]:
    """Which snapshots exist (no result bodies loaded)."""
    return leaderboards_for_study(study=study).only("criterion", "tag", "method", "n_judgments", "computed_at")


def leaderboard_tags(*, study: Study, criterion: str) -> list[str]:
    """The prompt tags that have a Bradley-Terry breakdown for this criterion, sorted."""
    tags = (
        leaderboards_for_study(study=study)
        .filter(method=METHOD_BT, criterion=criterion)
        .exclude(tag="")
        .values_list("tag", flat=True)
    )
    return sorted(tags)


def leaderboard_is_stale(*, study: Study, snapshot: Leaderboard | None) -> bool:
    """Whether judgments newer than the snapshot exist (recomputes are debounced)."""
    return snapshot is not None and Judgment.objects.filter(study=study, created_at__gt=snapshot.computed_at).exists()


def leaderboard_system_rows(result: Any) -> list[dict[str, Any]]:
    """The per-system rows inside a stored leaderboard result: the first list of dicts having a `system` key."""
    if isinstance(result, list):
        candidates: Iterable[Any] = [result]
    elif isinstance(result, dict):
        candidates = result.values()
    else:
        return []
    for value in candidates:
        if isinstance(value, list) and value and all(isinstance(r, dict) and "system" in r for r in value):
            return value
    return []


def study_criteria(*, study: Study) -> list[dict[str, str]]:
    """The study's criteria as {key, label} (Overall when none is set)."""
    criteria = [
        {"key": str(c["key"]), "label": str(c.get("label") or c["key"])}
        for c in (study.criteria or [])
        if isinstance(c, dict) and c.get("key")
    ]
    return criteria or [{"key": "overall", "label": "Overall"}]


def leaderboard_choice(*, study: Study, criterion: str = "", tag: str = "") -> tuple[str, str, list[str]]:
    """The (criterion, tag) to show for a request, falling back to the first criterion and all prompts when
    the asked-for ones do not exist; with the tags that have a breakdown."""
    keys = [c["key"] for c in study_criteria(study=study)]
    criterion = criterion if criterion in keys else keys[0]
    tags = leaderboard_tags(study=study, criterion=criterion)
    return criterion, (tag if tag in tags else ""), tags


#: The reasons a study's judgment is not counted in a leaderboard, in the order they are checked (each
#: judgment is counted under the first reason that applies, so the reasons add up).
LEFT_OUT_REASONS = (
    "gold",  # gold items measure raters, not systems
    "repeat",  # repeats duplicate a regular item (self-consistency)
    "excluded_raters",  # raters the owner (or a rule) excluded
    "flagged_raters",  # only when the options leave flagged raters out
    "excluded_outputs",  # the pair shows an output the owner excluded
    "no_choice",  # the judgment has no answer on this criterion (criterion added later)
    "both_bad",  # both-bad votes, when the options drop them
    "other_tags",  # the prompt does not carry the chosen tag
)


def leaderboard_options_of(snapshot: Leaderboard | None) -> LeaderboardOptions:
    """The options a stored snapshot was computed with (the defaults for unknown or missing params)."""
    params = dict(snapshot.params) if snapshot is not None else {}
    known = {
        key: params[key]
        for key in (
            "include_excluded_raters",
            "exclude_flagged_raters",
            "include_excluded_outputs",
            "both_bad",
            "elo_max_judgments",
        )
        if key in params
    }
    if isinstance(params.get("kinds"), list):
        known["kinds"] = tuple(params["kinds"])
    try:
        return LeaderboardOptions(**known)
    except (TypeError, ValueError):
        return LeaderboardOptions()


def leaderboard_count_breakdown(
    *, study: Study, criterion: str, tag: str = "", options: LeaderboardOptions | None = None
) -> dict[str, Any]:
    """Why a leaderboard counts fewer judgments than the study page: every judgment of the study, and how
    many each reason of LEFT_OUT_REASONS leaves out (each under the first reason that applies), under the
    same options the leaderboard query uses (`_pair_sql`). ``counted`` is what the leaderboard counts now;
    ``total = counted + sum(left_out)``. One aggregate query (plus one for the tag's prompts)."""
    options = options or LeaderboardOptions()
    kinds = list(options.kinds)
    excluded = Output.LeakReview.EXCLUDED
    has_choice = JudgmentChoice.objects.filter(judgment=OuterRef("pk"), criterion=criterion)
    qs = Judgment.objects.filter(study=study).annotate(
        answered=Exists(has_choice), answered_both_bad=Exists(has_choice.filter(choice="both_bad"))
    )
    never = Q(pk__isnull=True)  # matches no row (an empty IN would empty the whole aggregate)
    reasons: dict[str, Q] = {
        "gold": Q(comparison__kind=Comparison.Kind.GOLD) if Comparison.Kind.GOLD not in kinds else never,
        "repeat": Q(comparison__kind=Comparison.Kind.REPEAT) if Comparison.Kind.REPEAT not in kinds else never,
        "excluded_raters": Q(rater__excluded=True) if not options.include_excluded_raters else never,
        "flagged_raters": Q(rater__status=Rater.Status.FLAGGED) if options.exclude_flagged_raters else never,
        "excluded_outputs": (
            Q(comparison__output_a__leak_review=excluded) | Q(comparison__output_b__leak_review=excluded)
            if not options.include_excluded_outputs
            else never
        ),
        "no_choice": Q(answered=False),
        "both_bad": Q(answered_both_bad=True) if options.both_bad == "drop" else never,
        "other_tags": never,
    }
    if tag:
        # same matching as the leaderboard's per-tag query: prompts whose tag list holds this tag
        tagged = [
            pid for pid, tags in study.prompts.values_list("id", "tags") if isinstance(tags, list) and tag in tags
        ]
        reasons["other_tags"] = ~Q(comparison__prompt_id__in=tagged)
    aggregates: dict[str, Count] = {"total": Count("pk")}
    remaining = Q()
    for reason in LEFT_OUT_REASONS:
        condition = reasons[reason]
        aggregates[reason] = Count("pk", filter=remaining & condition)
        remaining &= ~condition
    aggregates["counted"] = Count("pk", filter=remaining)
    counts = {key: int(value or 0) for key, value in qs.aggregate(**aggregates).items()}
    return {
        "total": counts["total"],
        "counted": counts["counted"],
        "left_out": {reason: counts[reason] for reason in LEFT_OUT_REASONS if counts[reason]},
        "criterion": criterion,
        "tag": tag,
        "both_bad_mode": options.both_bad,
    }


def leaderboard_elo_note(*, snapshot: Leaderboard | None, tag: str, options: LeaderboardOptions) -> str | None:
    """Why the table's Elo column is empty, as a key: "tag" (Elo runs over all prompts only),
    "too_many" (more judgments than `elo_max_judgments`: online Elo needs them all in order, it is
    skipped), "unrated" (a system has no Elo rating); None when every row has one."""
    if snapshot is None:
        return None
    if tag:
        return "tag"
    if snapshot.n_judgments > options.elo_max_judgments:
        return "too_many"
    rows = snapshot.result.get("systems", []) if isinstance(snapshot.result, dict) else []
    if any(isinstance(r, dict) and r.get("elo") is None for r in rows):
        return "unrated"
    return None
