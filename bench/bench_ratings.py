"""Benchmark: evalsite's Bradley-Terry + bootstrap vs FastChat's, and the full PostgreSQL → snapshot path.

Usage (from the repository root):

    python bench/bench_ratings.py                                  # evalsite only, in memory
    python bench/bench_ratings.py --fastchat /tmp/fastchat         # side by side with FastChat
    python bench/bench_ratings.py --postgres postgres://postgres@127.0.0.1:5432/evalsite_leaderboard_bench

``--fastchat`` is the root of a FastChat checkout (the folder that contains the ``fastchat`` package); its
``fastchat/serve/monitor/rating_systems.py`` is imported at run time (it needs pandas, tqdm and scipy, see
requirements-dev.txt). Nothing of FastChat is copied into this repository. Without the option that column
is skipped.

``--postgres`` (re)creates that database, migrates it, bulk-loads the same synthetic judgments with COPY
(1.5M judgments by default: raters, comparisons, assignments, judgments, choices) and times
``ratings.services.leaderboard.leaderboard_recompute`` — the aggregation query, the fit, 1000 bootstrap
rounds and the upsert of the snapshots.

Synthetic data: ``--systems`` systems with normal log10-strengths (sd 0.3, an arena-like spread of a few
hundred points), battles on pairs drawn with Pareto-skewed frequencies, ``--tie-rate`` ties (a third of
them "both bad"), the rest decided by the Bradley-Terry probability, in random order and random sides.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import platform
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from ratings.stats import bradley_terry as bt  # noqa: E402
from ratings.stats.elo import online_elo  # noqa: E402


def synth(*, n: int, k: int, tie_rate: float, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    strength = rng.normal(0.0, 0.3, k)  # log10 strengths
    lo, hi = np.triu_indices(k, 1)
    freq = rng.pareto(1.2, lo.size) + 0.05
    pair = rng.choice(lo.size, size=n, p=freq / freq.sum())
    flip = rng.random(n) < 0.5
    a = np.where(flip, hi[pair], lo[pair])
    b = np.where(flip, lo[pair], hi[pair])
    p_a = 1.0 / (1.0 + 10.0 ** (strength[b] - strength[a]))
    u = rng.random(n)
    tie = u < tie_rate
    both_bad = u < tie_rate / 3
    a_wins = ~tie & (rng.random(n) < p_a)
    outcome = np.where(tie, 0.5, np.where(a_wins, 1.0, 0.0))
    return {"a": a, "b": b, "outcome": outcome, "both_bad": both_bad, "strength": strength, "k": k}


def names(k: int) -> list[str]:
    return [f"sys-{x:03d}" for x in range(k)]


def time_evalsite(data: dict, *, rounds: int, seed: int, workers: int) -> dict:
    k = data["k"]
    t0 = time.perf_counter()
    table = bt.pair_table(data["a"], data["b"], data["outcome"], n_systems=k)
    fit = bt.fit_bradley_terry(table)
    t1 = time.perf_counter()
    samples = bt.bootstrap_bradley_terry(table, fit, rounds=rounds, seed=seed, workers=workers)
    t2 = time.perf_counter()
    lower, upper = bt.percentile_intervals(samples)
    return {
        "scores": fit.scores,
        "lower": lower,
        "upper": upper,
        "fit_s": t1 - t0,
        "bootstrap_s": t2 - t1,
        "cells": int(table.left.size * 3),
        "table": table,
        "fit": fit,
    }


def evalsite_peak_memory(data: dict, *, rounds: int, seed: int) -> float:
    """Peak MiB allocated (tracemalloc sees numpy's buffers) during fit + bootstrap, inputs excluded."""
    tracemalloc.start()
    table = bt.pair_table(data["a"], data["b"], data["outcome"], n_systems=data["k"])
    fit = bt.fit_bradley_terry(table)
    bt.bootstrap_bradley_terry(table, fit, rounds=rounds, seed=seed)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def time_fastchat(data: dict, *, path: str, rounds: int) -> dict:
    sys.path.insert(0, str(Path(path).resolve()))
    os.environ.setdefault("TQDM_DISABLE", "1")  # FastChat's progress bar would flood the table
    import pandas as pd
    from fastchat.serve.monitor import rating_systems as rs  # type: ignore[import-not-found]

    labels = np.array(names(data["k"]))
    winner = np.where(data["outcome"] == 1.0, "model_a", np.where(data["outcome"] == 0.0, "model_b", "tie"))
    winner = np.where(data["both_bad"], "tie (bothbad)", winner)
    df = pd.DataFrame({"model_a": labels[data["a"]], "model_b": labels[data["b"]], "winner": winner})
    t0 = time.perf_counter()
    point = rs.compute_bt(df)
    t1 = time.perf_counter()
    boot = rs.compute_bootstrap_bt(df, num_round=rounds)
    t2 = time.perf_counter()
    elo_t0 = time.perf_counter()
    elo = rs.compute_elo(df)
    elo_s = time.perf_counter() - elo_t0
    order = list(labels)
    return {
        "scores": point.reindex(order).to_numpy(),
        "lower": boot[order].quantile(0.025).to_numpy(),
        "upper": boot[order].quantile(0.975).to_numpy(),
        "fit_s": t1 - t0,
        "bootstrap_s": t2 - t1,
        "elo": np.array([elo[m] for m in order]),
        "elo_s": elo_s,
    }


# --------------------------------------------------------------------------- PostgreSQL full path


def _copy(cursor, table: str, columns: list[str], rows: list[str]) -> None:
    buf = io.StringIO("\n".join(rows) + "\n")
    cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buf)


def _django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "evalsite.settings")
    import django

    django.setup()


def time_recompute(*, study_id: int, rounds: int, repeats: int = 2) -> tuple[list[float], object]:
    """Time leaderboard_recompute (aggregate in SQL + fit + bootstrap + upsert); the first run warms caches."""
    from ratings.selectors.leaderboard import LeaderboardOptions
    from ratings.services.leaderboard import leaderboard_recompute

    timings, snaps = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        snaps = leaderboard_recompute(study_id=study_id, options=LeaderboardOptions(rounds=rounds))
        timings.append(time.perf_counter() - t0)
    overall = next(s for s in snaps if s.method == "bradley_terry" and s.tag == "")
    return timings, overall


def postgres_reuse(*, url: str, rounds: int) -> dict:
    """Time the recompute on a database a previous --postgres run loaded (no reload)."""
    _django(url)
    from tasks.models import Study

    study = Study.objects.get(name="bench")
    timings, overall = time_recompute(study_id=study.id, rounds=rounds, repeats=3)
    return {"recompute_s": timings, "n_judgments": overall.n_judgments}


def postgres_full_path(data: dict, *, url: str, rounds: int, prompts: int, raters: int) -> dict:
    """Load the judgments into a fresh database and time the recompute service end to end."""
    import psycopg2
    from psycopg2 import sql

    base, _, dbname = url.rpartition("/")
    admin = psycopg2.connect(f"{base}/postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(dbname)))
        cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
    admin.close()
    _django(url)
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    from tasks.models import Study, System

    call_command("migrate", verbosity=0)
    owner = get_user_model().objects.create_user("bench-owner", password="bench-pass-123")
    study = Study.objects.create(owner=owner, name="bench", status="live")
    k = data["k"]
    systems = System.objects.bulk_create([System(study=study, name=nm) for nm in names(k)])
    sys_ids = np.array([s.id for s in systems])
    t_load = time.perf_counter()
    now = dt.datetime.now(dt.UTC).isoformat()
    n = data["a"].size
    lo = np.minimum(data["a"], data["b"])
    hi = np.maximum(data["a"], data["b"])
    # canonical choice for side a = lower index
    out_lo = np.where(data["a"] == lo, data["outcome"], 1.0 - data["outcome"])
    choice = np.where(out_lo == 1.0, "a", np.where(out_lo == 0.0, "b", "tie"))
    choice = np.where(data["both_bad"], "both_bad", choice)
    # group battles of one pair into comparisons on distinct prompts
    pair_key = lo * k + hi
    order = np.argsort(pair_key, kind="stable")
    sorted_key = pair_key[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_key)) + 1]
    counts = np.diff(np.r_[starts, n])
    per_comp = np.maximum(5, -(-counts // prompts))
    if per_comp.max() > raters:
        raise SystemExit("increase --raters: a comparison needs more distinct raters than exist")
    rank_in_pair = np.arange(n) - np.repeat(starts, counts)
    group = rank_in_pair // np.repeat(per_comp, counts)
    comp_key = np.empty(n, dtype=np.int64)
    comp_key[order] = sorted_key * prompts + group  # unique (pair, prompt index)
    uniq, comp_index = np.unique(comp_key, return_inverse=True)
    comp_pair, comp_prompt = uniq // prompts, uniq % prompts
    comp_lo, comp_hi = comp_pair // k, comp_pair % k
    slot = np.empty(n, dtype=np.int64)
    slot[order] = rank_in_pair % np.repeat(per_comp, counts)
    rater_index = (comp_index * 7 + slot) % raters  # distinct within a comparison
    with connection.cursor() as cur:
        raw = cur.cursor if hasattr(cur, "cursor") else cur
        for table in (
            "tasks_output",
            "tasks_comparison",
            "tasks_assignment",
            "ratings_judgment",
            "ratings_judgmentchoice",
        ):
            cur.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        sid = study.id
        _copy(
            raw,
            "tasks_prompt",
            ["id", "study_id", "external_id", "public_id", "text", "image", "messages", "tags", "meta", "created_at"],
            [f"{p + 1}\t{sid}\tp{p}\tbp{p}\tprompt {p}\t\t[]\t[]\t{{}}\t{now}" for p in range(prompts)],
        )
        out_id = lambda p, s: p * k + s + 1  # noqa: E731
        _copy(
            raw,
            "tasks_output",
            [
                "id",
                "study_id",
                "prompt_id",
                "system_id",
                "public_id",
                "text",
                "image",
                "leak_flags",
                "leak_review",
                "meta",
                "created_at",
            ],
            [
                f"{out_id(p, s)}\t{sid}\t{p + 1}\t{sys_ids[s]}\tbo{out_id(p, s)}\tx\t\t[]\tclean\t{{}}\t{now}"
                for p in range(prompts)
                for s in range(k)
            ],
        )
        _copy(
            raw,
            "tasks_comparison",
            [
                "id",
                "study_id",
                "prompt_id",
                "output_a_id",
                "output_b_id",
                "public_id",
                "kind",
                "gold_answers",
                "gold_explanation",
                "judgment_count",
                "active",
                "created_at",
            ],
            [
                f"{c + 1}\t{sid}\t{comp_prompt[c] + 1}\t{out_id(comp_prompt[c], comp_lo[c])}\t{out_id(comp_prompt[c], comp_hi[c])}\tbc{c}\tregular\t{{}}\t\t0\tt\t{now}"
                for c in range(uniq.size)
            ],
        )
        _copy(
            raw,
            "tasks_rater",
            ["id", "study_id", "platform", "external_id", "session_meta", "status", "excluded", "created_at"],
            [f"{r + 1}\t{sid}\tgeneric\tw{r}\t{{}}\tactive\tf\t{now}" for r in range(raters)],
        )
        comp_col = (comp_index + 1).tolist()
        rater_col = (rater_index + 1).tolist()
        _copy(
            raw,
            "tasks_assignment",
            [
                "id",
                "study_id",
                "comparison_id",
                "rater_id",
                "public_id",
                "left_side",
                "status",
                "leased_at",
                "expires_at",
                "finished_at",
                "skip_reason",
            ],
            [
                f"{x + 1}\t{sid}\t{comp_col[x]}\t{rater_col[x]}\tba{x}\ta\tsubmitted\t{now}\t2099-01-01T00:00:00+00:00\t{now}\t"
                for x in range(n)
            ],
        )
        _copy(
            raw,
            "ratings_judgment",
            ["id", "assignment_id", "study_id", "comparison_id", "rater_id", "rationale", "seconds", "created_at"],
            [f"{x + 1}\t{x + 1}\t{sid}\t{comp_col[x]}\t{rater_col[x]}\t\t10\t{now}" for x in range(n)],
        )
        choice_col = choice.tolist()
        _copy(
            raw,
            "ratings_judgmentchoice",
            ["id", "judgment_id", "study_id", "criterion", "choice"],
            [f"{x + 1}\t{x + 1}\t{sid}\toverall\t{choice_col[x]}" for x in range(n)],
        )
        for table in (
            "tasks_output",
            "tasks_comparison",
            "tasks_assignment",
            "ratings_judgment",
            "ratings_judgmentchoice",
        ):
            cur.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        for table in (
            "tasks_prompt",
            "tasks_output",
            "tasks_comparison",
            "tasks_rater",
            "tasks_assignment",
            "ratings_judgment",
            "ratings_judgmentchoice",
        ):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
            cur.execute(f"ANALYZE {table}")
    load_s = time.perf_counter() - t_load
    timings, overall = time_recompute(study_id=study.id, rounds=rounds)
    # the stored scores must equal the in-memory fit of the same battles
    stored = {row["system"]: row["score"] for row in overall.result["systems"]}
    return {
        "load_s": load_s,
        "recompute_s": timings,
        "n_judgments": overall.n_judgments,
        "comparisons": int(uniq.size),
        "stored_scores": stored,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--judgments", type=int, default=1_500_000)
    parser.add_argument("--systems", type=int, default=130)
    parser.add_argument("--tie-rate", type=float, default=0.35)
    parser.add_argument("--rounds", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fastchat", help="root of a FastChat checkout (contains the fastchat package)")
    parser.add_argument("--postgres", help="database URL for the full-path bench; the database is recreated")
    parser.add_argument("--workers", type=int, default=2, help="bootstrap processes (FastChat uses os.cpu_count())")
    parser.add_argument("--reuse", action="store_true", help="with --postgres: time the recompute on the loaded data")
    parser.add_argument("--skip-memory", action="store_true", help="skip evalsite's separate peak-memory run")
    parser.add_argument("--prompts", type=int, default=1000)
    parser.add_argument("--raters", type=int, default=20000)
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    # The PostgreSQL full path uses as many bootstrap processes as the side-by-side run (product default: 1).
    os.environ["LEADERBOARD_BOOTSTRAP_WORKERS"] = str(args.workers)

    if args.postgres and args.reuse:
        pg = postgres_reuse(url=args.postgres, rounds=args.rounds)
        print(
            f"PostgreSQL (reused data, {pg['n_judgments']:,} judgments): recompute "
            + ", ".join(f"{t:.2f} s" for t in pg["recompute_s"])
            + f"; peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
            + f" (largest bootstrap worker {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.0f} MiB)"
            + f"; load {os.getloadavg()}"
        )
        return
    data = synth(n=args.judgments, k=args.systems, tie_rate=args.tie_rate, seed=args.seed)
    report: dict = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, numpy {np.__version__}",
        "load_average": os.getloadavg(),
        "judgments": args.judgments,
        "systems": args.systems,
        "tie_share": float((data["outcome"] == 0.5).mean()),
        "rounds": args.rounds,
    }
    print(
        f"# {args.judgments:,} judgments, {args.systems} systems, ties {report['tie_share']:.1%}, {args.rounds} rounds"
    )
    ours = time_evalsite(data, rounds=args.rounds, seed=args.seed, workers=args.workers)
    ours1 = time_evalsite(data, rounds=args.rounds, seed=args.seed, workers=1) if args.workers > 1 else ours
    report["evalsite"] = {
        "fit_s": ours["fit_s"],
        "bootstrap_s": ours["bootstrap_s"],
        "bootstrap_1_process_s": ours1["bootstrap_s"],
        "workers": args.workers,
        "cells": ours["cells"],
    }
    report["evalsite"]["peak_mib"] = (
        float("nan") if args.skip_memory else evalsite_peak_memory(data, rounds=args.rounds, seed=args.seed)
    )
    t0 = time.perf_counter()
    our_elo = online_elo(data["a"], data["b"], data["outcome"], n_systems=args.systems)
    report["evalsite"]["elo_s"] = time.perf_counter() - t0
    rows = [
        ("fit (point scores)", f"{ours['fit_s']:.2f} s"),
        (f"bootstrap x{args.rounds} ({args.workers} proc)", f"{ours['bootstrap_s']:.2f} s"),
        (f"bootstrap x{args.rounds} (1 proc)", f"{ours1['bootstrap_s']:.2f} s"),
        ("online Elo", f"{report['evalsite']['elo_s']:.2f} s"),
        ("peak memory (fit+bootstrap)", f"{report['evalsite']['peak_mib']:.0f} MiB"),
    ]
    if args.fastchat:
        fc = time_fastchat(data, path=args.fastchat, rounds=args.rounds)
        score_diff = np.abs(ours["scores"] - fc["scores"])
        ratio = (ours["upper"] - ours["lower"]) / (fc["upper"] - fc["lower"])
        speedup = (fc["fit_s"] + fc["bootstrap_s"]) / (ours["fit_s"] + ours["bootstrap_s"])
        speedup1 = (fc["fit_s"] + fc["bootstrap_s"]) / (ours1["fit_s"] + ours1["bootstrap_s"])
        report["fastchat"] = {
            "fit_s": fc["fit_s"],
            "bootstrap_s": fc["bootstrap_s"],
            "elo_s": fc["elo_s"],
            "max_abs_score_diff": float(score_diff.max()),
            "width_ratio_median": float(np.median(ratio)),
            "width_ratio_min": float(ratio.min()),
            "width_ratio_max": float(ratio.max()),
            "share_within_10pct": float((np.abs(ratio - 1) <= 0.10).mean()),
            "elo_max_abs_diff": float(np.abs(our_elo - fc["elo"]).max()),
            "speedup_fit_plus_bootstrap": speedup,
            "speedup_fit_plus_bootstrap_1_process": speedup1,
        }
        f = report["fastchat"]
        rows = [
            ("fit (point scores)", f"{ours['fit_s']:.2f} s", f"{fc['fit_s']:.2f} s"),
            (
                f"bootstrap x{args.rounds} ({args.workers} proc / FastChat pool)",
                f"{ours['bootstrap_s']:.2f} s",
                f"{fc['bootstrap_s']:.2f} s",
            ),
            (f"bootstrap x{args.rounds} (1 proc)", f"{ours1['bootstrap_s']:.2f} s", ""),
            ("online Elo", f"{report['evalsite']['elo_s']:.2f} s", f"{fc['elo_s']:.2f} s"),
            ("peak memory (fit+bootstrap)", f"{report['evalsite']['peak_mib']:.0f} MiB", "-"),
            ("speed-up fit+bootstrap", f"{speedup:.0f}x ({speedup1:.0f}x with 1 proc)", "1x"),
            ("max |score diff|", f"{f['max_abs_score_diff']:.4f}", ""),
            (
                "interval width ratio (median, min, max)",
                f"{f['width_ratio_median']:.3f}, {f['width_ratio_min']:.3f}, {f['width_ratio_max']:.3f}",
                "",
            ),
            ("systems with widths within 10%", f"{f['share_within_10pct']:.1%}", ""),
            ("max |Elo diff|", f"{f['elo_max_abs_diff']:.2e}", ""),
        ]
    header = ("measure", "evalsite", "FastChat") if args.fastchat else ("measure", "evalsite")
    width = max(len(r[0]) for r in rows) + 2
    print("".join(h.ljust(width if i == 0 else 28) for i, h in enumerate(header)))
    for r in rows:
        print("".join(str(c).ljust(width if i == 0 else 28) for i, c in enumerate(r)))
    if args.postgres:
        pg = postgres_full_path(data, url=args.postgres, rounds=args.rounds, prompts=args.prompts, raters=args.raters)
        diff = max(abs(pg["stored_scores"][nm] - ours["scores"][x]) for x, nm in enumerate(names(args.systems)))
        pg["max_abs_diff_vs_in_memory"] = diff
        pg.pop("stored_scores")
        report["postgres"] = pg
        print(
            f"PostgreSQL: loaded {pg['n_judgments']:,} judgments ({pg['comparisons']:,} comparisons) in {pg['load_s']:.0f} s; "
            f"recompute (aggregate + fit + {args.rounds} rounds + store): "
            + ", ".join(f"{t:.2f} s" for t in pg["recompute_s"])
            + f"; stored vs in-memory scores max diff {diff:.3f}"
        )
    report["max_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    report["load_average_after"] = os.getloadavg()
    print(
        f"process peak RSS {report['max_rss_mib']:.0f} MiB; load average before {report['load_average']}, after {report['load_average_after']}"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2, default=float))


if __name__ == "__main__":
    main()
