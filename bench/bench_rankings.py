"""Benchmark: N-way rankings — Plackett-Luce (ties) and rank-breaking, fit and bootstrap by ranking, vs choix.

Usage (from the repository root):

    python bench/bench_rankings.py                      # WMT-like: 8600 5-way rankings, 12 systems, 218 judges
    python bench/bench_rankings.py --rankings 20000 --k 6 --rounds 1000

Synthetic data: ``--systems`` systems with normal log-worths (sd 0.5); each ranking shows ``--k``
distinct systems drawn at random and orders them by Plackett-Luce (Gumbel trick); with probability
``--tie-rate`` an item is tied with the one ranked just above it. What is timed, in the same run:

* ``fit_plackett_luce`` (Davidson-Luce ties) and ``bootstrap_plackett_luce`` (resampling whole rankings);
* ``fit_rank_breaking`` and ``bootstrap_rank_breaking`` (by ranking, the interim loop of full BT fits);
* the reference: choix's ``ilsr_rankings`` (no ties, so on the same rankings with ties broken at random)
  against ``fit_plackett_luce`` on those same untied rankings — the ratio is the comparable number;
* interval widths: PL and rank-breaking by ranking, and the naive pair bootstrap
  (``bootstrap_bradley_terry`` on the rank-broken cells, every pair a separate judgment), which ignores
  that the pairs of one ranking move together.

Prints one table; record it in docs/benchmarks.md with the machine, date, command and load average.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from ratings.stats import bradley_terry as bt  # noqa: E402
from ratings.stats import rankings as rk  # noqa: E402


def synth(*, n: int, k: int, systems: int, tie_rate: float, seed: int) -> tuple[list, list, np.ndarray]:
    """(orderings with ties, the same orderings before ties, true log-worths), by `rankings.sample_rankings`."""
    theta = np.random.default_rng(seed).normal(0, 0.5, systems)
    tied, untied = rk.sample_rankings(theta, n=n, k_range=(k, k), tie_rate=tie_rate, seed=seed + 1)
    return tied, untied, theta


def timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rankings", type=int, default=8600)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--systems", type=int, default=12)
    parser.add_argument("--tie-rate", type=float, default=0.2)
    parser.add_argument("--rounds", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import choix

    print(
        f"# bench_rankings  {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC  {platform.processor() or platform.machine()}"
    )
    print(f"# load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"# {args.rankings} rankings of k={args.k} over {args.systems} systems, tie rate {args.tie_rate}")
    tied, untied, _ = synth(n=args.rankings, k=args.k, systems=args.systems, tie_rate=args.tie_rate, seed=args.seed)
    data, build_s = timed(rk.rankings_from_orderings, tied, n_systems=args.systems)
    plain = rk.rankings_from_orderings(untied, n_systems=args.systems)

    pl, pl_fit_s = timed(rk.fit_plackett_luce, data)
    tracemalloc.start()
    pl_boot, pl_boot_s = timed(rk.bootstrap_plackett_luce, data, pl, rounds=args.rounds, seed=1)
    _, pl_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rb, rb_fit_s = timed(rk.fit_rank_breaking, data)
    rb_boot, rb_boot_s = timed(rk.bootstrap_rank_breaking, data, rb, rounds=args.rounds, seed=1)
    cells = rk.rank_break(data, weighting="pairs")
    table = rk.rank_broken_table(cells)
    naive_fit = bt.fit_bradley_terry(table)
    naive_boot, naive_s = timed(bt.bootstrap_bradley_terry, table, naive_fit, rounds=args.rounds, seed=1)

    ours_plain, ours_plain_s = timed(rk.fit_plackett_luce, plain)
    ref, choix_s = timed(choix.ilsr_rankings, args.systems, untied, alpha=0.0, tol=1e-10, max_iter=10_000)
    diff = float(np.abs(ours_plain.theta - (ref - ref.mean())).max())

    def width(samples: np.ndarray) -> float:
        lo, hi = bt.percentile_intervals(samples)
        return float((hi - lo).mean())

    print("| what | seconds | note |")
    print("| --- | ---: | --- |")
    print(f"| build `Rankings` | {build_s:.3f} | {data.n_rankings} rankings |")
    print(f"| PL fit (ties) | {pl_fit_s:.3f} | {pl.iterations} Newton steps, tie orders {pl.tie_orders} |")
    print(f"| PL bootstrap by ranking, {args.rounds} rounds | {pl_boot_s:.2f} | peak {pl_peak / 2**20:.0f} MiB |")
    print(f"| rank-breaking fit | {rb_fit_s:.3f} | {cells.i.size} cells |")
    print(f"| rank-breaking bootstrap by ranking, {args.rounds} rounds | {rb_boot_s:.2f} | loop of full BT fits |")
    print(f"| naive pair bootstrap, {args.rounds} rounds | {naive_s:.2f} | `bootstrap_bradley_terry` |")
    print(f"| PL fit, no ties (evalsite) | {ours_plain_s:.3f} | max abs diff vs choix {diff:.1e} |")
    print(
        f"| PL fit, no ties (choix `ilsr_rankings`) | {choix_s:.3f} | ratio choix/evalsite {choix_s / ours_plain_s:.1f} |"
    )
    print()
    print("| 95% interval, mean width (points) | PL by ranking | rank-breaking by ranking | naive pairs |")
    print("| --- | ---: | ---: | ---: |")
    print(f"| | {width(pl_boot):.1f} | {width(rb_boot):.1f} | {width(naive_boot):.1f} |")
    print(f"# load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
