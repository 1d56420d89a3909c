"""Benchmark: evalsite's style-controlled Bradley-Terry + bootstrap vs FastChat's, on the same synthetic battles.

Usage (from the repository root):

    python bench/bench_style_control.py                                   # evalsite only
    python bench/bench_style_control.py --fastchat /tmp/fastchat          # side by side with FastChat
    python bench/bench_style_control.py --fastchat /work/.mirror/lm-sys+FastChat/repo --fastchat-rounds 6

``--fastchat`` is a FastChat checkout root (the folder holding the ``fastchat`` package) or a bare git
directory of one (as the search tool's ``fetch`` leaves it): then ``fastchat/serve/monitor/rating_systems.py``
and its two package ``__init__`` files are extracted with ``git archive`` into a temporary folder outside the
repository. It is imported at run time (needs pandas, scipy, tqdm: requirements-dev.txt); nothing of FastChat
is copied into this repository.

Synthetic battles: ``--systems`` systems with normal log10-strengths (sd 0.3) and their own verbosity (mean
answer length log-normal, sd 0.5 in log) and Markdown habits (Poisson headers, list items, bold); each battle
a uniformly drawn pair with random sides; the four FastChat features of the battle (normalised differences,
standardised) enter the true model with planted coefficients ``--beta`` (natural-log odds per SD: length
0.25, headers 0.05, lists 0.03, bold 0.04 by default); ties with probability ``2 * tie_rate * min(p, 1-p)``,
which keeps each battle's expected credit at the model's p (so the estimates are unbiased for the truth).

Timings: FastChat's ``compute_bootstrap_style_control`` refits L-BFGS-B per round (100 iterations at most)
on every battle; on 1M battles a round takes seconds, so by default it runs ``--fastchat-rounds`` rounds in
its own pool (``os.cpu_count()`` processes) and the 1000-round time is extrapolated per round (said in the
output). evalsite runs all ``--rounds`` rounds with ``--workers`` processes. Both measured in the same run.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from ratings.stats import bradley_terry as bt  # noqa: E402
from ratings.stats import style_control as sc  # noqa: E402

FEATURES = ("length", "headers", "lists", "bold")
FASTCHAT_REG = 0.5  # compute_style_control's default; on log10 ratings and on the coefficients


def draw_outcomes(rng: np.random.Generator, p: np.ndarray, tie_rate: float) -> np.ndarray:
    """Win 1 / tie 0.5 / loss 0 with expected credit exactly ``p`` (so ties as half a win stay unbiased):
    P(tie) = 2 t min(p, 1-p), then a win with the probability that keeps the mean at p."""
    tie_p = 2.0 * tie_rate * np.minimum(p, 1.0 - p)
    tie = rng.random(p.size) < tie_p
    win = rng.random(p.size) < (p - tie_p / 2.0) / (1.0 - tie_p)
    return np.where(tie, 0.5, win.astype(np.float64))


def synth(*, n: int, k: int, tie_rate: float, beta: list[float], seed: int) -> dict:
    """Battles with known strengths and a planted style effect (see the module docstring)."""
    rng = np.random.default_rng(seed)
    strength = rng.normal(0.0, 0.3, k)  # log10
    mean_len = rng.lognormal(5.5, 0.5, k)
    rates = rng.gamma(2.0, 1.0, (k, 3))  # headers, list items, bold per answer
    a = rng.integers(0, k, n)
    b = (a + rng.integers(1, k, n)) % k

    def answers(sys_idx: np.ndarray) -> np.ndarray:
        length = np.rint(mean_len[sys_idx] * rng.lognormal(0.0, 0.3, n)).astype(np.int64)
        md = rng.poisson(rates[sys_idx])
        return np.column_stack([length, md])

    ca, cb = answers(a), answers(b)
    diff = sc.normalised_differences(ca, cb)
    x = (diff - diff.mean(axis=0)) / diff.std(axis=0)
    logit = math.log(10.0) * (strength[a] - strength[b]) + x @ np.asarray(beta)
    outcome = draw_outcomes(rng, 1.0 / (1.0 + np.exp(-logit)), tie_rate)
    return {"a": a, "b": b, "outcome": outcome, "ca": ca, "cb": cb, "strength": strength, "k": k, "beta": beta}


def names(k: int) -> list[str]:
    return [f"sys-{x:03d}" for x in range(k)]


def run_evalsite(data: dict, *, rounds: int, workers: int, seed: int, fastchat_prior: bool) -> dict:
    t0 = time.perf_counter()
    cells = sc.style_cells(
        data["a"], data["b"], data["outcome"], data["ca"], data["cb"], n_systems=data["k"], feature_names=FEATURES
    )
    t1 = time.perf_counter()
    if fastchat_prior:  # FastChat's reg=0.5 on log10 ratings = 0.5/ln(10)^2 on natural-log strengths
        fit = sc.fit_style_control(
            cells, prior_strength=FASTCHAT_REG / bt.LN10**2, force_prior=True, coef_prior=FASTCHAT_REG
        )
    else:
        fit = sc.fit_style_control(cells)
    t2 = time.perf_counter()
    boot = None
    if rounds:
        boot = sc.bootstrap_style_control(cells, fit, rounds=rounds, seed=seed, workers=workers)
    t3 = time.perf_counter()
    plain = bt.fit_bradley_terry(cells.pair_table())
    return {
        "cells": cells,
        "fit": fit,
        "boot": boot,
        "plain": plain,
        "prepare_s": t1 - t0,
        "fit_s": t2 - t1,
        "bootstrap_s": t3 - t2,
    }


def fastchat_module(path: str):
    """Import FastChat's rating_systems from a checkout root, or extract it from a bare git dir first."""
    root = Path(path).resolve()
    if (root / "HEAD").exists() and (root / "objects").exists():  # a bare git directory
        dest = Path(tempfile.mkdtemp(prefix="fastchat-"))
        files = ["fastchat/__init__.py", "fastchat/serve/__init__.py", "fastchat/serve/monitor/rating_systems.py"]
        archive = subprocess.run(
            ["git", f"--git-dir={root}", "archive", "--format=tar", "HEAD", *files], check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
        root = dest
    sys.path.insert(0, str(root))
    os.environ.setdefault("TQDM_DISABLE", "1")
    from fastchat.serve.monitor import rating_systems as rs  # type: ignore[import-not-found]

    return rs


def fastchat_frame(data: dict):
    import pandas as pd

    labels = np.array(names(data["k"]))
    winner = np.where(data["outcome"] == 1.0, "model_a", np.where(data["outcome"] == 0.0, "model_b", "tie"))
    ca, cb = data["ca"].tolist(), data["cb"].tolist()
    # conv_metadata as FastChat's notebooks expect it (sub-counts it sums; ours put each total in one slot)
    meta = [
        {
            "sum_assistant_a_tokens": a[0],
            "header_count_a": {"h1": a[1]},
            "list_count_a": {"ordered": a[2], "unordered": 0},
            "bold_count_a": {"**": a[3], "__": 0},
            "sum_assistant_b_tokens": b[0],
            "header_count_b": {"h1": b[1]},
            "list_count_b": {"ordered": b[2], "unordered": 0},
            "bold_count_b": {"**": b[3], "__": 0},
        }
        for a, b in zip(ca, cb, strict=True)
    ]
    return pd.DataFrame(
        {"model_a": labels[data["a"]], "model_b": labels[data["b"]], "winner": winner, "conv_metadata": meta}
    )


def run_fastchat(data: dict, *, rs, rounds: int) -> dict:
    df = fastchat_frame(data)
    order = names(data["k"])
    t0 = time.perf_counter()
    scores, params = rs.compute_style_control(df)
    t1 = time.perf_counter()
    rs.preprocess_for_style(df)  # the fixed cost inside every call (features from conv_metadata)
    prep_s = time.perf_counter() - t1
    t1 = time.perf_counter()
    np.random.seed(0)  # compute_bootstrap_style_control draws with np.random.randint
    boot, boot_params = rs.compute_bootstrap_style_control(df, num_round=rounds) if rounds else (None, None)
    t2 = time.perf_counter()
    return {
        "prep_s": prep_s,
        "scores": scores.reindex(order).to_numpy(),
        "beta": np.asarray(params),
        "boot": None if boot is None else boot[order].to_numpy(),
        "boot_beta": boot_params,
        "fit_s": t1 - t0,
        "bootstrap_s": t2 - t1,
        "rounds": rounds,
        "processes": os.cpu_count(),
    }


def points(beta: np.ndarray) -> np.ndarray:
    return 400.0 * np.asarray(beta) / bt.LN10


def kendall_tau(x: np.ndarray, y: np.ndarray) -> float:
    i, j = np.triu_indices(len(x), 1)
    return float(np.mean(np.sign(x[i] - x[j]) * np.sign(y[i] - y[j])))


def report(data: dict, ours: dict, theirs: dict | None, *, label: str) -> None:
    fit, boot, plain = ours["fit"], ours["boot"], ours["plain"]
    true_scores = 1000.0 + 400.0 * (data["strength"] - data["strength"].mean())
    print(f"\n## {label}: {data['outcome'].size} battles x {data['k']} systems, {ours['cells'].left.size} cells")
    print(f"planted coefficients (points/SD): {np.round(points(data['beta']), 2).tolist()}")
    print(f"evalsite coefficients (points/SD): {np.round(points(fit.beta), 2).tolist()}")
    print(
        f"max |score - true| style-controlled {np.abs(fit.scores - true_scores).max():.1f}, plain BT "
        f"{np.abs(plain.scores - true_scores).max():.1f}; Kendall tau vs truth "
        f"{kendall_tau(fit.scores, true_scores):.3f} vs plain {kendall_tau(plain.scores, true_scores):.3f}"
    )
    print(f"evalsite: cells {ours['prepare_s']:.2f} s, fit {ours['fit_s']:.2f} s ({fit.iterations} Newton steps)")
    if boot is not None:
        n = boot.scores.shape[0]
        lo, hi = bt.percentile_intervals(boot.scores)
        clo, chi = bt.percentile_intervals(boot.points_per_sd)
        print(
            f"evalsite bootstrap: {n} rounds in {ours['bootstrap_s']:.1f} s ({ours['bootstrap_s'] / n * 1000:.1f} "
            f"ms/round); mean score interval width {np.mean(hi - lo):.1f}; coefficient intervals "
            f"{[f'{a:.1f}..{b:.1f}' for a, b in zip(clo, chi, strict=True)]}"
        )
    if theirs is None:
        return
    print(f"FastChat coefficients (points/SD): {np.round(points(theirs['beta']), 2).tolist()}")
    print(
        f"max |evalsite - FastChat|: scores {np.abs(fit.scores - theirs['scores']).max():.4f} points, "
        f"coefficients {np.abs(points(fit.beta) - points(theirs['beta'])).max():.4f} points/SD"
    )
    print(f"FastChat: fit {theirs['fit_s']:.2f} s")
    if theirs["boot"] is not None and boot is not None:
        # per round without the fixed preprocessing (FastChat recomputes the features once per call)
        per_round = max(theirs["bootstrap_s"] - theirs["prep_s"], 0.0) / theirs["rounds"]
        n_ours = boot.scores.shape[0]
        fc_total = theirs["prep_s"] + per_round * n_ours if theirs["rounds"] < n_ours else theirs["bootstrap_s"]
        print(
            f"FastChat bootstrap: {theirs['rounds']} rounds in {theirs['bootstrap_s']:.1f} s with "
            f"{theirs['processes']} processes, of which {theirs['prep_s']:.1f} s preprocessing "
            f"({per_round:.2f} s/round)"
            + (f"; {n_ours} rounds extrapolated: {fc_total:.0f} s" if theirs["rounds"] < n_ours else "")
        )
        print(
            f"speed-up of the {n_ours}-round bootstrap, same run: {fc_total / ours['bootstrap_s']:.1f}x "
            f"(fit + bootstrap: {(theirs['fit_s'] + fc_total) / (ours['fit_s'] + ours['bootstrap_s']):.1f}x)"
        )
        if theirs["rounds"] >= 200:
            flo, fhi = np.quantile(theirs["boot"], 0.025, axis=0), np.quantile(theirs["boot"], 0.975, axis=0)
            lo, hi = bt.percentile_intervals(boot.scores)
            print(
                f"interval endpoints, max |evalsite - FastChat|: lower {np.abs(lo - flo).max():.2f}, upper "
                f"{np.abs(hi - fhi).max():.2f} (Monte Carlo noise of {boot.scores.shape[0]} vs "
                f"{theirs['rounds']} rounds); mean width {np.mean(hi - lo):.1f} vs {np.mean(fhi - flo):.1f}"
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--battles", type=int, default=1_000_000)
    parser.add_argument("--systems", type=int, default=100)
    parser.add_argument("--tie-rate", type=float, default=0.3)
    parser.add_argument("--beta", type=float, nargs=4, default=[0.25, 0.05, 0.03, 0.04])
    parser.add_argument("--rounds", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--fastchat", default="")
    parser.add_argument("--fastchat-rounds", type=int, default=6, help="FastChat bootstrap rounds on the big run")
    parser.add_argument("--small-battles", type=int, default=50_000, help="a second, small run: 1000 rounds both")
    parser.add_argument("--small-systems", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, numpy {np.__version__}")
    print(f"date: {time.strftime('%Y-%m-%d %H:%M:%S %Z')}; load average before: {os.getloadavg()}")
    rs = fastchat_module(args.fastchat) if args.fastchat else None
    runs = []
    if args.small_battles:
        runs.append(("small", args.small_battles, args.small_systems, args.rounds))
    runs.append(("large", args.battles, args.systems, args.fastchat_rounds))
    for label, n, k, fc_rounds in runs:
        data = synth(n=n, k=k, tie_rate=args.tie_rate, beta=args.beta, seed=args.seed)
        ours = run_evalsite(
            data, rounds=args.rounds, workers=args.workers, seed=args.seed, fastchat_prior=rs is not None
        )
        theirs = run_fastchat(data, rs=rs, rounds=fc_rounds) if rs is not None else None
        report(data, ours, theirs, label=label)
        if rs is not None:
            exact = sc.fit_style_control(ours["cells"])
            print(
                f"(evalsite fits with FastChat's reg=0.5; with evalsite's own prior rule the scores move by at "
                f"most {np.abs(exact.scores - ours['fit'].scores).max():.4f} points)"
            )
    print(f"\nload average after: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
