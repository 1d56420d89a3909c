"""Rater flags on a simulated crowd (`demo.crowd.simulate_crowd`), without the database — for tests and bench.

- ``crowd_table``: the crowd's rows as the `JudgmentTable` the quality service builds from the database.
- ``new_flags``: the product's rules (`ratings.stats.rater_flags`) on it → {rater: [rule, …]}.
- ``todays_flags``: the rules as they were before issue 15 (main at 7e511d9: exact binomial position test
  at p < 0.01, Wilson upper bound below the threshold for the proportion rules, a fixed run of 15 in
  storage order, no multiple-testing correction), kept here only as the reference the benchmark and the
  tests compare with.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from demo.crowd import GOLD, REPEAT, Crowd, CrowdDesign
from ratings.stats import dawid_skene as ds
from ratings.stats import rater_flags as rf
from ratings.stats import rater_quality as q
from ratings.stats.agreement import majority_agreement
from ratings.stats.rater_quality import one_coin_dawid_skene

#: The rules of `tasks.models.default_quality_rules()` that the pure functions read.
RULES: dict[str, Any] = {
    "min_gold_items": 5,
    "min_gold_accuracy": 0.6,
    "max_fast_share": 0.5,
    "fast_seconds": 3,
    "max_side_share": 0.75,
    "min_repeat_items": 3,
    "min_self_consistency": 0.5,
    "min_judgments": 20,
    "min_majority_agreement": 0.4,
    "max_straight_run": 10,
    "fdr": 0.05,
}
#: Today's defaults (main at 7e511d9).
TODAYS_RULES: dict[str, Any] = {
    "min_gold_items": 5,
    "min_gold_accuracy": 0.6,
    "max_fast_share": 0.5,
    "fast_seconds": 3,
    "position_bias_p": 0.01,
    "min_repeat_items": 3,
    "min_self_consistency": 0.5,
    "min_judgments": 10,
    "min_majority_agreement": 0.4,
    "max_straight_run": 15,
}


def crowd_table(crowd: Crowd, *, excluded: set[int] | None = None) -> rf.JudgmentTable:
    """The crowd as a one-criterion `JudgmentTable`: a comparison is (kind, prompt, system pair) — regular
    items are shared between raters, gold items too when they coincide; every judgment is its own
    randomisation unit (the left side is a fair coin per judgment); viewing order = ``crowd.order``."""
    n = len(crowd)
    lo, hi = np.minimum(crowd.system_a, crowd.system_b), np.maximum(crowd.system_a, crowd.system_b)
    k = int(max(crowd.system_a.max(), crowd.system_b.max())) + 1
    base = np.where(crowd.kind == REPEAT, 0, crowd.kind)  # a repeat is the same comparison, flipped
    key = (base.astype(np.int64) * (int(crowd.prompt.max()) + 1) + crowd.prompt) * k * k + lo * k + hi
    _, comparison = np.unique(key, return_inverse=True)
    original = np.full(n, -1, dtype=np.int64)
    rep = crowd.kind == REPEAT
    original[rep] = crowd.repeat_of[rep]
    gold = np.where(crowd.kind == GOLD, crowd.gold_answer, -1).astype(np.int64)
    voter = np.ones(n, dtype=bool)
    if excluded:
        voter = ~np.isin(crowd.rater, list(excluded))
    return rf.JudgmentTable(
        rater=crowd.rater.astype(np.int64),
        comparison=comparison.astype(np.int64),
        prompt=crowd.prompt.astype(np.int64),
        unit=np.arange(n, dtype=np.int64),
        order=crowd.order.astype(np.float64),
        kind=crowd.kind.astype(np.int64),
        original=original,
        left_is_a=crowd.left == 0,
        seconds=crowd.seconds.astype(np.float64),
        choice=crowd.choice.astype(np.int64)[:, None],
        gold_answer=gold[:, None],
        voter=voter,
    )


def new_flags(crowd: Crowd, rules: dict[str, Any] | None = None) -> tuple[dict[int, list[str]], dict[int, dict]]:
    """The product's rules on the crowd: ({rater: rules fired}, {rater: tests with p and q})."""
    rules = {**RULES, **(rules or {})}
    evidence = rf.rater_evidence(crowd_table(crowd), fast_below=float(rules["fast_seconds"]))
    tests = {w: rf.rater_tests(e, rules) for w, e in evidence.items()}
    fired = rf.study_flags(tests, rules)
    return {w: [name for name, _ in reasons] for w, reasons in fired.items()}, tests


def todays_flags(crowd: Crowd, rules: dict[str, Any] | None = None) -> dict[int, list[str]]:
    """The rules before issue 15 on the crowd (see the module docstring): {rater: rules fired}."""
    r = {**TODAYS_RULES, **(rules or {})}
    table = crowd_table(crowd)
    evidence = rf.rater_evidence(table, fast_below=float(r["fast_seconds"]))
    units, coders, values, _ = rf.reliability_triples(table)
    majority = majority_agreement(units, coders, values, n_categories=4)
    out: dict[int, list[str]] = {}
    for w, e in evidence.items():
        fired = []
        rows = np.flatnonzero(table.rater == w)  # storage order, as today's service read them
        screen = [
            ("left" if (c == 0) == bool(table.left_is_a[i]) else "right") if c in (0, 1) else str(c)
            for i, c in zip(rows, table.choice[rows, 0], strict=True)
        ]
        n_judgments = rows.size

        def confidently_below(hits: list[int], threshold: float) -> bool:
            return bool(hits) and q.wilson_interval(sum(hits), len(hits))[1] < threshold

        if len(e.gold_hits) >= r["min_gold_items"] and confidently_below(e.gold_hits, r["min_gold_accuracy"]):
            fired.append("gold_accuracy")
        if n_judgments >= r["min_judgments"] and e.fast_hits and np.mean(e.fast_hits) > r["max_fast_share"]:
            fired.append("too_fast")
        n_decisive = len(e.side_left)
        if n_decisive >= r["min_judgments"] and q.binomial_test(sum(e.side_left), n_decisive) < r["position_bias_p"]:
            fired.append("position_bias")
        if len(e.repeat_hits) >= r["min_repeat_items"] and confidently_below(e.repeat_hits, r["min_self_consistency"]):
            fired.append("self_consistency")
        agree, compared = majority.get(w, (0, 0))
        if compared >= r["min_judgments"] and q.wilson_interval(agree, compared)[1] < r["min_majority_agreement"]:
            fired.append("majority_agreement")
        if q.straight_lining(screen)["longest_run"] > r["max_straight_run"]:
            fired.append("straight_lining")
        out[w] = fired
    return out


SPAMMERS = ("random", "always_left", "speeder")


def structured_design(
    seed: int, *, n_raters: int = 60, spammers: dict[str, int] | None = None, spammer_items: int = 0
) -> CrowdDesign:
    """The honest crowd of the tables: structure on, skewed workloads; spammers (if any) on top."""
    rng = np.random.default_rng(seed)
    volumes = np.clip(np.round(np.exp(rng.normal(np.log(80), 1.0, n_raters))), 20, 1500).astype(int)
    spammers = dict(spammers or {})
    items = [*volumes.tolist(), *([spammer_items] * sum(spammers.values()))]
    return CrowdDesign(
        n_systems=8, n_prompts=60, n_raters=n_raters, items_per_rater=items, spammers=spammers,
        noise_sd=0.4, taste_sd=0.05, position_mean=0.2, position_sd=0.2, difficulty_sd=0.3, interaction_sd=0.05,
        tie_sd=0.15, speed_sd=0.3, gold_per_rater=10, repeats_per_rater=5, repeat_echo=0.5,
    )  # fmt: skip


def partial_correlation(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> float:
    """Correlation of x and y after removing a linear effect of z from both."""
    design = np.column_stack([np.ones_like(z), z])
    rx = x - design @ np.linalg.lstsq(design, x, rcond=None)[0]
    ry = y - design @ np.linalg.lstsq(design, y, rcond=None)[0]
    return float(np.corrcoef(rx, ry)[0, 1])


def tie_habit_design() -> CrowdDesign:
    """Honest crowd for the reliability-versus-ties check: 60 raters × 300 items, tie habit N(0.4, 0.25)."""
    return CrowdDesign(
        n_systems=8, n_prompts=60, n_raters=60, items_per_rater=300, noise_sd=0.4, taste_sd=0.05,
        position_mean=0.2, position_sd=0.2, difficulty_sd=0.3, interaction_sd=0.05, tie_at_equal=0.4, tie_sd=0.25,
    )  # fmt: skip


def reliability_versus_ties(crowd: Crowd, *, n_honest: int = 60) -> dict[str, tuple[float, float, float, float]]:
    """For the full Dawid–Skene side reliability ("full", as the quality job fits it) and the one-coin weight
    ("one"): (corr. with tie share, partial corr. with tie share holding log noise fixed, corr. with log noise,
    seconds to fit) over the first ``n_honest`` raters."""

    units, coders, values, _ = rf.reliability_triples(crowd_table(crowd))
    start = time.perf_counter()
    fit = ds.dawid_skene(units, coders, values, n_categories=4, symmetric=True, smoothing=2.0, tol=1e-5)
    full_seconds = time.perf_counter() - start
    full = dict(zip(fit.coder_ids.tolist(), ds.side_reliability(fit), strict=True))
    start = time.perf_counter()
    one = one_coin_dawid_skene(units, coders, values, n_categories=4)
    one_seconds = time.perf_counter() - start
    raters = np.arange(n_honest)
    tie_share = np.array([(values[coders == w] == 2).mean() for w in raters])
    log_noise = np.log(crowd.noise[raters])
    out = {}
    for name, weights, seconds in (("full", full, full_seconds), ("one", one, one_seconds)):
        r = np.array([weights[w] for w in raters])
        out[name] = (
            float(np.corrcoef(r, tie_share)[0, 1]),
            partial_correlation(r, tie_share, log_noise),
            float(np.corrcoef(r, log_noise)[0, 1]),
            seconds,
        )
    return out
