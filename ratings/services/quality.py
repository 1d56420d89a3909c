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
from ratings.stats import dawid_skene
from ratings.stats import rater_flags as rf
from ratings.stats import rater_quality as q
from tasks.models import Assignment, Comparison, OutputReport, Rater, Study, default_quality_rules

OWNER_ACTIONS = ("flag", "unflag", "block", "unblock", "exclude", "include")


def _none_if_nan(value: float | None) -> float | None:
    return None if value is None or (isinstance(value, float) and not math.isfinite(value)) else value


def study_quality_rules(*, study: Study) -> dict[str, Any]:
    """The study's rules over the defaults (keys missing on older studies fall back to the defaults)."""
    return {**default_quality_rules(), **(study.quality_rules or {})}


def _study_judgment_table(*, study: Study) -> tuple[rf.JudgmentTable, dict[str, np.ndarray]]:
    """The study's judgments as a `rater_flags.JudgmentTable` (one query for judgments, one for choices,
    one for gold answers), in viewing order per rater (the lease time), plus per-row extras."""
    criteria = study.criterion_keys
    crit_index = {c: i for i, c in enumerate(criteria)}
    codes = {c: i for i, c in enumerate(ag.CHOICE_CATEGORIES)}
    kinds: dict[str, int] = {"regular": rf.REGULAR, "gold": rf.GOLD, "repeat": rf.REPEAT}
    rows = list(
        Judgment.objects.filter(study=study)
        .order_by("rater_id", "assignment__leased_at", "id")
        .values_list(
            "id", "rater_id", "comparison_id", "comparison__prompt_id", "assignment_id", "assignment__leased_at",
            "comparison__kind", "comparison__repeat_of_id", "assignment__left_side", "seconds", "rater__excluded",
        )
    )  # fmt: skip
    n, c = len(rows), len(criteria)
    row_of = {judgment_id: k for k, (judgment_id, *_rest) in enumerate(rows)}
    choice = np.full((n, c), -1, dtype=np.int64)
    for judgment_id, criterion, value in JudgmentChoice.objects.filter(study=study).values_list(
        "judgment_id", "criterion", "choice"
    ):
        k = row_of.get(judgment_id)
        if k is not None and criterion in crit_index:
            choice[k, crit_index[criterion]] = codes[value]
    gold_answers = dict(
        Comparison.objects.filter(study=study, kind=Comparison.Kind.GOLD).values_list("id", "gold_answers")
    )
    gold = np.full((n, c), -1, dtype=np.int64)
    first_judgment: dict[tuple[int, int], int] = {}
    original = np.full(n, -1, dtype=np.int64)
    for k, (_jid, rater_id, comparison_id, _p, _a, _l, kind, _r, _s, _sec, _x) in enumerate(rows):
        first_judgment.setdefault((rater_id, comparison_id), k)
        if kind == Comparison.Kind.GOLD:
            for key, answer in (gold_answers.get(comparison_id) or {}).items():
                if key in crit_index and answer in codes:
                    gold[k, crit_index[key]] = codes[answer]
    for k, row in enumerate(rows):
        if row[6] == Comparison.Kind.REPEAT and row[7] is not None:
            original[k] = first_judgment.get((row[1], row[7]), -1)
    leased = [r[5] for r in rows]
    table = rf.JudgmentTable(
        rater=np.array([r[1] for r in rows], dtype=np.int64),
        comparison=np.array([r[2] for r in rows], dtype=np.int64),
        prompt=np.array([r[3] for r in rows], dtype=np.int64),
        # The screen side is drawn per assignment. Judgments imported from one ranking (issue 16) share a
        # screen: pass the ranking's id here once judgments carry it.
        unit=np.array([r[4] for r in rows], dtype=np.int64),
        order=np.array([t.timestamp() if t is not None else np.inf for t in leased], dtype=np.float64),
        kind=np.array([kinds.get(r[6], rf.REGULAR) for r in rows], dtype=np.int64),
        original=original,
        left_is_a=np.array([r[8] == "a" for r in rows], dtype=bool),
        seconds=np.array([np.nan if r[9] is None else float(r[9]) for r in rows], dtype=np.float64),
        choice=choice,
        gold_answer=gold,
        voter=np.array([not r[10] for r in rows], dtype=bool),
    )
    return table, {"judgment_id": np.array([r[0] for r in rows], dtype=np.int64)}


def _rater_reliability(table: rf.JudgmentTable) -> dict[int, dict[str, float | None]]:
    """Full Dawid–Skene (symmetric in the sides, light smoothing) over regular and gold answers, every
    criterion: each rater's side accuracy, side reliability (the leaderboard weight before scaling)."""
    units, coders, values, _ = rf.reliability_triples(table)
    if units.size == 0:
        return {}
    fit = dawid_skene.dawid_skene(units, coders, values, n_categories=len(ag.CHOICE_CATEGORIES), symmetric=True,
                                  smoothing=DS_SMOOTHING, tol=DS_TOL)  # fmt: skip
    accuracy = dawid_skene.side_accuracy(fit)
    reliability = dawid_skene.side_reliability(fit)
    return {
        int(w): {"side_accuracy": _none_if_nan(float(a)), "reliability": _none_if_nan(float(r))}
        for w, a, r in zip(fit.coder_ids, accuracy, reliability, strict=True)
    }


#: Dirichlet pseudo-counts per confusion row in the quality job's Dawid–Skene (a rater with few answers
#: leans on the crowd's pooled matrix).
DS_SMOOTHING = 2.0
#: EM stops when the log-likelihood per label gains less than this (reliabilities then move < 0.005).
DS_TOL = 1e-5


def _study_quality(*, study: Study) -> tuple[dict[int, dict[str, Any]], dict[int, list[tuple[str, str]]]]:
    """Every rater's measures and tests, and the study's flags (one FDR family): (metrics, fired)."""
    rules = study_quality_rules(study=study)
    fast_threshold = float(max(study.min_seconds, rules.get("fast_seconds") or 0))
    raters = dict(Rater.objects.filter(study=study).values_list("id", "excluded"))
    table, _extra = _study_judgment_table(study=study)
    evidence = rf.rater_evidence(table, fast_below=fast_threshold)
    reliability = _rater_reliability(table)
    status_counts: dict[int, dict[str, int]] = defaultdict(dict)
    for row in Assignment.objects.filter(study=study).values("rater_id", "status").annotate(n=Count("id")):
        status_counts[row["rater_id"]][row["status"]] = row["n"]
    reports = dict(
        OutputReport.objects.filter(study=study)
        .values("assignment__rater_id")
        .annotate(n=Count("assignment", distinct=True))
        .values_list("assignment__rater_id", "n")
    )
    n_judgments = dict(zip(*np.unique(table.rater, return_counts=True), strict=True)) if len(table.rater) else {}
    first = table.choice[:, 0] if table.choice.shape[1] else np.full(len(table.rater), -1)

    metrics: dict[int, dict[str, Any]] = {}
    tests_by_rater: dict[int, dict[str, dict]] = {}
    for rater_id in raters:
        e = evidence.get(rater_id) or rf.RaterEvidence.empty()
        mine = table.rater == rater_id
        seconds = table.seconds[mine]
        timed = seconds[np.isfinite(seconds)]
        m: dict[str, Any] = {
            "n_judgments": int(n_judgments.get(rater_id, 0)),
            "n_timed": int(timed.size),
            "fast_threshold_seconds": fast_threshold,
        }
        gold = e.gold_hits
        m["n_gold"] = len(gold)
        m["gold_correct"] = int(sum(gold))
        m["gold_accuracy"] = (sum(gold) / len(gold)) if gold else None
        m["gold_interval"] = list(q.wilson_interval(int(sum(gold)), len(gold))) if gold else None
        m["n_majority"] = len(e.majority_hits)
        m["majority_agreement"] = sum(e.majority_hits) / len(e.majority_hits) if e.majority_hits else None
        m["n_repeat"] = len(e.repeat_hits)
        m["self_consistency"] = sum(e.repeat_hits) / len(e.repeat_hits) if e.repeat_hits else None
        m["n_decisive"] = len(e.side_left)
        m["n_left"] = int(sum(e.side_left))
        m["left_share"] = sum(e.side_left) / len(e.side_left) if e.side_left else None
        speed = q.speed_stats(timed, fast_below=fast_threshold)
        m["median_seconds"] = _none_if_nan(speed["median_seconds"])
        m["fast_share"] = _none_if_nan(speed["fast_share"])
        straight = q.straight_lining(e.screen)
        m["longest_run"] = straight["longest_run"] if e.screen else None
        m["modal_share"] = _none_if_nan(straight["modal_share"])
        answered = first[mine]
        answered = answered[answered >= 0]
        m["tie_share"] = float((answered == 2).mean()) if answered.size else None
        statuses = status_counts.get(rater_id, {})
        handed = statuses.get("submitted", 0) + statuses.get("skipped", 0)
        m["skip_rate"] = statuses.get("skipped", 0) / handed if handed else None
        m["report_rate"] = reports.get(rater_id, 0) / handed if handed else None
        ds = reliability.get(rater_id, {})
        m["side_accuracy"] = ds.get("side_accuracy")
        m["reliability_weight"] = ds.get("reliability")
        tests = rf.rater_tests(e, rules)
        tests_by_rater[rater_id] = tests
        m["tests"] = tests
        metrics[rater_id] = m
    fired = rf.study_flags(tests_by_rater, rules)
    for rater_id, m in metrics.items():
        tests = m["tests"]
        m["position_p"] = tests["position_bias"]["p"]
        m["expected_longest_run"] = tests["straight_lining"]["expected_longest_run"]
        qs = [t["q"] for t in tests.values() if t.get("q") is not None]
        m["min_q"] = min(qs) if qs else None
        m["rules_fired"] = [name for name, _ in fired.get(rater_id, [])]
        metrics[rater_id] = {k: _none_if_nan(v) if isinstance(v, float) else v for k, v in m.items()}
    return metrics, fired


def rater_metrics_compute(*, study: Study) -> dict[int, dict[str, Any]]:
    """Every rater's quality measures and rule tests for one study, and which rules fire (docs/quality.md).

    Returns {rater_id: metrics}. Measures (None when there is no evidence): n_judgments, n_timed
    (judgments whose seconds are known: only they feed speed); gold (n_gold, gold_correct, gold_accuracy,
    gold_interval = Wilson 95%); majority agreement (pooled over criteria, regular + gold comparisons, the
    majority formed by non-excluded raters); self-consistency on repeats (flipped sides mapped back);
    position (n_decisive, n_left, left_share on the first criterion); speed (median_seconds, fast_share
    below fast_threshold_seconds); straight-lining on on-screen answers in the order the rater saw the
    items (longest_run, expected_longest_run, modal_share); tie_share; skip_rate and report_rate; the
    full Dawid–Skene side_accuracy and reliability_weight (``2 · side_accuracy − 1``, tie-blind). ``tests``
    holds each rule's test (p, q over the study's family, evidence counts, design effect; see
    `ratings.stats.rater_flags`); ``position_p``, ``min_q`` and ``rules_fired`` summarise them.
    """
    return _study_quality(study=study)[0]


def rater_reliability_for_study(*, study: Study) -> dict[int, float | None]:
    """{rater_id: stored Dawid–Skene side reliability} (None: no decisive answers yet, or not computed).

    What a leaderboard weighted by rater reliability reads: each judgment of rater w counts
    ``dawid_skene.leaderboard_weights(reliability, judgments_per_rater)[w]`` times (see docs/quality.md).
    """
    stored = dict(RaterQuality.objects.filter(study=study).values_list("rater_id", "metrics"))
    return {rater_id: (metrics or {}).get("reliability_weight") for rater_id, metrics in stored.items()}


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

    The rules are tests whose false-discovery rate over the whole study is held at ``rules["fdr"]``
    (`ratings.stats.rater_flags.study_flags`), so every rater is judged in one pass. Idempotent: a rule flags an active rater once (and blocks once when
    `auto_block` is on); a rater the owner cleared (an owner 'unflagged' or
    'unblocked' event) is left alone by the rules. Returns counts.
    """
    rules = study_quality_rules(study=study)
    metrics, fired_by_rater = _study_quality(study=study)
    now = timezone.now()
    flagged = blocked = 0
    with transaction.atomic():
        existing = {rq.rater_id: rq for rq in RaterQuality.objects.filter(study=study)}
        to_create, to_update = [], []
        for rater_id, m in metrics.items():
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
            fired = fired_by_rater.get(rater.id, [])
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
