"""Regenerate the FastChat equivalence fixture: a small arena ``battles.json`` and FastChat's ``compute_bt`` on it.

Usage (from the repository root):

    python bench/fastchat_bt_reference.py --fastchat /tmp/fastchat     # a FastChat checkout (never committed)
    python bench/fastchat_bt_reference.py --fastchat /tmp/fastchat --check   # compare only, write nothing

``--fastchat`` (or ``FASTCHAT_PATH``) is the root of a FastChat checkout: the folder holding
``fastchat/serve/monitor/rating_systems.py``. That one file is loaded from there at run time (it needs
numpy, scipy, pandas and tqdm: requirements-dev.txt); nothing of FastChat is copied into this
repository. Any clone of lm-sys/FastChat works (the fixture was made at the commit it records).

What it writes, under ``ratings/tests/fixtures/fastchat/``:

* ``battles.json`` — 600 battles in FastChat's columns (``question_id, model_a, model_b, winner,
  tstamp``; ``winner`` in ``model_a | model_b | tie | tie (bothbad)``), 7 systems, seeded, from the
  ratings benchmark's generator (``bench_ratings.synth``: Pareto-skewed pair frequencies, random
  sides, 15% ties of which a third "both bad");
* ``compute_bt.json`` — FastChat's ``compute_bt(df)`` on it (scores on 1000 + 400·log10, no anchor
  because no system is called ``mixtral-8x7b-instruct-v0.1``), and ``compute_bt`` on the same battles
  with system ``delta`` renamed to ``mixtral-8x7b-instruct-v0.1`` (FastChat's ``scale_and_offset``
  then pins that system at 1114), with the FastChat commit and library versions used.

``ratings/tests/test_fastchat_equivalence.py`` fits the same file with the product's leaderboard code
and asserts agreement within 0.1 points. ``--check`` prints the differences of a fresh FastChat run
against the product (no file written).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_ratings import synth  # the same synthetic battles as the ratings benchmark

REPO_ROOT = Path(__file__).resolve().parents[1]
FIXTURES = REPO_ROOT / "ratings" / "tests" / "fixtures" / "fastchat"
SYSTEMS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf"]
BASELINE = "mixtral-8x7b-instruct-v0.1"  # FastChat's scale_and_offset pins this model at 1114 when present
RENAMED = "delta"


def make_battles(*, n: int = 600, seed: int = 20261201) -> list[dict]:
    """Seeded arena battles over SYSTEMS, drawn by the ratings benchmark's generator (`bench_ratings.synth`)."""
    data = synth(n=n, k=len(SYSTEMS), tie_rate=0.15, seed=seed)
    winner = np.where(data["outcome"] == 1.0, "model_a", np.where(data["outcome"] == 0.0, "model_b", "tie"))
    winner = np.where(data["both_bad"], "tie (bothbad)", winner)
    t0 = 1_795_000_000
    return [
        {
            "question_id": f"q{x:04d}",
            "model_a": SYSTEMS[data["a"][x]],
            "model_b": SYSTEMS[data["b"][x]],
            "winner": str(winner[x]),
            "tstamp": t0 + 37 * x,
        }
        for x in range(n)
    ]


def load_rating_systems(root: Path):
    """Import FastChat's ``rating_systems.py`` from a checkout, by file path (not the whole package)."""
    path = root / "fastchat" / "serve" / "monitor" / "rating_systems.py"
    if not path.is_file():
        sys.exit(f"no FastChat checkout at {root}: {path} is missing (pass --fastchat or set FASTCHAT_PATH)")
    os.environ.setdefault("TQDM_DISABLE", "1")
    spec = importlib.util.spec_from_file_location("fastchat_rating_systems", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fastchat_commit(root: Path) -> str:
    try:
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return out.stdout.strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fastchat", default=os.environ.get("FASTCHAT_PATH", ""), help="FastChat checkout root")
    parser.add_argument("--check", action="store_true", help="compare a fresh FastChat run, write nothing")
    args = parser.parse_args()
    if not args.fastchat:
        parser.error("pass --fastchat PATH (or set FASTCHAT_PATH) to a FastChat checkout")
    root = Path(args.fastchat).resolve()
    rs = load_rating_systems(root)

    import pandas as pd
    import scipy

    battles = make_battles() if not args.check else json.loads((FIXTURES / "battles.json").read_text())
    df = pd.DataFrame(battles)
    plain = rs.compute_bt(df)
    renamed = df.replace({"model_a": {RENAMED: BASELINE}, "model_b": {RENAMED: BASELINE}})
    anchored = rs.compute_bt(renamed)
    result = {
        "fastchat_commit": fastchat_commit(root),
        "function": "fastchat/serve/monitor/rating_systems.py:compute_bt(df) (defaults: base 10, scale 400, init 1000, tol 1e-6)",
        "versions": {"numpy": np.__version__, "scipy": scipy.__version__, "pandas": pd.__version__},
        "n_battles": len(battles),
        "compute_bt": {name: float(score) for name, score in plain.items()},
        "anchored": {
            "renamed": {RENAMED: BASELINE},
            "baseline_model": BASELINE,
            "baseline_rating": 1114,
            "compute_bt": {name: float(score) for name, score in anchored.items()},
        },
    }
    if args.check:
        stored = json.loads((FIXTURES / "compute_bt.json").read_text())
        worst = max(abs(result["compute_bt"][m] - stored["compute_bt"][m]) for m in stored["compute_bt"])
        print(f"largest difference, fresh FastChat run vs the stored fixture: {worst:.6f} points")
        return 0
    FIXTURES.mkdir(parents=True, exist_ok=True)
    # a JSON array, one battle per line (pd.read_json reads it as FastChat's notebooks do)
    (FIXTURES / "battles.json").write_text("[\n" + ",\n".join(json.dumps(b) for b in battles) + "\n]\n")
    (FIXTURES / "compute_bt.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {FIXTURES / 'battles.json'} ({len(battles)} battles) and compute_bt.json")
    for name, score in plain.items():
        print(f"  {name:<28} {score:9.3f}   anchored: {anchored.get(BASELINE if name == RENAMED else name):9.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
