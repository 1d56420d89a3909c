"""Cost of choosing the left side for one lease on a large study (the assignment engine's hot path).

Needs a database with a large study, e.g. the one bench_ratings.py --postgres loads (1.5M assignments):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/evalsite_leaderboard_bench .venv/bin/python bench/bench_lease_side.py
Prints the cold time (recount from the database: once per system per SIDE_BALANCE_CACHE_SECONDS) and the
warm time (cached running counts) per lease.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "evalsite.settings")

import django

django.setup()

from django.core.cache import cache  # noqa: E402 (after django.setup)

from tasks.models import Assignment, Comparison  # noqa: E402 (after django.setup)
from tasks.services.assignment import choose_left_side  # noqa: E402 (after django.setup)


def main() -> None:
    comparison = Comparison.objects.select_related("output_a", "output_b", "study").order_by("pk").first()
    if comparison is None:
        sys.exit("no comparisons in this database: load a large study first (see the docstring)")
    n = Assignment.objects.filter(study=comparison.study).count()
    cache.clear()
    rng = random.Random(0)
    started = time.perf_counter()
    choose_left_side(study=comparison.study, comparison=comparison, rng=rng)
    cold = time.perf_counter() - started
    warm = []
    for _ in range(1000):
        started = time.perf_counter()
        choose_left_side(study=comparison.study, comparison=comparison, rng=rng)
        warm.append(time.perf_counter() - started)
    print(
        f"study with {n:,} assignments: cold {cold * 1000:.0f} ms, warm median {statistics.median(warm) * 1000:.3f} ms"
    )


if __name__ == "__main__":
    main()
