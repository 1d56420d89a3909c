"""Benchmark: import and launch of a large study (default 10k prompts x 6 systems, all pairs = 150k comparisons).

Usage (from the repository root):

    # SQLite (a fresh file database in a temporary directory)
    .venv/bin/python bench/bench_launch.py
    # PostgreSQL (your own database; it is created if missing and migrated)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/evalsite_design .venv/bin/python bench/bench_launch.py

Options: --prompts N --systems K --pairing all_pairs|sampled --k PAIRS --repeat-rate R
Prints one JSON line with the timings; the study it creates is deleted afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
if not os.environ.get("DATABASE_URL"):
    os.environ["EVALSITE_VAR_DIR"] = tempfile.mkdtemp(prefix="evalsite-bench-")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "evalsite.settings")


def _ensure_postgres_database(url: str) -> None:
    import psycopg2
    from dj_database_url import parse
    from psycopg2 import sql
    from psycopg2.extensions import ISOLATION_LEVEL_AUTOCOMMIT

    cfg = parse(url)
    conn = psycopg2.connect(
        dbname="postgres", user=cfg["USER"], host=cfg["HOST"], port=cfg["PORT"] or 5432, password=cfg["PASSWORD"]
    )
    conn.set_isolation_level(ISOLATION_LEVEL_AUTOCOMMIT)
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [cfg["NAME"]])
        if cur.fetchone() is None:
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(cfg["NAME"])))
    conn.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--prompts", type=int, default=10_000)
    parser.add_argument("--systems", type=int, default=6)
    parser.add_argument("--pairing", default="all_pairs")
    parser.add_argument("--k", type=int, default=0)
    parser.add_argument("--repeat-rate", type=float, default=0.0)
    args = parser.parse_args()

    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        _ensure_postgres_database(os.environ["DATABASE_URL"])

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)

    from tasks.models import Comparison
    from tasks.services.imports import import_outputs
    from tasks.services.studies import study_create, study_transition
    from tasks.tests.factories import OwnerFactory

    owner = OwnerFactory(username=f"bench-{os.getpid()}")
    study = study_create(
        owner=owner,
        name="bench",
        pairing=args.pairing,
        pairs_per_prompt=args.k,
        repeat_rate=args.repeat_rate,
    )
    systems = [f"system-{chr(65 + i)}" for i in range(args.systems)]
    lines = [
        json.dumps({"prompt_id": f"q{p}", "prompt": f"Question {p}?", "system": s, "output": f"Answer {p} {i}."})
        for p in range(args.prompts)
        for i, s in enumerate(systems)
    ]
    data = ("\n".join(lines) + "\n").encode()

    started = time.perf_counter()
    summary = import_outputs(study=study, data=data, background=False).summary
    import_seconds = time.perf_counter() - started

    started = time.perf_counter()
    study_transition(study=study, action="launch")
    launch_seconds = time.perf_counter() - started
    comparisons = Comparison.objects.filter(study=study).count()

    started = time.perf_counter()
    study_transition(study=study, action="launch")  # idempotent retry
    relaunch_seconds = time.perf_counter() - started

    print(
        json.dumps(
            {
                "database": connection.vendor,
                "prompts": args.prompts,
                "systems": args.systems,
                "pairing": args.pairing,
                "lines": summary["lines"],
                "import_seconds": round(import_seconds, 2),
                "comparisons": comparisons,
                "launch_seconds": round(launch_seconds, 2),
                "relaunch_seconds": round(relaunch_seconds, 3),
                "python": platform.python_version(),
                "cpu_count": os.cpu_count(),
            }
        )
    )
    study.delete()
    owner.delete()


if __name__ == "__main__":
    main()
