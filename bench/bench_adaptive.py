"""Benchmark: adaptive vs uniform pairing on simulated crowds — votes needed, and honest intervals.

Usage (from the repository root):

    python bench/bench_adaptive.py                       # 8, 20 and 50 systems, 20 replications each
    python bench/bench_adaptive.py --systems 8 --reps 5  # a quick look

Simulation (one replication = one simulated study, run once with each design on the same truth and seed):

* ``K`` systems with natural-log strengths drawn N(0, 0.69²) (``--spread`` 0.3 in log10, about 120
  points — an arena-like spread), the best then placed exactly ``--top-gap`` (30) points above the second
  (a fixed thing to find: with a random gap, a study whose top two are 3 points apart would never be
  separated honestly and only luck would stop it), ``--prompts`` prompts, one regular Comparison per (prompt, pair), each judged at most
  ``--redundancy`` times and never twice by the same rater (a pool of ``--raters`` raters; the rater of a
  vote is drawn among those who have not judged that comparison), the comparison of a drawn pair being the
  one with the fewest judgments, as the assignment engine leases them;
* outcomes from the Bradley-Terry probability ``p`` with ties (probability ``2 * 0.15 * min(p, 1-p)``, which
  keeps the expected credit at ``p``); raters are exchangeable (no rater effects);
* both designs start with ``5 K`` uniform votes; then, every ``batch`` votes (``max(100, 10 K)``), the fit is
  redone (Bradley-Terry MLE, ``ratings/stats/bradley_terry.py``), the intervals recomputed, the stopping
  rules checked, and — adaptive design only — the pair weights recomputed with ``ratings.stats.adaptive.
  pair_weights`` (floor 0.1), as the periodic job would. Uniform draws every pair with capacity left
  equally (today's engine). A pair whose comparisons are all at the redundancy target is not drawn.

Stopping rules, checked on Wald intervals (1.96 x the sd from the Fisher information, sum-zero gauge —
the large-sample version of the bootstrap intervals the leaderboard shows; the bench also checks the
bootstrap's coverage at the end): (a) the top two are "distinguishable" as on the leaderboard (the
leader's lower bound above the runner-up's upper bound); (b) the mean 95% interval width is at most
``--target-width`` points. A replication that does not get there within the capacity counts as the
capacity for that design (reported).

Honesty checks at the stop for (b): coverage of the true (centred) scores by the Wald and by 200-round
bootstrap percentile intervals (nominal 95%); mean z-score of the estimates (bias, nominal 0) and their sd
(nominal 1); and at the stop for (a), how often the separated leader is not the true best.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from ratings.stats import adaptive as ad  # noqa: E402
from ratings.stats import bradley_terry as bt  # noqa: E402

Z95 = 1.959963984540054
TIE_RATE = 0.15


@dataclass
class Outcome:
    votes_a: int | None = None  # votes when the top two were first distinguishable
    votes_b: int | None = None  # votes when the mean width first fell below the target
    top_correct: bool | None = None
    wald_cover: list[float] = field(default_factory=list)
    boot_cover: list[float] = field(default_factory=list)
    z: list[float] = field(default_factory=list)
    capacity: int = 0
    votes: int = 0


def true_strengths(rng: np.random.Generator, *, k: int, spread: float, top_gap: float) -> np.ndarray:
    """Natural-log strengths: normal with sd ``spread`` (log10 units), then the best system moved to
    exactly ``top_gap`` points above the second (so every study has the same thing to find)."""
    theta = rng.normal(0.0, spread * math.log(10.0), k)
    order = np.argsort(-theta)
    theta[order[0]] = theta[order[1]] + top_gap * math.log(10.0) / 400.0
    return theta


def simulate(
    *,
    k: int,
    design: str,
    seed: int,
    prompts: int,
    redundancy: int,
    raters: int,
    target_width: float,
    floor: float,
    spread: float = 0.3,
    top_gap: float = 30.0,
    rank_share: float = ad.DEFAULT_RANK_SHARE,
) -> Outcome:
    rng = np.random.default_rng(seed)  # the same truth for both designs
    theta = true_strengths(rng, k=k, spread=spread, top_gap=top_gap)
    true_scores = 400.0 / math.log(10.0) * (theta - theta.mean()) + 1000.0
    vote_rng = np.random.default_rng([seed, 1 if design == "adaptive" else 0])
    pi, pj = np.triu_indices(k, 1)
    n_pairs = pi.size
    judged = np.zeros((n_pairs, prompts), dtype=np.int64)  # judgments per comparison (pair, prompt)
    seen = np.full((n_pairs, prompts, redundancy), -1, dtype=np.int64)  # raters who judged it
    wins = np.zeros((n_pairs, 3))  # left win, tie, right win
    capacity = n_pairs * prompts * redundancy
    out = Outcome(capacity=capacity)
    batch = max(100, 10 * k)
    warmup = 5 * k
    weights = np.full(n_pairs, 1.0 / n_pairs)
    votes = 0
    best = int(np.argmax(theta))
    while votes < capacity:
        open_pairs = judged.min(axis=1) < redundancy
        step = warmup if votes == 0 else batch
        w = np.where(open_pairs, weights if design == "adaptive" and votes >= warmup else 1.0, 0.0)
        if w.sum() <= 0:
            w = open_pairs.astype(np.float64)
        w = w / w.sum()
        for drawn in vote_rng.choice(n_pairs, size=min(step, capacity - votes), p=w):
            pair = int(drawn)
            row = judged[pair]
            if row.min() >= redundancy:  # filled within this batch: take the next open pair by weight
                choices = np.flatnonzero(judged.min(axis=1) < redundancy)
                if choices.size == 0:
                    break
                pair = int(vote_rng.choice(choices))
                row = judged[pair]
            low = np.flatnonzero(row == row.min())
            prompt = int(vote_rng.choice(low))
            while True:  # never twice by one rater
                rater = int(vote_rng.integers(raters))
                if rater not in seen[pair, prompt]:
                    break
            seen[pair, prompt, row[prompt]] = rater
            row[prompt] += 1
            p = 1.0 / (1.0 + math.exp(theta[pj[pair]] - theta[pi[pair]]))
            tie_p = 2.0 * TIE_RATE * min(p, 1.0 - p)
            u = vote_rng.random()
            if u < tie_p:
                wins[pair, 1] += 1
            elif vote_rng.random() < (p - tie_p / 2.0) / (1.0 - tie_p):
                wins[pair, 0] += 1
            else:
                wins[pair, 2] += 1
            votes += 1
        table = bt.PairTable(k, pi, pj, wins[:, 0], wins[:, 1], wins[:, 2])
        keep = table.total > 0
        table = bt.PairTable(k, pi[keep], pj[keep], wins[keep, 0], wins[keep, 1], wins[keep, 2])
        fit = bt.fit_bradley_terry(table)
        info = ad.fisher_information(fit.theta, table)
        cov = ad.covariance(info)
        sd = ad.score_sd(cov)
        lower, upper = fit.scores - Z95 * sd, fit.scores + Z95 * sd
        order = np.argsort(-fit.scores)
        if out.votes_a is None and lower[order[0]] > upper[order[1]]:
            out.votes_a = votes
            out.top_correct = bool(order[0] == best)
        if out.votes_b is None and np.mean(upper - lower) <= target_width:
            out.votes_b = votes
            centred = true_scores
            out.wald_cover = ((lower <= centred) & (centred <= upper)).astype(float).tolist()
            boot = bt.bootstrap_bradley_terry(table, fit, rounds=200, seed=seed)
            blo, bhi = bt.percentile_intervals(boot)
            out.boot_cover = ((blo <= centred) & (centred <= bhi)).astype(float).tolist()
            out.z = ((fit.scores - centred) / sd).tolist()
        if out.votes_a is not None and out.votes_b is not None:
            break
        if design == "adaptive":
            available = np.zeros((k, k), dtype=bool)
            available[pi, pj] = judged.min(axis=1) < redundancy
            plan = ad.pair_weights(
                fit.theta, cov, floor=floor, rank_share=rank_share, available=available | available.T
            )
            weights = plan.weight[pi, pj]
    out.votes = votes
    return out


def summarise(results: dict[str, list[Outcome]], *, k: int, target: float) -> dict:
    row: dict = {"k": k, "target": target}
    for design, outs in results.items():
        cap = outs[0].capacity
        a = np.array([o.votes_a if o.votes_a is not None else cap for o in outs], dtype=float)
        b = np.array([o.votes_b if o.votes_b is not None else cap for o in outs], dtype=float)
        row[design] = {
            "a_median": float(np.median(a)),
            "a_total": float(a.sum()),
            "a_censored": int(sum(o.votes_a is None for o in outs)),
            "b_median": float(np.median(b)),
            "b_total": float(b.sum()),
            "b_censored": int(sum(o.votes_b is None for o in outs)),
            "wrong_top": int(sum(o.top_correct is False for o in outs)),
            "wald_cover": float(np.mean([c for o in outs for c in o.wald_cover]))
            if outs[0].wald_cover
            else float("nan"),
            "boot_cover": float(np.mean([c for o in outs for c in o.boot_cover]))
            if outs[0].boot_cover
            else float("nan"),
            "z_mean": float(np.mean([z for o in outs for z in o.z])) if outs[0].z else float("nan"),
            "z_sd": float(np.std([z for o in outs for z in o.z])) if outs[0].z else float("nan"),
            "a": a,
            "b": b,
        }
    u, d = row["uniform"], row["adaptive"]
    row["ratio_a"] = d["a_total"] / u["a_total"]
    row["ratio_b"] = d["b_total"] / u["b_total"]
    row["ratio_a_median_pairwise"] = float(np.median(d["a"] / u["a"]))
    row["ratio_b_median_pairwise"] = float(np.median(d["b"] / u["b"]))
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--systems", type=int, nargs="+", default=[8, 20, 50])
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--prompts", type=int, default=200)
    parser.add_argument("--redundancy", type=int, default=3)
    parser.add_argument("--raters", type=int, default=500)
    parser.add_argument("--target-width", type=float, default=40.0, help="mean 95%% interval width, points")
    parser.add_argument("--floor", type=float, default=ad.DEFAULT_FLOOR)
    parser.add_argument("--rank-share", type=float, default=ad.DEFAULT_RANK_SHARE)
    parser.add_argument("--spread", type=float, default=0.3, help="sd of the true log10-strengths")
    parser.add_argument("--top-gap", type=float, default=30.0, help="true lead of the best system, points")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, numpy {np.__version__}")
    print(f"date: {time.strftime('%Y-%m-%d %H:%M:%S %Z')}; load average before: {os.getloadavg()}")
    print(
        f"prompts {args.prompts}, redundancy {args.redundancy}, raters {args.raters}, target mean width "
        f"{args.target_width} points, floor {args.floor}, rank share {args.rank_share}, spread {args.spread} (log10 sd), leader "
        f"{args.top_gap} points ahead, {args.reps} replications\n"
    )
    print(
        "| systems | design | votes to separate top two: median (sum) | votes to mean width ≤ target: median (sum) "
        "| not reached (a/b) | leader wrong at (a) | coverage Wald / bootstrap | z mean, sd |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    t0 = time.perf_counter()
    ratios = []
    for k in args.systems:
        results: dict[str, list[Outcome]] = {"uniform": [], "adaptive": []}
        for rep in range(args.reps):
            seed = args.seed * 1000 + rep
            for design, outs in results.items():
                outs.append(
                    simulate(
                        k=k,
                        design=design,
                        seed=seed,
                        prompts=args.prompts,
                        redundancy=args.redundancy,
                        raters=args.raters,
                        target_width=args.target_width,
                        floor=args.floor,
                        spread=args.spread,
                        top_gap=args.top_gap,
                        rank_share=args.rank_share,
                    )
                )
        row = summarise(results, k=k, target=args.target_width)
        for design in ("uniform", "adaptive"):
            d = row[design]
            print(
                f"| {k} | {design} | {d['a_median']:.0f} ({d['a_total']:.0f}) | {d['b_median']:.0f} ({d['b_total']:.0f}) "
                f"| {d['a_censored']}/{d['b_censored']} | {d['wrong_top']} of {args.reps} "
                f"| {d['wald_cover']:.3f} / {d['boot_cover']:.3f} | {d['z_mean']:+.3f}, {d['z_sd']:.3f} |"
            )
        ratios.append(row)
        sys.stdout.flush()
    print("\n| systems | adaptive / uniform votes, (a) separate top two | (b) mean width ≤ target |")
    print("| --- | --- | --- |")
    for row in ratios:
        print(
            f"| {row['k']} | {row['ratio_a']:.2f} (median of per-study ratios {row['ratio_a_median_pairwise']:.2f}) "
            f"| {row['ratio_b']:.2f} (median {row['ratio_b_median_pairwise']:.2f}) |"
        )
    print(f"\nwall time {time.perf_counter() - t0:.0f} s; load average after: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
