"""Coverage study: how often each bootstrap's 95% intervals contain the truth, on simulated structured crowds.

Usage (from the repository root):

    python bench/bench_coverage.py                      # every design, 200 crowds each, 1000 rounds
    python bench/bench_coverage.py --replicates 50 --designs skewed --json /tmp/coverage.json

Crowds come from the one rater simulator, ``demo.crowd.simulate_crowd``: per-rater noise, taste (a
rater × system bias), position bias and tie habit; per-prompt difficulty and system × prompt
interaction; raters judging many items; random-clicking spammers mixed in. Each design is a way of
collecting the judgments (who judges how much of what).

The estimand (what "the truth" is): the Bradley-Terry strengths that a fit of this kind converges to
with unlimited judgments from the same crowd process — the pseudo-true parameter of the misspecified
model (White 1982), not the generator's quality parameters, which no fit recovers exactly (rater noise
and ties attenuate them). It is computed from the simulator's own choice probabilities on a very large
crowd, centred like the reported scores (the ranked systems average 0 in natural-log units):

* ``population``: new raters *and* new prompts from the same distributions (the question "would another
  crowd on other prompts like these give the same leaderboard?");
* ``these prompts``: new raters on the same prompts ("another crowd, the same prompts").

Each interval method is run on every simulated crowd with the same seed; coverage is the share of
(system, crowd) pairs whose interval contains the estimand, with a 95% Wilson interval for that share
(systems within a crowd are dependent, so it is a little optimistic). Rank coverage: the share whose rank
interval contains the system's true rank.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import math
import os
import platform
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from demo.crowd import REGULAR, CrowdDesign, simulate_crowd  # noqa: E402
from ratings.stats import bradley_terry as bt  # noqa: E402

QUALITY = tuple(np.round(np.linspace(0.8, 0.45, 8), 4))
EFFECTS = {
    "quality": QUALITY,
    "noise_sd": 0.4,
    "taste_sd": 0.05,
    "position_mean": 0.3,
    "position_sd": 0.3,
    "difficulty_sd": 0.3,
    "interaction_sd": 0.05,
    "tie_sd": 0.1,
    "tie_at_equal": 0.5,
}


def _skewed(n: int, mean: int, seed: int = 0) -> tuple[int, ...]:
    """Log-normal workloads (sigma 1): a few raters do most of the work, as on crowd platforms."""
    x = np.random.default_rng(seed).lognormal(0.0, 1.0, n)
    return tuple(int(v) for v in np.clip(np.round(x / x.mean() * mean), 2, 1000))


DESIGNS: dict[str, CrowdDesign] = {
    "many_raters": CrowdDesign(
        n_systems=8, n_prompts=40, n_raters=300, items_per_rater=20, spammers={"random": 15}, **EFFECTS
    ),
    "few_raters": CrowdDesign(
        n_systems=8, n_prompts=150, n_raters=12, items_per_rater=500, spammers={"random": 1}, **EFFECTS
    ),
    "few_prompts": CrowdDesign(
        n_systems=8, n_prompts=8, n_raters=100, items_per_rater=60, spammers={"random": 5}, **EFFECTS
    ),
    "skewed": CrowdDesign(
        n_systems=8,
        n_prompts=100,
        n_raters=60,
        items_per_rater=_skewed(63, 80),
        spammers={"random": 3},
        **EFFECTS,
    ),
    "unstructured": CrowdDesign(
        n_systems=8, n_prompts=2000, n_raters=2000, items_per_rater=3, quality=QUALITY, tie_at_equal=0.5
    ),
}
DESCRIPTIONS = {
    "many_raters": "300 raters × 20 items, 40 prompts, 5% random clickers",
    "few_raters": "12 raters × 500 items, 150 prompts, 1 random clicker",
    "few_prompts": "8 prompts, 100 raters × 60 items (every prompt judged by all), 5% random clickers",
    "skewed": "63 raters with log-normal workloads (2–400 items, mean 80), 100 prompts",
    "unstructured": "control: no rater or prompt effects, 2000 raters × 3 items, 2000 prompts",
}
METHODS = ("judgment", "rater", "prompt", "pigeonhole", "two_way")


def _scaled(design: CrowdDesign, *, n_raters: int, n_prompts: int, items: int) -> CrowdDesign:
    """The same crowd process, much bigger (spammers in the same proportion)."""
    share = {b: c / max(1, design.n_raters) for b, c in design.spammers.items()}
    return dataclasses.replace(
        design,
        n_raters=n_raters,
        n_prompts=n_prompts,
        items_per_rater=items,
        spammers={b: round(s * n_raters) for b, s in share.items()},
        gold_per_rater=0,
        repeats_per_rater=0,
    )


def pseudo_true(crowd) -> np.ndarray:
    """Centred natural-log BT strengths fitted to the crowd's *expected* outcomes, equal weight per pair."""
    k = crowd.quality.size
    reg = crowd.kind == REGULAR
    a, b = crowd.system_a[reg], crowd.system_b[reg]
    expected = crowd.prob[reg] @ np.array([1.0, 0.0, 0.5, 0.5])  # side a's credit; both bad counts as a tie
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    credit_lo = np.where(a == lo, expected, 1.0 - expected)
    key = lo * k + hi
    keys, inv = np.unique(key, return_inverse=True)
    mean_credit = np.bincount(inv, weights=credit_lo) / np.bincount(inv)
    big = 1e6  # equal (large) weight per pair: the design draws items uniformly over pairs
    table = bt.PairTable(k, keys // k, keys % k, big * mean_credit, np.zeros(keys.size), big * (1 - mean_credit))
    theta = bt.fit_bradley_terry(table, prior_strength=0.0).theta
    return theta - theta.mean()


def population_estimand(design: CrowdDesign, *, seed: int, parts: int = 4) -> tuple[np.ndarray, float]:
    """The population estimand, averaged over ``parts`` independent crowds of 20,000 raters × 100 items on
    20,000 prompts each; also returns its Monte Carlo standard error (largest over systems)."""
    big = _scaled(design, n_raters=20_000, n_prompts=20_000, items=100)
    est = np.array([pseudo_true(simulate_crowd(big, seed=seed + part)) for part in range(parts)])
    return est.mean(axis=0), float(est.std(axis=0, ddof=1).max() / np.sqrt(parts))


def prompts_estimand(design: CrowdDesign, crowd, *, seed: int) -> np.ndarray:
    pool = design.n_prompts * design.n_systems * (design.n_systems - 1) // 2
    big = _scaled(design, n_raters=8000, n_prompts=design.n_prompts, items=min(100, pool))
    return pseudo_true(simulate_crowd(big, seed=seed, prompts_from=crowd))


def crowd_cells(crowd) -> bt.Cells:
    reg = crowd.kind == REGULAR
    return bt.make_cells(
        crowd.system_a[reg],
        crowd.system_b[reg],
        crowd.outcome()[reg],
        n_systems=crowd.quality.size,
        clusters={"rater": crowd.rater[reg], "prompt": crowd.prompt[reg]},
    )


def one_replicate(args: tuple) -> dict:
    name, rep, rounds, population = args
    design = DESIGNS[name]
    crowd = simulate_crowd(design, seed=1000 + rep)
    given_prompts = prompts_estimand(design, crowd, seed=500_000 + rep)
    cells = crowd_cells(crowd)
    true_rank = {"population": bt.ranks_by_score(population), "prompts": bt.ranks_by_score(given_prompts)}
    out: dict = {"n": int(cells.n_judgments)}
    for method in METHODS:
        res = bt.bradley_terry_intervals(cells, resample=method, rounds=rounds, seed=rep)
        ranked = res.status == "ranked"
        to_theta = bt.LN10 / bt.DEFAULT_SCALE
        lo = (res.lower - bt.DEFAULT_INIT) * to_theta
        hi = (res.upper - bt.DEFAULT_INIT) * to_theta
        row = {"ranked": int(ranked.sum()), "width": float(np.nanmean(hi - lo) / to_theta)}
        for label, truth in (("population", population), ("prompts", given_prompts)):
            # the truth on the fit's scale: centred over the systems the fit ranks
            t = truth - truth[ranked].mean()
            row[f"cover_{label}"] = int(np.sum((lo <= t) & (t <= hi) & ranked))
            tr = true_rank[label]
            row[f"rank_{label}"] = int(np.sum((res.rank_lower <= tr) & (tr <= res.rank_upper) & ranked))
        out[method] = row
    return out


def wilson(hits: int, n: int, z: float = 1.96) -> tuple[float, float]:
    if n == 0:
        return (math.nan, math.nan)
    p = hits / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return c - h, c + h


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--replicates", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=1000)
    parser.add_argument("--designs", default=",".join(DESIGNS), help="comma-separated names of DESIGNS")
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    names = [n for n in args.designs.split(",") if n]
    unknown = [n for n in names if n not in DESIGNS]
    if unknown:
        parser.error(f"unknown design {unknown[0]!r}; expected one of {', '.join(DESIGNS)}")
    started = dt.datetime.now(dt.UTC)
    load_before = os.getloadavg()
    t0 = time.perf_counter()
    results: dict = {}
    for name in names:
        population, population_mc_se = population_estimand(DESIGNS[name], seed=99)
        jobs = [(name, rep, args.rounds, population) for rep in range(args.replicates)]
        if args.processes > 1:
            with ProcessPoolExecutor(args.processes) as pool:
                reps = list(pool.map(one_replicate, jobs))
        else:
            reps = [one_replicate(job) for job in jobs]
        summary: dict = {
            "description": DESCRIPTIONS[name],
            "judgments": float(np.mean([r["n"] for r in reps])),
            "estimand_mc_se": population_mc_se,
        }
        for method in METHODS:
            n = sum(r[method]["ranked"] for r in reps)
            entry = {"systems": n, "width_points": float(np.mean([r[method]["width"] for r in reps]))}
            for label in ("population", "prompts"):
                hits = sum(r[method][f"cover_{label}"] for r in reps)
                entry[f"coverage_{label}"] = hits / n
                entry[f"coverage_{label}_ci"] = wilson(hits, n)
                entry[f"rank_coverage_{label}"] = sum(r[method][f"rank_{label}"] for r in reps) / n
            summary[method] = entry
        results[name] = summary
        print(
            f"## {name}: {DESCRIPTIONS[name]} (≈{summary['judgments']:.0f} judgments;"
            f" estimand Monte Carlo s.e. ≤ {population_mc_se:.4f})",
            flush=True,
        )
        print(
            "| method | coverage, population | coverage, these prompts | rank coverage (pop.) | mean width (points) |"
        )
        print("| --- | ---: | ---: | ---: | ---: |")
        for method in METHODS:
            e = summary[method]
            lo, hi = e["coverage_population_ci"]
            print(
                f"| {method} | {e['coverage_population']:.1%} ({lo:.1%}–{hi:.1%}) | {e['coverage_prompts']:.1%} |"
                f" {e['rank_coverage_population']:.1%} | {e['width_points']:.1f} |",
                flush=True,
            )
    elapsed = time.perf_counter() - t0
    meta = {
        "date": started.isoformat(timespec="minutes"),
        "seconds": round(elapsed, 1),
        "load_before": load_before,
        "load_after": os.getloadavg(),
        "replicates": args.replicates,
        "rounds": args.rounds,
        "machine": f"{platform.machine()} {platform.processor() or ''} {os.cpu_count()} cores, Python {platform.python_version()}",
    }
    print(f"\n{meta}")
    if args.json:
        Path(args.json).write_text(json.dumps({"meta": meta, "results": results}, indent=1, default=list))


if __name__ == "__main__":
    main()
