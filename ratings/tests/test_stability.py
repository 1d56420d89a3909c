"""Ranking stability (split halves) and the agreement verdict that comes from it."""

from __future__ import annotations

import math

import numpy as np
import pytest

from demo.crowd import REGULAR, CrowdDesign, simulate_crowd
from ratings.stats import bradley_terry as bt
from ratings.stats.rank_correlation import kendall_tau_b
from ratings.stats.stability import (
    STABILITY_WORDS,
    agreement_verdict,
    split_half_stability,
    stability_band,
)


def _cells(design: CrowdDesign, seed: int = 0) -> bt.Cells:
    crowd = simulate_crowd(design, seed=seed)
    reg = crowd.kind == REGULAR
    return bt.make_cells(
        crowd.system_a[reg],
        crowd.system_b[reg],
        crowd.outcome()[reg],
        n_systems=design.n_systems,
        clusters={"rater": crowd.rater[reg], "prompt": crowd.prompt[reg]},
    )


def test_split_halves_match_separate_fits_of_each_half() -> None:
    """Independent check: fit each half from scratch and compare with the reweighted chord solution."""
    cells = _cells(CrowdDesign(n_systems=5, n_prompts=20, n_raters=10, items_per_rater=60, noise_sd=0.3), seed=1)
    fit = bt.fit_bradley_terry(cells.table(), prior_strength=0.0)
    half = np.zeros((2, 10), dtype=np.float32)
    half[0, :5] = 2.0
    half[1, 5:] = 2.0
    theta = bt.reweighted_fits(cells, fit, ("rater",), [half])
    for row, raters in ((0, range(5)), (1, range(5, 10))):
        keep = np.isin(cells.clusters["rater"], list(raters))
        alone = bt.fit_bradley_terry(cells.subset(keep).table(), prior_strength=bt.BOOTSTRAP_FLOOR, force_prior=True)
        assert np.allclose(theta[row], alone.theta, atol=1e-3)


def test_a_clear_ranking_is_stable_and_a_flat_one_is_not() -> None:
    clear = _cells(CrowdDesign(n_systems=6, n_prompts=30, n_raters=40, items_per_rater=80), seed=2)
    flat = _cells(
        CrowdDesign(
            n_systems=6, n_prompts=30, n_raters=40, items_per_rater=10, quality=(0.5, 0.5, 0.5, 0.5, 0.5, 0.49)
        ),
        seed=3,
    )
    s_clear = split_half_stability(clear, n_splits=40, seed=1)
    s_flat = split_half_stability(flat, n_splits=40, seed=1)
    assert s_clear.band == "stable" and s_clear.tau >= 0.9 and s_clear.n_systems == 6
    assert s_flat.band == "unstable" and s_flat.tau < 0.5
    assert s_flat.tau_low <= s_flat.tau <= s_flat.tau_high
    assert s_clear.swap_share == pytest.approx((1 - s_clear.tau) / 2)
    assert s_clear.pearson_full >= s_clear.pearson_half
    # each split's tau is the tau of its two halves' scores
    assert s_clear.taus.size == 40 and np.all(np.abs(s_clear.taus) <= 1)


def test_halves_are_seeded_and_disjoint_and_tau_is_kendalls() -> None:
    cells = _cells(CrowdDesign(n_systems=5, n_prompts=20, n_raters=12, items_per_rater=40, taste_sd=0.05), seed=4)
    one = split_half_stability(cells, n_splits=20, seed=7)
    two = split_half_stability(cells, n_splits=20, seed=7)
    assert np.array_equal(one.taus, two.taus)
    assert kendall_tau_b(np.array([1.0, 2, 3]), np.array([1.0, 3, 2])) == pytest.approx(1 / 3)


def test_too_few_raters_or_systems_is_unknown_not_a_number() -> None:
    few = _cells(CrowdDesign(n_systems=5, n_prompts=20, n_raters=3, items_per_rater=100), seed=5)
    two_systems = _cells(CrowdDesign(n_systems=2, n_prompts=20, n_raters=10, items_per_rater=20), seed=6)
    for cells in (few, two_systems):
        s = split_half_stability(cells, n_splits=10)
        assert s.band == "unknown" and math.isnan(s.tau) and s.words == STABILITY_WORDS["unknown"]
        assert s.as_dict()["tau"] is None
    with pytest.raises(ValueError, match="no 'ranking' cluster ids"):
        split_half_stability(few, by="ranking")


@pytest.mark.parametrize(
    ("tau", "band"), [(1.0, "stable"), (0.9, "stable"), (0.89, "mostly_stable"), (0.7, "mostly_stable"),
                      (0.6, "partly_stable"), (0.49, "unstable"), (-1.0, "unstable"), (math.nan, "unknown")],
)  # fmt: skip
def test_bands(tau: float, band: str) -> None:
    assert stability_band(tau) == band


def test_the_verdict_comes_from_stability_and_alpha_is_context() -> None:
    cells = _cells(CrowdDesign(n_systems=6, n_prompts=30, n_raters=40, items_per_rater=80), seed=2)
    stable = split_half_stability(cells, n_splits=20)
    # issue 15: alpha 0.32 with a clearly separated leaderboard is not "unreliable"
    verdict = agreement_verdict(stability=stable, alpha=0.32)
    assert verdict["level"] == "ok" and verdict["verdict_from"] == "ranking_stability"
    assert verdict["alpha_context"] == "typical" and "0.20–0.45" in verdict["words"][1]
    assert agreement_verdict(stability=stable, alpha=0.85)["alpha_context"] == "high"
    chance = agreement_verdict(stability=stable, alpha=0.01)
    assert chance["alpha_context"] == "near_chance" and "barely more than chance" in chance["words"][1]
    # no stability measured: unknown, whatever alpha says
    assert agreement_verdict(stability=None, alpha=0.9)["level"] == "unknown"
    assert agreement_verdict(stability=None, alpha=None)["alpha_context"] == "unknown"
