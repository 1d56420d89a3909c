"""Agreement and rater quality through the database: seed N judgments with the simulator, time the reads.

Run (scratch SQLite under /tmp, never the real database):
    EVALSITE_VAR_DIR=/tmp/evalsite-bench /work/main/.venv/bin/python bench/bench_quality_db.py [n_raters] [per_rater]
"""

from __future__ import annotations

import itertools
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "evalsite.settings")

import django

django.setup()

from django.contrib.auth.models import User  # noqa: E402 (after django.setup)
from django.core.management import call_command  # noqa: E402 (after django.setup)

from ratings.selectors import quality as selectors  # noqa: E402 (after django.setup)
from ratings.services.quality import quality_recompute  # noqa: E402 (after django.setup)
from ratings.tests.simulate import comparisons_add_gold_and_repeats, simulate_judgments  # noqa: E402 (after django.setup)
from tasks.models import Comparison, Output, Prompt, Study, System  # noqa: E402 (after django.setup)


def main(n_raters: int = 50, per_rater: int = 2000) -> None:
    call_command("migrate", verbosity=0)
    owner, _ = User.objects.get_or_create(username="bench-owner")
    study = Study.objects.create(owner=owner, name="bench", status="live")
    systems = System.objects.bulk_create([System(study=study, name=f"s{i}") for i in range(4)])
    prompts = Prompt.objects.bulk_create([Prompt(study=study, external_id=f"p{i}") for i in range(1000)])
    outputs = Output.objects.bulk_create(
        [Output(study=study, prompt=p, system=s, text="x") for p in prompts for s in systems]
    )
    by_prompt: dict[int, list[Output]] = {}
    for o in outputs:
        by_prompt.setdefault(o.prompt_id, []).append(o)
    Comparison.objects.bulk_create(
        [
            Comparison(study=study, prompt_id=pid, output_a=a, output_b=b)
            for pid, outs in by_prompt.items()
            for a, b in itertools.combinations(outs, 2)
        ]
    )
    comparisons_add_gold_and_repeats(study=study, n_gold=20, n_repeat=20)
    start = time.perf_counter()
    n = simulate_judgments(study=study, n_honest=n_raters - 3, per_rater=per_rater)["judgments"]
    print(f"seeded {n:,} judgments in {time.perf_counter() - start:.1f} s")
    for label, fn in [
        ("study_agreement (1000 bootstrap rounds)", lambda: selectors.study_agreement(study=study)),
        ("study_agreement again (cached)", lambda: selectors.study_agreement(study=study)),
        ("quality_recompute (all raters + rules)", lambda: quality_recompute(study=study)),
    ]:
        start = time.perf_counter()
        fn()
        print(f"{label:<44} {time.perf_counter() - start:7.2f} s")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
