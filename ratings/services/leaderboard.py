"""Leaderboard snapshots: aggregate counts in the database, fit Bradley-Terry with bootstrap intervals, store.

Entry points:

* ``leaderboard_recompute(study_id=...)`` — recompute every snapshot of a study (each criterion × (all
  prompts + each prompt tag), method ``bradley_terry``; plus method ``elo`` per criterion) and upsert them
  into ``ratings.Leaderboard`` in one transaction. Idempotent: same data and options give the same rows.
* ``leaderboard_schedule_recompute(study_id=...)`` — the debounced
  trigger of the Celery job (``ratings.jobs.leaderboard_recompute_job``), for ``transaction.on_commit``.
* ``leaderboard_result(...)`` — the pure computation from aggregated rows (used by the bench too).

* ``leaderboard_recompute_request(study=...)`` — an owner's "recompute now": queue the job at once.

The math lives in ``ratings/stats/bradley_terry.py``, ``ratings/stats/elo.py`` and ``ratings/stats/win_rates.py``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from evalsite.jobqueue import job_enqueue
from ratings.models import METHOD_BT, METHOD_ELO, Leaderboard
from ratings.selectors.leaderboard import (
    LeaderboardOptions,
    leaderboard_counts,
    leaderboard_elo_battles,
    leaderboard_tag_counts,
    study_has_tags,
)
from ratings.stats import bradley_terry as bt
from ratings.stats.elo import online_elo
from ratings.stats.win_rates import count_matrices, system_totals, win_rate_matrix
from tasks.models import Study


def _outcome(choice: str) -> float:
    return {"a": 1.0, "b": 0.0, "tie": 0.5, "both_bad": 0.5}[choice]


def _clean(values: Iterable[float], digits: int = 2) -> list[float | None]:
    """Floats for JSON: NaN/inf become None."""
    return [round(float(v), digits) if math.isfinite(v) else None for v in values]


def _matrix(m: np.ndarray, order: np.ndarray, digits: int = 4) -> list[list[float | None]]:
    return [_clean(row, digits) for row in m[np.ix_(order, order)]]


def bootstrap_workers() -> int:
    """Processes for the bootstrap: ``settings.LEADERBOARD_BOOTSTRAP_WORKERS``. Results do not depend on it."""
    return max(1, settings.LEADERBOARD_BOOTSTRAP_WORKERS)


def separation_estimate(
    *, scores: np.ndarray, lower: np.ndarray, upper: np.ndarray, order: np.ndarray, n_judgments: int
) -> dict[str, Any]:
    """Are the top two systems distinguishable yet, and if not, about how many more judgments would separate them?

    Interval half-widths shrink like 1/sqrt(n). With the top system's lower half-width ``h1``, the
    runner-up's upper half-width ``h2`` and the gap ``g`` between their scores, the intervals stop
    overlapping once ``(h1 + h2) * sqrt(n / n') < g``, i.e. at ``n' = n * ((h1 + h2) / g)^2`` judgments
    in total, assuming the gap stays put and new judgments are spread over pairs as the past ones were.
    """
    if order.size < 2:
        return {"distinguishable": None, "top_pair": [], "more_judgments_needed": None}
    first, second = int(order[0]), int(order[1])
    gap = float(scores[first] - scores[second])
    separated = bool(lower[first] > upper[second])
    more: int | None = None
    if not separated and gap > 1e-9 and n_judgments > 0:
        half = float((scores[first] - lower[first]) + (upper[second] - scores[second]))
        more = max(1, math.ceil(n_judgments * (half / gap) ** 2 - n_judgments))
    return {"distinguishable": separated, "top_pair": [first, second], "more_judgments_needed": more}


def leaderboard_result(
    *,
    rows: Iterable[tuple[int, int, str, int]],
    systems: dict[int, str],
    options: LeaderboardOptions,
    elo: dict[int, float] | None = None,
) -> tuple[dict[str, Any], int]:
    """Fit one breakdown from rows ``(system_a_id, system_b_id, choice, count)``; returns (result JSON, n).

    Only systems that appear in the rows are rated; the others are listed under ``unrated``.
    """
    rows = [r for r in rows if r[3] > 0]
    ids = sorted({r[0] for r in rows} | {r[1] for r in rows})
    index = {sid: k for k, sid in enumerate(ids)}
    k = len(ids)
    unrated = sorted(name for sid, name in systems.items() if sid not in index)
    n = int(sum(r[3] for r in rows))
    base = {"systems": [], "unrated": unrated, "n_judgments": n}
    if k < 2:
        base.update(order=[], win_rate=[], win_rate_ties_half=[], battles=[], predicted_win_rate=[])
        base["separation"] = {"distinguishable": None, "top_pair": [], "more_judgments_needed": None}
        base["fit"] = {}
        return base, n
    i = np.array([index[r[0]] for r in rows])
    j = np.array([index[r[1]] for r in rows])
    o = np.array([_outcome(r[2]) for r in rows])
    w = np.array([r[3] for r in rows], dtype=np.float64)
    table = bt.pair_table(i, j, o, w, n_systems=k)
    anchor = None
    if options.anchor:
        anchor = next((index[sid] for sid in ids if systems.get(sid) == options.anchor), None)
    fit = bt.fit_bradley_terry(table, anchor=anchor, anchor_score=options.anchor_score)
    samples = bt.bootstrap_bradley_terry(
        table, fit, rounds=options.rounds, seed=options.seed, workers=bootstrap_workers()
    )
    lower, upper = bt.percentile_intervals(samples, level=options.level)
    rank = bt.arena_rank(lower, upper)
    order = np.argsort(-fit.scores, kind="stable")
    totals = system_totals(table)
    avg_pred = bt.average_win_rate(fit.scores)
    names = [systems.get(sid, str(sid)) for sid in ids]
    entries = []
    for pos in order:
        entry = {
            "system": names[pos],
            "system_id": ids[pos],
            "score": round(float(fit.scores[pos]), 2),
            "lower": round(float(lower[pos]), 2),
            "upper": round(float(upper[pos]), 2),
            "rank": int(rank[pos]),
            "wins": int(totals["wins"][pos]),
            "losses": int(totals["losses"][pos]),
            "ties": int(totals["ties"][pos]),
            "battles": int(totals["battles"][pos]),
            "win_rate": _clean([totals["win_rate"][pos]], 4)[0],
            "avg_predicted_win_rate": _clean([avg_pred[pos]], 4)[0],
        }
        if elo is not None and ids[pos] in elo:
            entry["elo"] = round(elo[ids[pos]], 2)
        entries.append(entry)
    _, _, battles = count_matrices(table)
    sep = separation_estimate(scores=fit.scores, lower=lower, upper=upper, order=order, n_judgments=n)
    sep["top_pair"] = [names[p] for p in sep["top_pair"]]
    base.update(
        systems=entries,
        order=[names[p] for p in order],
        win_rate=_matrix(win_rate_matrix(table, ties="exclude"), order),
        win_rate_ties_half=_matrix(win_rate_matrix(table, ties="half"), order),
        battles=[[int(x) for x in row] for row in battles[np.ix_(order, order)]],
        predicted_win_rate=_matrix(bt.predicted_win_rate(fit.scores), order),
        separation=sep,
        fit={
            "prior_strength": fit.prior_strength,
            "mle_exists": fit.mle_exists,
            "n_components": fit.n_components,
            "iterations": fit.iterations,
            "converged": fit.converged,
            "bootstrap_rounds": options.rounds,
            "bootstrap_prior_strength": fit.prior_strength or bt.BOOTSTRAP_FLOOR,
            "anchor": options.anchor if anchor is not None else "",
            "anchor_score": options.anchor_score if anchor is not None else None,
            "scale": "1000 + 400*log10(strength); ties count half a win",
        },
    )
    return base, n


def leaderboard_compute(
    *, study: Study, options: LeaderboardOptions, progress: Callable[[int, int], None] | None = None
) -> list[Leaderboard]:
    """Unsaved Leaderboard objects for every criterion × (all prompts, each tag), plus Elo per criterion.

    `progress(done, total)` is called after each Elo run and each Bradley-Terry fit (for a command's bar).
    """
    systems = dict(study.systems.values_list("id", "name"))
    groups: dict[tuple[str, str], list[tuple[int, int, str, int]]] = defaultdict(list)
    for criterion, sa, sb, choice, n in leaderboard_counts(study=study, options=options):
        groups[(criterion, "")].append((sa, sb, choice, n))
    if study_has_tags(study=study):
        for criterion, tag, sa, sb, choice, n in leaderboard_tag_counts(study=study, options=options):
            groups[(criterion, str(tag))].append((sa, sb, choice, n))
    criteria = study.criterion_keys
    for criterion in criteria:
        groups.setdefault((criterion, ""), [])
    now = timezone.now()
    params = options.as_params()
    snapshots: list[Leaderboard] = []
    total = len(criteria) + sum(1 for criterion, _tag in groups if criterion in criteria)
    done = 0

    def step() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    for criterion in criteria:
        n_overall = sum(r[3] for r in groups[(criterion, "")])
        elo: dict[int, float] | None = None
        if 0 < n_overall <= options.elo_max_judgments:
            a_ids, b_ids, choices = zip(
                *leaderboard_elo_battles(study=study, options=options, criterion=criterion), strict=True
            )
            ids = sorted(set(a_ids) | set(b_ids))
            index = {sid: k for k, sid in enumerate(ids)}
            ratings = online_elo(
                np.fromiter((index[x] for x in a_ids), dtype=np.int64, count=len(a_ids)),
                np.fromiter((index[x] for x in b_ids), dtype=np.int64, count=len(b_ids)),
                np.fromiter((_outcome(c) for c in choices), dtype=np.float64, count=len(choices)),
                n_systems=len(ids),
            )
            elo = {sid: float(ratings[index[sid]]) for sid in ids}
            order = sorted(elo, key=lambda s: -elo[s])
            snapshots.append(
                Leaderboard(
                    study=study,
                    criterion=criterion,
                    tag="",
                    method=METHOD_ELO,
                    params={**params, "k": 4.0},
                    result={"systems": [{"system": systems.get(s, str(s)), "rating": round(elo[s], 2)} for s in order]},
                    n_judgments=n_overall,
                    computed_at=now,
                )
            )
        step()
    for (criterion, tag), rows in sorted(groups.items()):
        if criterion not in criteria:
            continue  # a criterion the owner removed from the study
        result, n = leaderboard_result(rows=rows, systems=systems, options=options, elo=None)
        snapshots.append(
            Leaderboard(
                study=study,
                criterion=criterion,
                tag=tag,
                method=METHOD_BT,
                params=params,
                result=result,
                n_judgments=n,
                computed_at=now,
            )
        )
        step()
    _attach_elo(snapshots)
    return snapshots


def _attach_elo(snapshots: list[Leaderboard]) -> None:
    """Copy each criterion's Elo rating into its all-prompts BT table, for one-table display."""
    elo_by_criterion = {
        s.criterion: {e["system"]: e["rating"] for e in s.result["systems"]}
        for s in snapshots
        if s.method == METHOD_ELO
    }
    for s in snapshots:
        if s.method == METHOD_BT and s.tag == "" and s.criterion in elo_by_criterion:
            for entry in s.result["systems"]:
                if entry["system"] in elo_by_criterion[s.criterion]:
                    entry["elo"] = elo_by_criterion[s.criterion][entry["system"]]


def leaderboard_recompute(
    *,
    study_id: int,
    options: LeaderboardOptions | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[Leaderboard]:
    """Recompute and store every snapshot of a study (upsert on the unique constraint; stale ones deleted)."""
    study = Study.objects.get(pk=study_id)
    options = options or LeaderboardOptions()
    snapshots = leaderboard_compute(study=study, options=options, progress=progress)
    with transaction.atomic():
        Leaderboard.objects.bulk_create(
            snapshots,
            update_conflicts=True,
            unique_fields=["study", "criterion", "tag", "method"],
            update_fields=["params", "result", "n_judgments", "computed_at"],
        )
        keep = {(s.criterion, s.tag, s.method) for s in snapshots}
        stale = [
            pk
            for pk, c, t, m in Leaderboard.objects.filter(study=study).values_list("pk", "criterion", "tag", "method")
            if (c, t, m) not in keep
        ]
        if stale:
            Leaderboard.objects.filter(pk__in=stale).delete()
    return list(Leaderboard.objects.filter(study=study))


def debounce_seconds() -> int:
    """The window, ``settings.LEADERBOARD_DEBOUNCE_SECONDS`` (default 30)."""
    return settings.LEADERBOARD_DEBOUNCE_SECONDS


def leaderboard_schedule_recompute(*, study_id: int) -> bool:
    """Queue a recompute of the study's leaderboards, at most once per debounce window; True if queued.

    The first call in a window sets a cache key (``cache.add`` is atomic) and queues the Celery job with
    ``countdown`` = the window, so the job runs after the window and sees every judgment that arrived in
    it; later calls in the window do nothing. Call it from ``transaction.on_commit`` after storing a
    judgment::

        transaction.on_commit(lambda: leaderboard_schedule_recompute(study_id=study.id))

    The debounce is as shared as the cache backend: configure a shared cache (Redis) in production. In
    eager mode (no broker) the job runs at once, in-process.
    """
    window = debounce_seconds()
    if not cache.add(f"evalsite:leaderboard:debounce:{study_id}", timezone.now().isoformat(), timeout=window):
        return False
    job_enqueue("ratings.leaderboard_recompute", study_id, countdown=window)
    return True


def leaderboard_recompute_request(*, study: Study) -> None:
    """An owner asked for fresh leaderboards: queue the recompute job now (not debounced)."""
    job_enqueue("ratings.leaderboard_recompute", study.id)
