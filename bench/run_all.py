"""`make bench`: run every benchmark in bench/ one after the other and print their tables.

Environment:
  FASTCHAT_PATH        a FastChat checkout or bare git dir (never committed): adds FastChat's column to the
                       ratings and style-control benches
  BENCH_POSTGRES_URL   e.g. postgres://postgres@127.0.0.1:5432/evalsite_bench — adds the PostgreSQL
                       runs (full leaderboard path, 1M-judgment export, launch on PostgreSQL)
Record the numbers in docs/benchmarks.md with the machine, date and command.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def run(args: list[str], env: dict[str, str] | None = None) -> int:
    print(f"\n=== {' '.join(args)}", flush=True)
    return subprocess.call([sys.executable, *args], cwd=BENCH.parent, env={**os.environ, **(env or {})})


def main() -> int:
    fastchat = os.environ.get("FASTCHAT_PATH", "")
    postgres = os.environ.get("BENCH_POSTGRES_URL", "")
    ratings = ["bench/bench_ratings.py"]
    if fastchat:
        ratings += ["--fastchat", fastchat]
    if postgres:
        ratings += ["--postgres", postgres.rsplit("/", 1)[0] + "/evalsite_ratings_bench"]
    failures = 0
    failures += run(ratings) != 0
    style = ["bench/bench_style_control.py"] + (["--fastchat", fastchat] if fastchat else [])
    failures += run(style) != 0
    failures += run(["bench/bench_adaptive.py"]) != 0
    failures += run(["bench/bench_intervals.py"]) != 0  # 130/500/1,000 systems against the code before issue 15
    failures += run(["bench/bench_coverage.py"]) != 0  # about an hour on 2 cores: 5 designs × 200 crowds
    failures += run(["bench/bench_agreement.py"]) != 0
    failures += run(["bench/bench_rankings.py"]) != 0
    failures += run(["bench/bench_rater_flags.py"]) != 0
    failures += run(["bench/bench_markdown.py"]) != 0
    failures += run(["bench/bench_launch.py"], env={"DATABASE_URL": ""}) != 0
    scratch = tempfile.mkdtemp(prefix="evalsite-bench-")  # never the real database
    failures += run(["bench/bench_quality_db.py"], env={"DATABASE_URL": "", "EVALSITE_VAR_DIR": scratch}) != 0
    if postgres:
        failures += run(["bench/bench_launch.py"], env={"DATABASE_URL": postgres}) != 0
        ratings_db = postgres.rsplit("/", 1)[0] + "/evalsite_ratings_bench"  # loaded by bench_ratings.py above
        failures += run(["bench/bench_lease_side.py"], env={"DATABASE_URL": ratings_db}) != 0
        failures += run(["bench/bench_export.py", "--db", postgres.rsplit("/", 1)[0] + "/evalsite_exports_bench"]) != 0
        owner_db = postgres.rsplit("/", 1)[0] + "/evalsite_owner_bench"
        failures += run(["bench/bench_owner_pages.py"], env={"DATABASE_URL": owner_db}) != 0
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
