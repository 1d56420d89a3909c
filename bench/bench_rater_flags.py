"""Rater flags on simulated crowds: false flags on honest crowds, spammers caught, today's rules beside the new.

Pure math, no database: crowds from `demo.crowd.simulate_crowd` (the one simulator) with the structure real
crowds have — per-rater noise, taste, position bias and tie habit, per-prompt difficulty, system × prompt
interaction, skewed workloads (20 to 1,500 items per rater), gold and repeat items — go through the same
pure functions the quality service calls (`ratings.tests.crowd_flags`). Today's rules (main before issue 15)
run on the same crowds in the same run.

    /work/main/.venv/bin/python bench/bench_rater_flags.py [--seeds 20] [--quick]

Prints markdown tables for docs/benchmarks.md (machine, date, load average included).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from demo.crowd import CrowdDesign, simulate_crowd
from ratings.stats import dawid_skene as ds
from ratings.stats import rater_flags as rf
from ratings.stats.rater_quality import one_coin_dawid_skene
from ratings.tests.crowd_flags import (
    SPAMMERS,
    crowd_table,
    new_flags,
    reliability_versus_ties,
    structured_design,
    tie_habit_design,
    todays_flags,
)


def null_table(seeds: int) -> list[str]:
    honest = flagged_new = flagged_old = 0
    by_rule_new: Counter = Counter()
    by_rule_old: Counter = Counter()
    studies_with_flag_new = studies_with_flag_old = 0
    for seed in range(seeds):
        crowd = simulate_crowd(structured_design(seed), seed=seed)
        new, _ = new_flags(crowd)
        old = todays_flags(crowd)
        honest += len(new)
        flagged_new += sum(bool(v) for v in new.values())
        flagged_old += sum(bool(v) for v in old.values())
        studies_with_flag_new += any(new.values())
        studies_with_flag_old += any(old.values())
        for v in new.values():
            by_rule_new.update(v)
        for v in old.values():
            by_rule_old.update(v)
    rows = [
        f"Honest crowds: {seeds} studies × 60 honest raters ({honest} raters, 20–1,500 items each, 10 gold and "
        "5 repeats per rater), no spammers.",
        "",
        "| rules | raters flagged | share | studies with any flag | flags by rule |",
        "| --- | --- | --- | --- | --- |",
        f"| today's (main before issue 15) | {flagged_old} | {flagged_old / honest:.2%} | "
        f"{studies_with_flag_old}/{seeds} | {_rules(by_rule_old)} |",
        f"| new (FDR 5%) | {flagged_new} | {flagged_new / honest:.2%} | {studies_with_flag_new}/{seeds} | "
        f"{_rules(by_rule_new)} |",
    ]
    return rows


def _rules(counts: Counter) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "–"


def power_table(seeds: int, totals: tuple[int, ...]) -> list[str]:
    rows = [
        "Spammers (3 of each kind) added to the honest crowd above; each spammer has the given number of "
        "judgments (10 of them gold, 5 repeats). Share of spammers flagged, and honest raters flagged in the same "
        "studies.",
        "",
        "| judgments per spammer | rules | random | always-left | speeder | honest flagged |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for total in totals:
        caught = {"new": Counter(), "old": Counter()}
        honest_flagged = {"new": 0, "old": 0}
        n_honest = 0
        for seed in range(seeds):
            design = structured_design(1000 + seed, spammers=dict.fromkeys(SPAMMERS, 3), spammer_items=total - 10 - 5)
            crowd = simulate_crowd(design, seed=1000 + seed)
            new, _ = new_flags(crowd)
            results = {"new": new, "old": todays_flags(crowd)}
            for name, fired in results.items():
                for w, behaviour in enumerate(crowd.behaviour):
                    if behaviour == "honest":
                        honest_flagged[name] += bool(fired[w])
                    else:
                        caught[name][str(behaviour)] += bool(fired[w])
            n_honest += int((crowd.behaviour == "honest").sum())
        per_kind = 3 * seeds
        for name, label in (("old", "today's"), ("new", "new")):
            cells = " | ".join(f"{caught[name][k] / per_kind:.0%}" for k in SPAMMERS)
            rows.append(f"| {total} | {label} | {cells} | {honest_flagged[name] / n_honest:.2%} |")
    return rows


def reliability_table(seeds: int) -> list[str]:
    corr: dict[str, list[tuple[float, float, float, float]]] = {"full": [], "one": []}
    n_labels = 0
    for seed in range(seeds):
        crowd = simulate_crowd(tie_habit_design(), seed=2000 + seed)
        n_labels += len(crowd)
        for name, values in reliability_versus_ties(crowd).items():
            corr[name].append(values)
    rows = [
        f"Honest crowds ({seeds} studies × 60 raters × 300 items; tie habit varies per rater, sd 0.25 around 0.4; "
        f"{n_labels:,} labels in all). Mean over studies.",
        "",
        "| weight | corr. with tie share | partial corr. with tie share (noise held fixed) | corr. with log noise "
        "| seconds per study |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, label in (("one", "one-coin Dawid–Skene (today's `reliability_weight`)"),
                        ("full", "full Dawid–Skene side reliability (new `reliability_weight`)")):  # fmt: skip
        a = np.array(corr[name])
        rows.append(
            f"| {label} | {a[:, 0].mean():+.2f} | {a[:, 1].mean():+.2f} | {a[:, 2].mean():+.2f} | "
            f"{a[:, 3].mean():.2f} |"
        )
    return rows


def weighting_table(seeds: int) -> list[str]:
    """Bradley–Terry with and without the reliability weights, on a crowd with 20% spammers."""
    from ratings.stats import bradley_terry as bt

    err = {"unweighted": [], "weighted": []}
    for seed in range(seeds):
        design = CrowdDesign(
            n_systems=8, n_prompts=60, n_raters=40, items_per_rater=150, noise_sd=0.4, difficulty_sd=0.3,
            interaction_sd=0.05, tie_sd=0.15, spammers={"random": 4, "always_left": 3, "speeder": 3},
        )  # fmt: skip
        crowd = simulate_crowd(design, seed=3000 + seed)
        table = crowd_table(crowd)
        units, coders, values, _ = rf.reliability_triples(table)
        fit = ds.dawid_skene(units, coders, values, n_categories=4, symmetric=True, smoothing=2.0)
        reliability = dict(zip(fit.coder_ids.tolist(), ds.side_reliability(fit), strict=True))
        counts = dict(Counter(crowd.rater.tolist()))
        weights = ds.leaderboard_weights(reliability, counts)
        outcome = crowd.outcome()
        w = np.array([weights[r] for r in crowd.rater.tolist()])
        truth = crowd.true_strength - crowd.true_strength.mean()
        for name, cell_weight in (("unweighted", None), ("weighted", w)):
            pairs = bt.pair_table(crowd.system_a, crowd.system_b, outcome, cell_weight, n_systems=8)
            theta = bt.fit_bradley_terry(pairs).theta
            scale = float(np.dot(theta, truth) / np.dot(truth, truth))  # spammers flatten the scale
            err[name].append((scale, float(np.corrcoef(theta, truth)[0, 1])))
    rows = [
        f"Bradley–Terry on crowds with 25% spammers ({seeds} studies × 50 raters × 150 items): the slope of the "
        "fitted log-strengths on the true ones (1 = no flattening) and their correlation.",
        "",
        "| fit | slope vs truth | correlation with truth |",
        "| --- | --- | --- |",
    ]
    for name in ("unweighted", "weighted"):
        a = np.array(err[name])
        rows.append(f"| {name} | {a[:, 0].mean():.2f} | {a[:, 1].mean():.4f} |")
    return rows


def timing_table() -> list[str]:
    design = CrowdDesign(
        n_systems=20, n_prompts=2000, n_raters=200, items_per_rater=500, noise_sd=0.4, position_sd=0.2,
        difficulty_sd=0.3, tie_sd=0.15, gold_per_rater=20, repeats_per_rater=20, repeat_echo=0.5,
        spammers={"random": 5, "always_left": 5, "speeder": 5},
    )  # fmt: skip
    crowd = simulate_crowd(design, seed=4)
    table = crowd_table(crowd)
    rows = [f"One study: {len(crowd):,} judgments, 215 raters.", "", "| step | seconds |", "| --- | --- |"]
    start = time.perf_counter()
    evidence = rf.rater_evidence(table, fast_below=3.0)
    rows.append(f"| evidence per rater (`rater_evidence`) | {time.perf_counter() - start:.2f} |")
    from ratings.tests.crowd_flags import RULES

    start = time.perf_counter()
    tests = {w: rf.rater_tests(e, RULES) for w, e in evidence.items()}
    rows.append(f"| every rater's tests (`rater_tests`) | {time.perf_counter() - start:.2f} |")
    start = time.perf_counter()
    rf.study_flags(tests, RULES)
    rows.append(f"| the study's FDR family (`study_flags`) | {time.perf_counter() - start:.3f} |")
    units, coders, values, _ = rf.reliability_triples(table)
    start = time.perf_counter()
    fit = ds.dawid_skene(units, coders, values, n_categories=4, symmetric=True, smoothing=2.0, tol=1e-5)
    rows.append(
        f"| full Dawid–Skene as the quality job runs it ({fit.iterations} EM iterations) | {time.perf_counter() - start:.2f} |"
    )
    start = time.perf_counter()
    one_coin_dawid_skene(units, coders, values, n_categories=4)
    rows.append(f"| one-coin Dawid–Skene (today's) | {time.perf_counter() - start:.2f} |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="fewer studies (a smoke run)")
    args = parser.parse_args()
    seeds = 3 if args.quick else args.seeds
    started = time.perf_counter()
    print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"{dt.date.today().isoformat()}; load average at start {os.getloadavg()[0]:.2f}")  # fmt: skip
    print("Command: python bench/bench_rater_flags.py" + (" --quick" if args.quick else f" --seeds {seeds}"))
    for title, rows in (
        ("False flags on honest crowds", null_table(seeds)),
        ("Spammers caught", power_table(max(2, seeds // 2), (40, 80, 160, 320))),
        ("Reliability and tie use", reliability_table(max(2, seeds // 4))),
        ("Weighting the leaderboard by reliability", weighting_table(max(2, seeds // 4))),
        ("Speed", timing_table()),
    ):
        print(f"\n#### {title}\n")
        print("\n".join(rows))
    print(f"\nTotal {time.perf_counter() - started:.0f} s; load average at end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
