"""Writes for rater quality: recompute the per-rater measures, apply the study's rules, owner actions.

Every change of a rater's status or exclusion writes a `QualityEvent` (who,
why, when). Judgments are never deleted: exclusion only sets
`Rater.excluded`, which the agreement selectors (and the leaderboard) filter on.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

import numpy as np
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from evalsite.errors import ApplicationError
from evalsite.jobqueue import job_enqueue
from ratings.models import Judgment, JudgmentChoice, QualityEvent, RaterQuality
from ratings.stats import agreement as ag
from ratings.stats import rater_quality as q
from tasks.models import Assignment, Comparison, OutputReport, Rater, Study, default_quality_rules

OWNER_ACTIONS = ("flag", "unflag", "block", "unblock", "exclude", "include")


def _none_if_nan(value: float | None) -> float | None:
    return None if value is None or (isinstance(value, float) and not math.isfinite(value)) else value


def study_quality_rules(*, study: Study) -> dict[str, Any]:
    """The study's rules over the defaults (keys missing on older studies fall back to the defaults)."""
    return {**default_quality_rules(), **(study.quality_rules or {})}


def rater_metrics_compute(*, study: Study) -> dict[int, dict[str, Any]]:
    """Every rater's quality measures for one study, from a handful of aggregate queries.

    Returns {rater_id: metrics}. Measures (None when there is no evidence):
    n_judgments; gold (n_gold, gold_correct, gold_accuracy, gold_interval = Wilson 95%);
    majority agreement (pooled over criteria, regular+gold comparisons, the
    majority formed by non-excluded raters); self-consistency on repeats
    (n_repeat, self_consistency, flipped sides mapped back); position bias on
    the first criterion (n_decisive, n_left, left_share, position_p = exact
    binomial test against 1/2); speed (median_seconds, fast_share below
    fast_threshold_seconds); straight-lining on on-screen answers (longest_run,
    modal_share); skip_rate and report_rate over the rater's assignments; and a
    one-coin Dawid-Skene reliability_weight.
    """
    rules = study_quality_rules(study=study)
    fast_threshold = float(max(study.min_seconds, rules.get("fast_seconds") or 0))
    criteria = study.criterion_keys
    primary = criteria[0]
    crit_index = {c: i for i, c in enumerate(criteria)}

    raters = dict(Rater.objects.filter(study=study).values_list("id", "excluded"))
    judgments = list(
        Judgment.objects.filter(study=study)
        .order_by("rater_id", "created_at", "id")
        .values_list(
            "id", "rater_id", "comparison_id", "seconds", "assignment__left_side", "comparison__kind",
            "comparison__repeat_of_id",
        )
    )  # fmt: skip
    choices: dict[int, dict[str, str]] = defaultdict(dict)
    for judgment_id, criterion, choice in JudgmentChoice.objects.filter(study=study).values_list(
        "judgment_id", "criterion", "choice"
    ):
        choices[judgment_id][criterion] = choice
    gold_answers = dict(
        Comparison.objects.filter(study=study, kind=Comparison.Kind.GOLD).values_list("id", "gold_answers")
    )
    status_counts: dict[int, dict[str, int]] = defaultdict(dict)
    for row in Assignment.objects.filter(study=study).values("rater_id", "status").annotate(n=Count("id")):
        status_counts[row["rater_id"]][row["status"]] = row["n"]
    reports = dict(
        OutputReport.objects.filter(study=study)
        .values("assignment__rater_id")
        .annotate(n=Count("assignment", distinct=True))
        .values_list("assignment__rater_id", "n")
    )

    # Per-rater lists, and the pooled (unit, coder, value) triples for majority and Dawid-Skene.
    per_rater: dict[int, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    by_rater_comparison: dict[tuple[int, int], int] = {}
    units, coders, values = [], [], []
    n_crit = len(criteria)
    for judgment_id, rater_id, comparison_id, seconds, left_side, kind, repeat_of in judgments:
        jc = choices.get(judgment_id, {})
        r = per_rater[rater_id]
        r["seconds"].append(seconds)
        by_rater_comparison[(rater_id, comparison_id)] = judgment_id
        first = jc.get(primary)
        if first is not None:
            if first in ("a", "b"):
                r["left"].append(first == left_side)
                r["screen"].append("left" if first == left_side else "right")
            else:
                r["screen"].append(first)
        if kind == Comparison.Kind.GOLD:
            expected = gold_answers.get(comparison_id) or {}
            checked = [(jc.get(k), v) for k, v in expected.items() if k in jc]
            if checked:
                r["gold"].append(all(got == want for got, want in checked))
        if kind == Comparison.Kind.REPEAT:
            r["repeats"].append((judgment_id, repeat_of))
        elif kind in (Comparison.Kind.REGULAR, Comparison.Kind.GOLD):
            for criterion, choice in jc.items():
                if criterion in crit_index:
                    units.append(comparison_id * n_crit + crit_index[criterion])
                    coders.append(rater_id)
                    values.append(ag.CHOICE_CATEGORIES.index(choice))

    majority = _majority_with_reference(units, coders, values, excluded=raters)
    weights = q.one_coin_dawid_skene(units, coders, values, n_categories=len(ag.CHOICE_CATEGORIES)) if units else {}

    metrics: dict[int, dict[str, Any]] = {}
    for rater_id in raters:
        r = per_rater.get(rater_id, {})
        durations = r.get("seconds", [])
        m: dict[str, Any] = {"n_judgments": len(durations), "fast_threshold_seconds": fast_threshold}
        gold = r.get("gold", [])
        m["n_gold"] = len(gold)
        m["gold_correct"] = int(sum(gold))
        m["gold_accuracy"] = (sum(gold) / len(gold)) if gold else None
        m["gold_interval"] = list(q.wilson_interval(int(sum(gold)), len(gold))) if gold else None
        agree, compared = majority.get(rater_id, (0, 0))
        m["n_majority"] = compared
        m["majority_agreement"] = agree / compared if compared else None
        pairs = []
        for judgment_id, original_comparison in r.get("repeats", []):
            original = by_rater_comparison.get((rater_id, original_comparison))
            if original is None:
                continue
            for criterion, repeat_choice in choices.get(judgment_id, {}).items():
                if criterion in choices.get(original, {}):
                    pairs.append((choices[original][criterion], repeat_choice))
        consistent, n_pairs = q.self_consistency(pairs)
        m["n_repeat"] = n_pairs
        m["self_consistency"] = consistent / n_pairs if n_pairs else None
        left = r.get("left", [])
        m["n_decisive"] = len(left)
        m["n_left"] = int(sum(left))
        m["left_share"] = sum(left) / len(left) if left else None
        m["position_p"] = q.binomial_test(int(sum(left)), len(left)) if left else None
        speed = q.speed_stats(durations, fast_below=fast_threshold)
        m["median_seconds"] = _none_if_nan(speed["median_seconds"])
        m["fast_share"] = _none_if_nan(speed["fast_share"])
        straight = q.straight_lining(r.get("screen", []))
        m["longest_run"] = straight["longest_run"] if r.get("screen") else None
        m["modal_share"] = _none_if_nan(straight["modal_share"])
        statuses = status_counts.get(rater_id, {})
        handed = statuses.get("submitted", 0) + statuses.get("skipped", 0)
        m["skip_rate"] = statuses.get("skipped", 0) / handed if handed else None
        m["report_rate"] = reports.get(rater_id, 0) / handed if handed else None
        m["reliability_weight"] = weights.get(rater_id)
        metrics[rater_id] = {k: _none_if_nan(v) if isinstance(v, float) else v for k, v in m.items()}
    return metrics


def _majority_with_reference(
    units: list[int], coders: list[int], values: list[int], *, excluded: dict[int, bool]
) -> dict[int, tuple[int, int]]:
    """Leave-one-out majority agreement where only non-excluded raters form the majority.

    Non-excluded raters go through `agreement.majority_agreement` directly; an
    excluded rater is compared with the majority of the non-excluded raters on
    the same unit (one rater at a time, so the others never include them).
    """
    u, c, v = (np.asarray(x, dtype=np.int64) for x in (units, coders, values))
    k = len(ag.CHOICE_CATEGORIES)
    out: dict[int, tuple[int, int]] = {}
    if u.size == 0:
        return out
    is_excluded = np.array([excluded.get(int(x), False) for x in c], dtype=bool)
    keep = ~is_excluded
    out.update(ag.majority_agreement(u[keep], c[keep], v[keep], n_categories=k))
    for rater_id in np.unique(c[is_excluded]):
        mask = keep | (c == rater_id)
        result = ag.majority_agreement(u[mask], c[mask], v[mask], n_categories=k)
        out[int(rater_id)] = result.get(int(rater_id), (0, 0))
    return out


def _rule_label(names: list[str], *, limit: int = 50) -> str:
    """Rule names for QualityEvent.rule (50 characters): as many as fit, '+' when some are left out."""
    label = ""
    for name in names:
        candidate = f"{label},{name}" if label else name
        if len(candidate) > limit - 1:
            return label + "+"
        label = candidate
    return label


def _event(*, study: Study, rater: Rater, action: str, reason: str, rule: str = "", user: Any = None) -> QualityEvent:
    return QualityEvent.objects.create(
        study=study, rater=rater, action=action, rule=rule, reason=reason[:2000], by_user=user
    )


def quality_recompute(*, study: Study) -> dict[str, int]:
    """Recompute every rater's measures, store them in RaterQuality, and apply the study's rules.

    Idempotent: a rule flags an active rater once (and blocks once when
    `auto_block` is on); a rater the owner cleared (an owner 'unflagged' or
    'unblocked' event) is left alone by the rules. Returns counts.
    """
    rules = study_quality_rules(study=study)
    metrics = rater_metrics_compute(study=study)
    now = timezone.now()
    flagged = blocked = 0
    with transaction.atomic():
        existing = {rq.rater_id: rq for rq in RaterQuality.objects.filter(study=study)}
        to_create, to_update = [], []
        for rater_id, m in metrics.items():
            m["rules_fired"] = [name for name, _ in q.rules_fired(m, rules)]
            if rater_id in existing:
                rq = existing[rater_id]
                rq.metrics, rq.computed_at = m, now
                to_update.append(rq)
            else:
                to_create.append(RaterQuality(rater_id=rater_id, study=study, metrics=m, computed_at=now))
        RaterQuality.objects.bulk_create(to_create)
        RaterQuality.objects.bulk_update(to_update, ["metrics", "computed_at"])

        cleared = set(
            QualityEvent.objects.filter(
                study=study, rule="", action__in=[QualityEvent.Action.UNFLAGGED, QualityEvent.Action.UNBLOCKED]
            ).values_list("rater_id", flat=True)
        )
        candidates = [rid for rid, m in metrics.items() if m["rules_fired"] and rid not in cleared]
        for rater in Rater.objects.select_for_update().filter(pk__in=candidates).order_by("id"):
            fired = q.rules_fired(metrics[rater.id], rules)
            rule_names = _rule_label([name for name, _ in fired])
            reason = "; ".join(f"{name}: {text}" for name, text in fired)
            if rater.status == Rater.Status.ACTIVE:
                rater.status = Rater.Status.FLAGGED
                rater.save(update_fields=["status"])
                _event(study=study, rater=rater, action=QualityEvent.Action.FLAGGED, rule=rule_names, reason=reason)
                flagged += 1
            if rules.get("auto_block") and rater.status != Rater.Status.BLOCKED:
                rater.status = Rater.Status.BLOCKED
                rater.save(update_fields=["status"])
                _event(study=study, rater=rater, action=QualityEvent.Action.BLOCKED, rule=rule_names, reason=reason)
                blocked += 1
    return {"raters": len(metrics), "flagged": flagged, "blocked": blocked}


_TRANSITIONS: dict[str, tuple[str, tuple[str, ...], str]] = {
    # action: (event action, statuses it applies to, new status)
    "flag": (QualityEvent.Action.FLAGGED, (Rater.Status.ACTIVE,), Rater.Status.FLAGGED),
    "unflag": (QualityEvent.Action.UNFLAGGED, (Rater.Status.FLAGGED,), Rater.Status.ACTIVE),
    "block": (QualityEvent.Action.BLOCKED, (Rater.Status.ACTIVE, Rater.Status.FLAGGED), Rater.Status.BLOCKED),
    "unblock": (QualityEvent.Action.UNBLOCKED, (Rater.Status.BLOCKED,), Rater.Status.ACTIVE),
}


def rater_quality_action(*, study: Study, rater_id: int, action: str, user: Any, reason: str = "") -> Rater:
    """An owner's action on one rater: flag, unflag, block, unblock, exclude or include.

    Idempotent: an action that changes nothing (flagging a flagged rater,
    excluding an excluded one) writes nothing and returns the rater. Unflagging
    a blocked rater is refused (unblock instead). Exclusion keeps every
    judgment; after it commits, the quality job and the results recompute run.
    """
    if action not in OWNER_ACTIONS:
        raise ApplicationError(
            f"Unknown action {action!r}.", code="unknown_action", extra={"field": "action", "allowed": OWNER_ACTIONS}
        )
    reason = (reason or "").strip() or f"{action} by the owner"
    with transaction.atomic():
        rater = Rater.objects.select_for_update().filter(study=study, pk=rater_id).first()
        if rater is None:
            raise ApplicationError("No such rater in this study.", code="not_found", status_code=404)
        if action in _TRANSITIONS:
            event_action, applies_to, new_status = _TRANSITIONS[action]
            if rater.status == new_status:
                return rater
            if rater.status not in applies_to:
                raise ApplicationError(
                    f"Cannot {action} a rater whose status is {rater.status}.",
                    code="invalid_transition",
                    extra={"field": "action", "status": rater.status},
                )
            rater.status = new_status
            rater.save(update_fields=["status"])
            _event(study=study, rater=rater, action=event_action, reason=reason, user=user)
            return rater
        exclude = action == "exclude"
        if rater.excluded == exclude:
            return rater
        rater.excluded = exclude
        rater.save(update_fields=["excluded"])
        _event(
            study=study,
            rater=rater,
            action=QualityEvent.Action.EXCLUDED if exclude else QualityEvent.Action.INCLUDED,
            reason=reason,
            user=user,
        )
        study_id = study.id
        transaction.on_commit(lambda: _after_exclusion_change(study_id))
    return rater


def _after_exclusion_change(study_id: int) -> None:
    job_enqueue("ratings.quality_recompute_study", study_id)
    # Results changed (a rater excluded or included again): agreement is read live; the leaderboard
    # recomputes now, not debounced, so the owner sees the effect of their decision.
    job_enqueue("ratings.leaderboard_recompute", study_id)


def quality_recompute_request(*, study: Study) -> None:
    """An owner asked for fresh rater quality: queue the quality job now."""
    job_enqueue("ratings.quality_recompute_study", study.id)
