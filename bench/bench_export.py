"""Benchmark: export 1M judgments to judgments.jsonl and preferences.jsonl from PostgreSQL; time and peak RSS.

    /work/main/.venv/bin/python bench/bench_export.py [--judgments 1000000] [--reload]
        [--db postgres://postgres@127.0.0.1:5432/evalsite_exports_bench]

Loads a synthetic study once (COPY, triggers off while loading) into its own database, then runs each
export in a fresh subprocess that reports its wall time and its peak RSS (getrusage ru_maxrss), so
the numbers belong to the exporting process alone. Results go to stdout as JSON and a Markdown row.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/evalsite_exports_bench"
SLUG = "bench-export-1m"
N_SYSTEMS = 8
REDUNDANCY = 3


def setup_django(db_url: str) -> None:
    os.environ["DATABASE_URL"] = db_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "evalsite.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def ensure_database(db_url: str, *, drop: bool = False) -> None:
    import psycopg2
    from psycopg2 import sql

    base, name = db_url.rsplit("/", 1)
    conn = psycopg2.connect(base + "/postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        if drop:
            cur.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if not cur.fetchone():
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    conn.close()


def loaded_judgments(db_url: str) -> int:
    """Judgments of the benchmark study already in the database (-1 if there is no database or study)."""
    import psycopg2

    try:
        conn = psycopg2.connect(db_url)
    except psycopg2.OperationalError:
        return -1
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT count(*) FROM ratings_judgment j JOIN tasks_study s ON s.id = j.study_id WHERE s.slug = %s",
                [SLUG],
            )
            return cur.fetchone()[0]
    except psycopg2.Error:
        return -1
    finally:
        conn.close()


class Rows(io.RawIOBase):
    """A file-like object over a generator of text lines, for COPY FROM without building the data in memory."""

    def __init__(self, lines):
        self.lines = lines
        self.buffer = b""

    def readable(self):
        return True

    def readinto(self, b):
        while len(self.buffer) < len(b):
            try:
                self.buffer += next(self.lines).encode()
            except StopIteration:
                break
        n = min(len(b), len(self.buffer))
        b[:n] = self.buffer[:n]
        self.buffer = self.buffer[n:]
        return n


def copy(cur, table: str, columns: list[str], lines) -> None:
    cur.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", io.BufferedReader(Rows(lines), 1 << 20))


def load(n_judgments: int) -> None:
    from django.db import connection, transaction

    from tasks.models import Study, System
    from tasks.tests.factories import OwnerFactory

    owner = OwnerFactory(username="bench-owner")
    study = Study.objects.create(owner=owner, name="Export benchmark", slug=SLUG, status="closed")
    systems = [System.objects.create(study=study, name=f"model-{i}").id for i in range(N_SYSTEMS)]
    pairs = [(i, j) for i in range(N_SYSTEMS) for j in range(i + 1, N_SYSTEMS)]
    n_comparisons = -(-n_judgments // REDUNDANCY)
    n_prompts = -(-n_comparisons // len(pairs))
    n_raters = 3000
    rng = random.Random(1)
    strengths = [1.5 - 0.4 * i for i in range(N_SYSTEMS)]
    now = "2026-11-01 12:00:00+00"
    tables = ["tasks_prompt", "tasks_output", "tasks_comparison", "tasks_rater", "tasks_assignment"]
    tables += ["ratings_judgment", "ratings_judgmentchoice"]
    first_id = {}
    with connection.cursor() as c:
        for table in tables:
            c.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table}")
            first_id[table] = c.fetchone()[0]
    p0, o0, c0, r0, a0, j0, ch0 = (first_id[t] for t in tables)
    sid = study.id
    prompt_text = "Explain the trade-offs of retrieval-augmented generation for a customer-support bot, briefly. " * 2
    answer = "Retrieval grounds answers in current documents; it costs latency and depends on index quality. " * 5

    def prompts():
        for p in range(n_prompts):
            yield f'{p0 + p}\t{sid}\tbp{p}\tbP{p0 + p:011d}\t{prompt_text}{p}\t\t[]\t["t{p % 5}"]\t{{}}\t{now}\n'

    def outputs():
        for p in range(n_prompts):
            for s in range(N_SYSTEMS):
                oid = o0 + p * N_SYSTEMS + s
                yield f"{oid}\t{sid}\t{p0 + p}\t{systems[s]}\tbO{oid:011d}\t{answer}{s}\t\t[]\tclean\t{{}}\t{now}\n"

    def comparisons():
        for k in range(n_comparisons):
            p, (i, j) = divmod(k, len(pairs))[0], pairs[k % len(pairs)]
            oa, ob = o0 + p * N_SYSTEMS + i, o0 + p * N_SYSTEMS + j
            yield f"{c0 + k}\t{sid}\t{p0 + p}\t{oa}\t{ob}\tbC{c0 + k:011d}\tregular\t{{}}\t\t{REDUNDANCY}\tt\t{now}\n"

    def raters():
        for r in range(n_raters):
            yield f"{r0 + r}\t{sid}\tprolific\tBENCH{r:06d}\t{{}}\tactive\tf\t{now}\n"

    def judged():
        for n in range(n_judgments):
            k, v = divmod(n, REDUNDANCY)
            rater = r0 + (k * 7 + v * 1001) % n_raters
            yield n, k, rater

    def assignments():
        for n, k, rater in judged():
            side = "ab"[n % 2]
            yield f"{a0 + n}\t{sid}\t{c0 + k}\t{rater}\tbA{a0 + n:011d}\t{side}\tsubmitted\t{now}\t2026-11-01 12:15:00+00\t{now}\t\n"

    def judgments():
        for n, k, rater in judged():
            yield f"{j0 + n}\t{a0 + n}\t{sid}\t{c0 + k}\t{rater}\t\t{10 + n % 30}\t{now}\n"

    def choices():
        for n in range(n_judgments):
            k = n // REDUNDANCY
            i, j = pairs[k % len(pairs)]
            u = rng.random()
            if u < 0.08:
                choice = "tie"
            elif u < 0.1:
                choice = "both_bad"
            else:
                p_a = 1 / (1 + 10 ** ((strengths[j] - strengths[i]) / 1.5))
                choice = "a" if rng.random() < p_a else "b"
            yield f"{ch0 + n}\t{j0 + n}\t{sid}\toverall\t{choice}\t{1 + n % 5}\t{1 + (n // 5) % 5}\n"

    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as c:
        cur = c.cursor
        cur.execute("SET LOCAL session_replication_role = replica")  # bulk load: skip the same-study triggers
        copy(
            cur,
            "tasks_prompt",
            "id study_id external_id public_id text image messages tags meta created_at".split(),
            prompts(),
        )
        copy(
            cur,
            "tasks_output",
            "id study_id prompt_id system_id public_id text image leak_flags leak_review meta created_at".split(),
            outputs(),
        )
        copy(
            cur,
            "tasks_comparison",
            "id study_id prompt_id output_a_id output_b_id public_id kind gold_answers gold_explanation judgment_count active created_at".split(),
            comparisons(),
        )
        copy(
            cur,
            "tasks_rater",
            "id study_id platform external_id session_meta status excluded created_at".split(),
            raters(),
        )
        copy(
            cur,
            "tasks_assignment",
            "id study_id comparison_id rater_id public_id left_side status leased_at expires_at finished_at skip_reason".split(),
            assignments(),
        )
        copy(
            cur,
            "ratings_judgment",
            "id assignment_id study_id comparison_id rater_id rationale seconds created_at".split(),
            judgments(),
        )
        copy(
            cur,
            "ratings_judgmentchoice",
            "id judgment_id study_id criterion choice likert_a likert_b".split(),
            choices(),
        )
        for table in tables:
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    with connection.cursor() as c:
        c.execute("ANALYZE")
    print(
        json.dumps(
            {
                "loaded": n_judgments,
                "prompts": n_prompts,
                "comparisons": n_comparisons,
                "raters": n_raters,
                "seconds": round(time.perf_counter() - started, 1),
            }
        ),
        flush=True,
    )


def run_export(fmt: str, out: str) -> None:
    """Child process: one export to a file, then report time and this process's peak RSS."""
    from ratings.services import exports as ex
    from tasks.models import Study

    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    study = Study.objects.get(slug=SLUG)
    filters = ex.export_filters_parse(study=study, data={})
    started = time.perf_counter()
    rows = ex.export_write_file(
        study=study, format=fmt, file_type="jsonl", filters=filters, path=Path(out), zipped=False
    )
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "format": fmt,
                "rows": rows,
                "seconds": round(seconds, 1),
                "rows_per_second": round(rows / seconds),
                "bytes": os.path.getsize(out),
                "peak_rss_mb": round(peak / 1024, 1),
                "rss_after_django_setup_mb": round(baseline / 1024, 1),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default=DEFAULT_DB)
    parser.add_argument("--judgments", type=int, default=1_000_000)
    parser.add_argument("--reload", action="store_true")
    parser.add_argument("--out-dir", default="/tmp/evalsite-bench-export")
    parser.add_argument("--child", default="", help=argparse.SUPPRESS)
    parser.add_argument("--child-out", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        setup_django(args.db)
        run_export(args.child, args.child_out)
        return
    have = loaded_judgments(args.db)
    fresh = args.reload or have != args.judgments
    ensure_database(args.db, drop=fresh)
    setup_django(args.db)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if fresh:
        load(args.judgments)
    Path(args.out_dir).mkdir(parents=True, exist_ok=True)
    results = []
    for fmt in ("judgments", "preferences"):
        out = str(Path(args.out_dir) / f"{fmt}.jsonl")
        child = subprocess.run(
            [sys.executable, __file__, "--db", args.db, "--child", fmt, "--child-out", out],
            check=True,
            capture_output=True,
            text=True,
        )
        result = json.loads(child.stdout.strip().splitlines()[-1])
        results.append(result)
        print(json.dumps(result), flush=True)
    print(f"\nmachine: {platform.platform()}, {os.cpu_count()} cpus, python {platform.python_version()}")
    for r in results:
        print(
            f"| {r['format']}.jsonl | {r['rows']:,} | {r['seconds']} s | {r['rows_per_second']:,}/s "
            f"| {r['bytes'] / 1e6:.0f} MB | {r['peak_rss_mb']} MB | {r['rss_after_django_setup_mb']} MB |"
        )


if __name__ == "__main__":
    main()
