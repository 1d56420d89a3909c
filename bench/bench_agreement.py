"""Agreement math at scale: 1M ratings (333,334 comparisons × 3 raters from a pool of 5,000).

Run: /work/main/.venv/bin/python bench/bench_agreement.py [n_ratings]
Prints the seconds each step of the product's code path takes (pure numpy, no database).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import krippendorff
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ratings.stats import agreement as ag
from ratings.stats import rater_quality as q


def main(n_ratings: int = 1_000_000) -> None:
    rng = np.random.default_rng(0)
    per_unit = 3
    n_units = n_ratings // per_unit
    units = np.repeat(np.arange(n_units), per_unit)
    coders = rng.integers(0, 5000, units.size)
    truth = rng.integers(0, 2, n_units)
    noisy = rng.random(units.size) < 0.2
    values = np.where(noisy, rng.integers(0, 4, units.size), truth[units])
    choices = np.array(ag.CHOICE_CATEGORIES, dtype=object)[values]

    def timed(label: str, fn):
        start = time.perf_counter()
        result = fn()
        print(f"{label:<44} {time.perf_counter() - start:7.2f} s")
        return result

    print(f"{units.size:,} ratings, {n_units:,} units, 5,000 raters")
    codes = timed("choice strings -> category codes", lambda: ag.choice_codes(choices))
    vc = timed(
        "value-counts matrix from triples", lambda: ag.value_counts_from_triples(units, coders, codes, n_categories=4)
    )
    alpha = timed("alpha nominal (product: krippendorff package)", lambda: ag.krippendorff_alpha(vc.counts))
    timed("alpha nominal (pattern path)", lambda: ag.krippendorff_alpha_patterns(vc.counts))
    timed(
        "krippendorff.alpha(value_counts=...) direct",
        lambda: krippendorff.alpha(value_counts=vc.counts, level_of_measurement="nominal"),
    )
    interval = timed("bootstrap 1000 rounds", lambda: ag.alpha_bootstrap(vc.counts, n_boot=1000, seed=0))
    timed("Fleiss' kappa", lambda: ag.fleiss_kappa(vc.counts))
    timed("leave-one-out majority agreement", lambda: ag.majority_agreement(units, coders, codes, n_categories=4))
    timed(
        "pairwise Cohen (min overlap 10, the default)",
        lambda: ag.pairwise_cohen(units, coders, codes, n_categories=4, min_overlap=10),
    )
    pairs = timed(
        "pairwise Cohen (min overlap 1)", lambda: ag.pairwise_cohen(units, coders, codes, n_categories=4, min_overlap=1)
    )
    timed(
        "one-coin Dawid-Skene (50 iterations max)", lambda: q.one_coin_dawid_skene(units, coders, codes, n_categories=4)
    )
    print(f"alpha = {alpha:.4f}, 95% interval {interval[0]:.4f}–{interval[1]:.4f}, {len(pairs):,} rater pairs")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
