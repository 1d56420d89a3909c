"""Benchmark: the 1000-round bootstrap at 130, 500 and 1,000 systems — before issue 15 and now, per method.

Usage (from the repository root):

    python bench/bench_intervals.py                         # 130, 500, 1000 systems; reference at 130 and 500
    python bench/bench_intervals.py --systems 130 --repeats 3 --reference-systems 130,500,1000

Data: ``bench_ratings.synth`` (1.5M judgments, arena-like strengths, Pareto-skewed pair frequencies, 35%
ties), each judgment given a rater (20,000 raters) and a prompt (1,000 prompts) uniformly at random.

Each measurement runs in its own child process (so peak RSS is that of one run): point fit + 1000 rounds
(+ rank intervals and the two-way correction for the new code). ``reference`` is
``ratings/stats/bradley_terry.py`` as it was before issue 15 (commit ``REFERENCE_COMMIT``), extracted from
git at run time into a temporary file — its ``fit_bradley_terry`` + ``bootstrap_bradley_terry`` on the pair
table. The new code runs ``bradley_terry_intervals`` on per-(pair, choice, rater, prompt) cells. Reference
and new runs alternate, so both see the same machine load; the ratio is what to read.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "bench"))

REFERENCE_COMMIT = "7e511d9"  # main before issue 15
N_RATERS, N_PROMPTS = 20_000, 1_000


def _data(k: int, n: int, seed: int) -> dict:
    from bench_ratings import synth

    data = synth(n=n, k=k, tie_rate=0.35, seed=seed)
    rng = np.random.default_rng(seed + 1)
    data["rater"] = rng.integers(0, N_RATERS, n)
    data["prompt"] = rng.integers(0, N_PROMPTS, n)
    return data


def _reference_module(path: str):
    spec = importlib.util.spec_from_file_location("bt_reference", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["bt_reference"] = module
    spec.loader.exec_module(module)
    return module


def child(args: argparse.Namespace) -> None:
    """One measurement, in this process; prints a JSON line."""
    data = _data(args.k, args.judgments, args.seed)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0, c0 = time.perf_counter(), time.process_time()
    if args.impl == "reference":
        bt = _reference_module(args.reference_file)
        table = bt.pair_table(data["a"], data["b"], data["outcome"], n_systems=args.k)
        fit = bt.fit_bradley_terry(table)
        bt.bootstrap_bradley_terry(table, fit, rounds=args.rounds, seed=0)
        extra: dict = {}
    else:
        from ratings.stats import bradley_terry as bt

        cells = bt.make_cells(
            data["a"],
            data["b"],
            data["outcome"],
            n_systems=args.k,
            clusters={"rater": data["rater"], "prompt": data["prompt"]},
        )
        t0, c0 = time.perf_counter(), time.process_time()  # from cells, as the service will hold them
        res = bt.bradley_terry_intervals(cells, resample=args.method, rounds=args.rounds, seed=0, workers=args.workers)
        extra = {"ranked": int((res.status == "ranked").sum()), "mean_width": float(np.nanmean(res.upper - res.lower))}
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"wall": wall, "cpu": cpu, "peak_mib": peak / 1024, "before_mib": rss_before / 1024, **extra}))


def measure(impl: str, k: int, method: str, ns: argparse.Namespace, reference_file: str) -> dict:
    cmd = [sys.executable, __file__, "--child", "--impl", impl, "--k", str(k), "--method", method,
           "--rounds", str(ns.rounds), "--judgments", str(ns.judgments), "--seed", str(ns.seed),
           "--reference-file", reference_file, "--workers", str(ns.workers)]  # fmt: skip
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=REPO_ROOT).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--systems", default="130,500,1000")
    parser.add_argument("--reference-systems", default="130,500", help="where to also time the reference")
    parser.add_argument("--methods", default="two_way,judgment,rater")
    parser.add_argument("--rounds", type=int, default=1000)
    parser.add_argument("--judgments", type=int, default=1_500_000)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--workers", type=int, default=1, help="bootstrap processes of the new code (product default 1)"
    )
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--impl", default="new", help=argparse.SUPPRESS)
    parser.add_argument("--k", type=int, default=130, help=argparse.SUPPRESS)
    parser.add_argument("--method", default="two_way", help=argparse.SUPPRESS)
    parser.add_argument("--reference-file", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    source = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "show", f"{REFERENCE_COMMIT}:ratings/stats/bradley_terry.py"],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    with tempfile.NamedTemporaryFile("w", suffix="_bt_reference.py", delete=False) as fh:
        fh.write(source)
        reference_file = fh.name
    started = dt.datetime.now(dt.UTC)
    print(f"# {args.judgments:,} judgments, {args.rounds} rounds, {N_RATERS:,} raters, {N_PROMPTS:,} prompts,"
          f" new code with {args.workers} bootstrap process(es);"
          f" {started:%Y-%m-%d %H:%M} UTC, load {os.getloadavg()}", flush=True)  # fmt: skip
    print("| systems | code | method | wall s | CPU s | peak RSS MiB | ratio to reference (wall) | load (1 min) |")
    print("| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: |")
    rows = []
    ref_systems = {int(x) for x in args.reference_systems.split(",") if x}
    for k in (int(x) for x in args.systems.split(",")):
        for _ in range(args.repeats):
            ref = measure("reference", k, "judgment", args, reference_file) if k in ref_systems else None
            if ref:
                ref.update(systems=k, code="reference", method="judgment", load=os.getloadavg()[0])
                rows.append(ref)
                print(f"| {k} | before #15 | judgment | {ref['wall']:.1f} | {ref['cpu']:.1f} | {ref['peak_mib']:.0f} | 1 |"
                      f" {ref['load']:.1f} |", flush=True)  # fmt: skip
            for method in args.methods.split(","):
                new = measure("new", k, method, args, reference_file)
                new.update(systems=k, code="new", method=method, load=os.getloadavg()[0])
                ratio = f"{new['wall'] / ref['wall']:.2f}" if ref else "–"
                new["ratio"] = new["wall"] / ref["wall"] if ref else None
                rows.append(new)
                print(f"| {k} | now | {method} | {new['wall']:.1f} | {new['cpu']:.1f} | {new['peak_mib']:.0f} | {ratio} |"
                      f" {new['load']:.1f} |", flush=True)  # fmt: skip
    ratios = [r["ratio"] for r in rows if r.get("ratio") and r["systems"] == 130 and r["method"] == "two_way"]
    if ratios:
        print(f"\nmedian two-way / reference ratio at 130 systems: {statistics.median(ratios):.2f}")
    meta = {"date": started.isoformat(timespec="minutes"), "load_after": os.getloadavg(),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, numpy {np.__version__}"}  # fmt: skip
    print(meta)
    if args.json:
        Path(args.json).write_text(json.dumps({"meta": meta, "rows": rows}, indent=1))
    os.unlink(reference_file)


if __name__ == "__main__":
    main()
