"""Benchmark: the reads behind the owner's study page and studies list on a study with a large crowd.

A study with S systems × P prompts, launched (all pairs), and R raters who each submitted one judgment
(assignment) spread over the last 30 days, loaded with one INSERT … SELECT generate_series per table.
Times, in the same run:

- the study page's headline counts: the former single aggregate that joined systems, prompts and raters
  (reference; its rows multiply to S × P × R, so it runs under a statement timeout) against
  `tasks.selectors.studies.study_counts` (independent correlated counts);
- `study_progress` (target, judged, rate and time left), `launch_preview`, the studies list.

Usage (PostgreSQL only; your own database, created if missing and migrated; the study is deleted after):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/evalsite_owner_bench .venv/bin/python bench/bench_owner_pages.py

Options: --systems 6 --prompts 200 --raters 50000 --repeat 5 --reference-timeout 120
Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "evalsite.settings")

from bench.bench_launch import _ensure_postgres_database


def _timed(fn, repeat: int) -> float:
    fn()  # warm
    started = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - started) / repeat * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--systems", type=int, default=6)
    parser.add_argument("--prompts", type=int, default=200)
    parser.add_argument("--raters", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--reference-timeout", type=int, default=120, help="seconds for the old joined count")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL=postgres://… (this benchmark loads data with PostgreSQL's generate_series).")
    _ensure_postgres_database(url)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count

    from tasks.models import Study
    from tasks.selectors.studies import launch_preview, studies_for_owner_home, study_counts, study_progress
    from tasks.services.studies import study_transition
    from tasks.tests.factories import make_study_with_outputs

    call_command("migrate", verbosity=0)
    study = make_study_with_outputs(n_systems=args.systems, n_prompts=args.prompts, status="draft", redundancy=3)
    try:
        started = time.perf_counter()
        study_transition(study=study, action="launch")
        with connection.cursor() as cur:
            cur.execute(
                "INSERT INTO tasks_rater (study_id, platform, external_id, session_meta, status, excluded, created_at)"
                " SELECT %s, 'generic', 'bench-' || g, '{}', 'active', false, now()"
                " FROM generate_series(1, %s) g",
                [study.id, args.raters],
            )
            cur.execute(
                "INSERT INTO tasks_assignment (study_id, comparison_id, rater_id, public_id, left_side, status,"
                " leased_at, expires_at, finished_at, skip_reason)"
                " SELECT %s, c.id, r.id, md5(r.id::text || '-' || c.id), 'a', 'submitted',"
                "  f - interval '1 minute', f + interval '5 minutes', f, ''"
                " FROM (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n, count(*) OVER () AS total"
                "       FROM tasks_comparison WHERE study_id = %s) c"
                " JOIN (SELECT id, row_number() OVER (ORDER BY id) AS n, now() - random() * interval '30 days' AS f"
                "       FROM tasks_rater WHERE study_id = %s) r ON r.n %% c.total = c.n",
                [study.id, study.id, study.id],
            )
            cur.execute("ANALYZE")
        load_s = time.perf_counter() - started

        def reference() -> None:
            with connection.cursor() as cur:
                cur.execute(f"SET statement_timeout = {args.reference_timeout * 1000}")
                try:
                    Study.objects.filter(pk=study.pk).aggregate(
                        systems=Count("systems", distinct=True),
                        prompts=Count("prompts", distinct=True),
                        raters=Count("raters", distinct=True),
                    )
                finally:
                    cur.execute("SET statement_timeout = 0")

        ref_started = time.perf_counter()
        try:
            reference()
            reference_ms: float | str = round((time.perf_counter() - ref_started) * 1000, 1)
        except Exception:  # the statement timeout
            reference_ms = f"> {args.reference_timeout * 1000} (statement timeout)"
        counts = study_counts(study=study)
        result = {
            "bench": "owner_pages",
            "systems": args.systems,
            "prompts": args.prompts,
            "raters": args.raters,
            "comparisons": counts["comparisons"],
            "judgments": counts["assignments_submitted"],
            "load_s": round(load_s, 1),
            "study_counts_old_join_ms (once)": reference_ms,
            "study_counts_ms": round(_timed(lambda: study_counts(study=study), args.repeat), 1),
            "study_progress_ms": round(_timed(lambda: study_progress(study=study), args.repeat), 1),
            "launch_preview_ms": round(_timed(lambda: launch_preview(study=study), args.repeat), 1),
            "studies_list_ms": round(_timed(lambda: list(studies_for_owner_home(user=study.owner)), args.repeat), 1),
            "postgres": connection.pg_version,
            "python": platform.python_version(),
            "load_average": os.getloadavg(),
        }
    finally:
        Study.objects.filter(pk=study.pk).delete()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
