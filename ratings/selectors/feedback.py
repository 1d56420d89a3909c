"""Reads for the online-feedback page: per-system satisfaction, scores, A/B win rates and BT, next to the blind board.

All aggregation happens in the database (GROUP BY); the math is in `ratings.stats.rank_correlation`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from django.db.models import Avg, Count, Q, Sum

from ratings.models import METHOD_BT, ApiKey, Feedback
from ratings.selectors.leaderboard import leaderboard_snapshot, leaderboard_system_rows
from ratings.stats import bradley_terry as bt
from ratings.stats.rank_correlation import kendall_tau_b
from ratings.stats.rater_quality import wilson_interval
from tasks.models import Study, System


def blind_leaderboard(*, study: Study, criterion: str = "overall", tag: str = "") -> dict[str, float]:
    """System name -> score from the latest stored Leaderboard (criterion 'overall', all prompts); {} if none."""
    lb = leaderboard_snapshot(study=study, criterion=criterion, tag=tag, method=METHOD_BT)
    if lb is None:
        return {}
    scores: dict[str, float] = {}
    for row in leaderboard_system_rows(lb.result):
        score = row.get("score")
        if isinstance(score, int | float) and not isinstance(score, bool) and math.isfinite(score):
            scores[str(row["system"])] = float(score)
    return scores


def _ranks(scores: dict[str, float]) -> dict[str, int]:
    """1 = best; equal scores share the better rank."""
    ordered = sorted(scores.values(), reverse=True)
    return {name: 1 + ordered.index(score) for name, score in scores.items()}


def feedback_summary(*, study: Study) -> dict[str, Any]:
    """Everything the owner's feedback page shows, computed from a few GROUP BY queries."""
    names = dict(System.objects.filter(study=study).values_list("id", "name"))
    per_system = (
        Feedback.objects.filter(study=study)
        .values("system_id")
        .annotate(
            thumbs_n=Count("id", filter=Q(kind="thumbs")),
            thumbs_up=Sum("value", filter=Q(kind="thumbs")),
            score_n=Count("id", filter=Q(kind="score")),
            score_mean=Avg("value", filter=Q(kind="score")),
        )
    )
    systems: dict[str, dict[str, Any]] = {}
    for row in per_system:
        name = names.get(row["system_id"], "?")
        up = int(row["thumbs_up"] or 0)
        n = int(row["thumbs_n"])
        low, high = wilson_interval(up, n) if n else (0.0, 1.0)
        systems[name] = {
            "system": name,
            "thumbs_n": n,
            "thumbs_up": up,
            "satisfaction": (up / n) if n else None,
            "satisfaction_low": low if n else None,
            "satisfaction_high": high if n else None,
            "score_n": int(row["score_n"]),
            "score_mean": float(row["score_mean"]) if row["score_mean"] is not None else None,
            "ab_n": 0,
            "ab_wins": 0.0,
            "online_bt": None,
        }

    pairs = (
        Feedback.objects.filter(study=study, kind="preference")
        .values("system_id", "system_b_id", "winner")
        .annotate(n=Count("id"))
    )
    pair_counts: dict[tuple[str, str], dict[str, int]] = {}
    matchups: list[tuple[str, str, float, int]] = []
    for row in pairs:
        a, b = names.get(row["system_id"], "?"), names.get(row["system_b_id"], "?")
        outcome = {"a": 1.0, "b": 0.0, "tie": 0.5}[row["winner"]]
        matchups.append((a, b, outcome, row["n"]))
        # Win counts from a's point of view, symmetric table keyed by the ordered pair.
        for x, y, share in ((a, b, outcome), (b, a, 1.0 - outcome)):
            cell = pair_counts.setdefault((x, y), {"n": 0, "wins": 0})
            cell["n"] += row["n"]
            cell["wins"] += share * row["n"]
            entry = systems.setdefault(x, _empty_row(x))
            entry["ab_n"] += row["n"]
            entry["ab_wins"] += share * row["n"]

    online_bt: dict[str, float] = {}
    if matchups:
        order = sorted({m[0] for m in matchups} | {m[1] for m in matchups})
        index = {name: i for i, name in enumerate(order)}
        table = bt.pair_table(
            np.array([index[m[0]] for m in matchups]),
            np.array([index[m[1]] for m in matchups]),
            np.array([m[2] for m in matchups], dtype=float),
            np.array([m[3] for m in matchups], dtype=float),
            n_systems=len(order),
        )
        ratings = bt.fit_bradley_terry(table).scores
        online_bt = {name: float(ratings[index[name]]) for name in order}
        for name, score in online_bt.items():
            systems[name]["online_bt"] = score

    blind = blind_leaderboard(study=study)
    # Online ranking: BT from A/B feedback when there is some, else the thumbs-up share.
    if len(online_bt) >= 2:
        online_scores, online_basis = online_bt, "ab_bt"
    else:
        online_scores = {n: r["satisfaction"] for n, r in systems.items() if r["satisfaction"] is not None}
        online_basis = "satisfaction"
    common = sorted(set(blind) & set(online_scores))
    tau = float("nan")
    disagreements: list[dict[str, Any]] = []
    if len(common) >= 2:
        tau = kendall_tau_b(np.array([blind[n] for n in common]), np.array([online_scores[n] for n in common]))
        for i, x in enumerate(common):
            for y in common[i + 1 :]:
                blind_sign = np.sign(blind[x] - blind[y])
                online_sign = np.sign(online_scores[x] - online_scores[y])
                if blind_sign and online_sign and blind_sign != online_sign:
                    better_blind, worse_blind = (x, y) if blind_sign > 0 else (y, x)
                    disagreements.append({"blind_better": better_blind, "online_better": worse_blind})
    blind_ranks = _ranks(blind)
    online_ranks = _ranks(online_scores)
    rows = []
    for name in sorted(set(systems) | set(blind)):
        row = systems.get(name) or _empty_row(name)
        row["ab_win_rate"] = (row["ab_wins"] / row["ab_n"]) if row["ab_n"] else None
        row["blind_score"] = blind.get(name)
        row["blind_rank"] = blind_ranks.get(name)
        row["online_rank"] = online_ranks.get(name)
        rows.append(row)
    rows.sort(key=lambda r: (r["online_rank"] is None, r["online_rank"] or 0, r["system"]))
    pair_rows = [
        {"system": x, "opponent": y, "n": c["n"], "win_rate": c["wins"] / c["n"]}
        for (x, y), c in sorted(pair_counts.items())
    ]
    return {
        "systems": rows,
        "pairs": pair_rows,
        "blind_available": bool(blind),
        "online_basis": online_basis,
        "kendall_tau": None if math.isnan(tau) else tau,
        "n_common": len(common),
        "disagreements": disagreements,
        "total": Feedback.objects.filter(study=study).count(),
    }


def _empty_row(name: str) -> dict[str, Any]:
    return {
        "system": name,
        "thumbs_n": 0,
        "thumbs_up": 0,
        "satisfaction": None,
        "satisfaction_low": None,
        "satisfaction_high": None,
        "score_n": 0,
        "score_mean": None,
        "ab_n": 0,
        "ab_wins": 0.0,
        "online_bt": None,
    }


def api_keys_for_study(*, study: Study) -> list[ApiKey]:
    return list(ApiKey.objects.filter(study=study).order_by("-created_at"))
