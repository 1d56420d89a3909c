"""An arena battles.json gives the same leaderboard as FastChat's ``compute_bt`` (within 0.1 points).

The fixture (``ratings/tests/fixtures/fastchat/``) holds a small seeded battles file and FastChat's
scores on it, made by ``bench/fastchat_bt_reference.py`` from a FastChat checkout (FastChat itself is
never in this repository). Here the same file goes through the product's leaderboard code: FastChat's
winner strings become canonical choices through the one mapping the battles export uses
(``exports.BATTLE_WINNER``), counts per (system a, system b, choice) go to
``leaderboard.leaderboard_result`` exactly as the database aggregate does.

Conventions that make the two agree: ``tie`` and ``tie (bothbad)`` both count half a win to each side
(FastChat's ``preprocess_for_bt`` gives every winner other than model_a/model_b the outcome 0.5; the
product's default ``both_bad="tie"``); scale 400 on log10 strengths around 1000; no anchor → the
scores average 1000 (FastChat's L-BFGS starts at zero and the gradient sums to zero, so its solution
sums to zero too); FastChat pins ``mixtral-8x7b-instruct-v0.1`` at 1114 when that model is present,
which is the product's ``anchor``/``anchor_score``.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from ratings.selectors.leaderboard import LeaderboardOptions
from ratings.services.exports import BATTLE_WINNER
from ratings.services.leaderboard import leaderboard_result

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "fastchat"
CHOICE_OF_WINNER = {winner: choice for choice, winner in BATTLE_WINNER.items()}


def _load(name: str):
    path = FIXTURES / name
    if not path.is_file():
        pytest.fail(f"fixture missing: {path} (regenerate with bench/fastchat_bt_reference.py)", pytrace=False)
    return json.loads(path.read_text())


def _product_scores(battles: list[dict], *, rename: dict[str, str] | None = None, **options) -> dict[str, float]:
    rename = rename or {}
    names = sorted({rename.get(b[side], b[side]) for b in battles for side in ("model_a", "model_b")})
    ids = {name: k + 1 for k, name in enumerate(names)}
    counts = Counter(
        (
            ids[rename.get(b["model_a"], b["model_a"])],
            ids[rename.get(b["model_b"], b["model_b"])],
            CHOICE_OF_WINNER[b["winner"]],
        )
        for b in battles
    )
    rows = [(a, b, choice, n) for (a, b, choice), n in sorted(counts.items())]
    result, n = leaderboard_result(
        rows=rows, systems={v: k for k, v in ids.items()}, options=LeaderboardOptions(rounds=1, **options)
    )
    assert n == len(battles)
    assert result["fit"]["mle_exists"] and result["fit"]["prior_strength"] == 0.0
    return {row["system"]: row["score"] for row in result["systems"]}


def test_every_fastchat_winner_value_maps_to_a_choice():
    battles = _load("battles.json")
    assert {b["winner"] for b in battles} == {"model_a", "model_b", "tie", "tie (bothbad)"}
    assert CHOICE_OF_WINNER == {"model_a": "a", "model_b": "b", "tie": "tie", "tie (bothbad)": "both_bad"}


def test_battles_give_fastchats_compute_bt_scores():
    battles = _load("battles.json")
    reference = _load("compute_bt.json")
    assert reference["n_battles"] == len(battles)
    ours = _product_scores(battles)
    assert set(ours) == set(reference["compute_bt"])
    for name, score in reference["compute_bt"].items():
        assert ours[name] == pytest.approx(score, abs=0.1), name
    # and the order is FastChat's
    assert sorted(ours, key=ours.get, reverse=True) == list(reference["compute_bt"])


def test_fastchats_baseline_anchor_is_the_products_anchor_option():
    battles = _load("battles.json")
    anchored = _load("compute_bt.json")["anchored"]
    baseline = anchored["baseline_model"]
    ours = _product_scores(
        battles, rename=anchored["renamed"], anchor=baseline, anchor_score=float(anchored["baseline_rating"])
    )
    assert ours[baseline] == pytest.approx(1114.0, abs=1e-9)
    for name, score in anchored["compute_bt"].items():
        assert ours[name] == pytest.approx(score, abs=0.1), name


def test_leaving_out_both_bad_would_not_match_fastchat():
    # the convention matters: FastChat counts "tie (bothbad)" as a tie; without those battles it would differ
    battles = _load("battles.json")
    reference = _load("compute_bt.json")["compute_bt"]
    ours = _product_scores([b for b in battles if b["winner"] != "tie (bothbad)"])
    assert max(abs(ours[name] - score) for name, score in reference.items()) > 0.5
