"""Bradley-Terry math: published values, an independent scipy fit, properties, the prior rule, bootstrap."""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize

from ratings.stats.bradley_terry import (
    BOOTSTRAP_FLOOR,
    arena_rank,
    average_win_rate,
    bootstrap_bradley_terry,
    fit_bradley_terry,
    mle_exists,
    pair_table,
    percentile_intervals,
    predicted_win_rate,
)
from ratings.tests.reference_data import reference_path


def _table_from_named(rows: list[tuple[str, str, float, float]]):
    """rows of (system i, system j, outcome for i, weight) → (PairTable, names)."""
    names = sorted({r[0] for r in rows} | {r[1] for r in rows})
    index = {n: k for k, n in enumerate(names)}
    i = [index[r[0]] for r in rows]
    j = [index[r[1]] for r in rows]
    return pair_table(i, j, [r[2] for r in rows], [r[3] for r in rows], n_systems=len(names)), names


def test_citations_stigler_1994_published_abilities():
    rows = []
    with reference_path("bt_citations_winner_loser.txt").open() as fh:
        reader = csv.reader(fh, delimiter=" ")
        next(reader)
        for _, winner, loser, freq in reader:
            if freq != "NA":
                rows.append((winner, loser, 1.0, float(freq)))
    table, names = _table_from_named(rows)
    fit = fit_bradley_terry(table)
    assert fit.mle_exists and fit.prior_strength == 0.0 and fit.converged
    theta = fit.theta - fit.theta[names.index("Biometrika")]
    published = {"Comm Statist": -2.9491, "JASA": -0.4796, "JRSS-B": 0.2690}
    for name, value in published.items():
        assert round(theta[names.index(name)], 3) == round(value, 3), name
        assert theta[names.index(name)] == pytest.approx(value, abs=5e-4)


def test_baseball_agresti_2002_published_abilities():
    rows = []
    with reference_path("bt_baseball_agresti2002.csv").open() as fh:
        for rec in csv.DictReader(fh):
            rows.append((rec["home.team"], rec["away.team"], 1.0, float(rec["home.wins"])))
            rows.append((rec["home.team"], rec["away.team"], 0.0, float(rec["away.wins"])))
    table, names = _table_from_named(rows)
    fit = fit_bradley_terry(table)
    theta = fit.theta - fit.theta[names.index("Baltimore")]
    published = {
        "Boston": 1.1077,
        "Cleveland": 0.6839,
        "Detroit": 1.4364,
        "Milwaukee": 1.5814,
        "New York": 1.2476,
        "Toronto": 1.2945,
    }
    for name, value in published.items():
        assert theta[names.index(name)] == pytest.approx(value, abs=5e-4), name
    # the same through the anchor option on the arena scale: Baltimore pinned at 1000
    anchored = fit_bradley_terry(table, anchor=names.index("Baltimore"), anchor_score=1000.0)
    assert anchored.scores[names.index("Boston")] == pytest.approx(1000 + 400 * 1.1077 / math.log(10), abs=0.05)


def _random_cells(rng: np.random.Generator, k: int, n: int, tie_rate: float = 0.3):
    true = rng.normal(0, 1, k)
    i = rng.integers(0, k, n)
    j = (i + rng.integers(1, k, n)) % k
    p = 1 / (1 + np.exp(true[j] - true[i]))
    u = rng.random(n)
    outcome = np.where(u < tie_rate, 0.5, np.where(rng.random(n) < p, 1.0, 0.0))
    return i, j, outcome


def test_matches_independent_scipy_fit_on_random_data():
    rng = np.random.default_rng(7)
    k = 8
    i, j, outcome = _random_cells(rng, k, 3000)
    table = pair_table(i, j, outcome, n_systems=k)
    fit = fit_bradley_terry(table)

    # independent: per-judgment log-likelihood, ties as half, log10 strengths, BFGS in scipy
    def nll(beta: np.ndarray) -> float:
        d = math.log(10) * (beta[i] - beta[j])
        return float(-(outcome * -np.logaddexp(0, -d) + (1 - outcome) * -np.logaddexp(0, d)).sum())

    ref = minimize(nll, np.zeros(k), method="BFGS", options={"gtol": 1e-8}).x
    ref_scores = 1000 + 400 * (ref - ref.mean())
    assert np.allclose(fit.scores, ref_scores, atol=0.05)
    assert fit.scores.mean() == pytest.approx(1000.0)


def _strongly_connected_cells(data: list[tuple[int, int, int]], k: int):
    """Hypothesis data plus one tie between every consecutive pair, so the MLE always exists."""
    i = [a for a, _, _ in data] + list(range(k - 1))
    j = [(a + 1 + d) % k for a, d, _ in data] + list(range(1, k))
    o = [(0.0, 0.5, 1.0)[c] for _, _, c in data] + [0.5] * (k - 1)
    return np.array(i), np.array(j), np.array(o)


battles = st.lists(st.tuples(st.integers(0, 4), st.integers(0, 3), st.integers(0, 2)), min_size=1, max_size=40)


@settings(max_examples=40, deadline=None)
@given(battles)
def test_swapping_sides_flips_nothing_but_the_labels(data):
    k = 5
    i, j, o = _strongly_connected_cells(data, k)
    fit = fit_bradley_terry(pair_table(i, j, o, n_systems=k))
    swapped = fit_bradley_terry(pair_table(j, i, 1.0 - o, n_systems=k))
    assert np.allclose(fit.scores, swapped.scores, atol=1e-6)
    # and flipping every outcome mirrors every score around 1000
    mirrored = fit_bradley_terry(pair_table(i, j, 1.0 - o, n_systems=k))
    assert np.allclose(mirrored.scores - 1000, -(fit.scores - 1000), atol=1e-6)


@settings(max_examples=40, deadline=None)
@given(battles, st.floats(-500, 500))
def test_adding_a_constant_changes_nothing(data, shift):
    k = 5
    i, j, o = _strongly_connected_cells(data, k)
    fit = fit_bradley_terry(pair_table(i, j, o, n_systems=k))
    assert np.allclose(predicted_win_rate(fit.scores + shift), predicted_win_rate(fit.scores), equal_nan=True)
    lo, hi = fit.scores - 10, fit.scores + 10
    assert np.array_equal(arena_rank(lo + shift, hi + shift), arena_rank(lo, hi))
    anchored = fit_bradley_terry(pair_table(i, j, o, n_systems=k), anchor=0, anchor_score=1000 + shift)
    assert np.allclose(anchored.scores - anchored.scores[0], fit.scores - fit.scores[0], atol=1e-6)


@settings(max_examples=40, deadline=None)
@given(battles, st.integers(0, 4), st.integers(1, 4), st.integers(1, 5))
def test_more_votes_for_a_system_never_lower_its_score(data, winner, offset, extra_wins):
    k = 5
    i, j, o = _strongly_connected_cells(data, k)
    before = fit_bradley_terry(pair_table(i, j, o, n_systems=k)).theta
    loser = (winner + offset) % k
    i2 = np.append(i, [winner] * extra_wins)
    j2 = np.append(j, [loser] * extra_wins)
    o2 = np.append(o, [1.0] * extra_wins)
    after = fit_bradley_terry(pair_table(i2, j2, o2, n_systems=k))
    # the winner gains against everyone, and its score (mean 1000) does not go down
    assert np.all((after.theta[winner] - after.theta) >= (before[winner] - before) - 1e-7)
    assert after.scores[winner] >= 1000 + 400 * before[winner] / math.log(10) - 1e-6


def test_no_win_system_gets_the_documented_prior_and_finite_scores():
    # c never wins: the MLE would send it to -infinity
    i = np.array([0, 1, 0, 2, 2])
    j = np.array([1, 0, 2, 1, 0])
    o = np.array([1.0, 1.0, 1.0, 0.0, 0.0])
    table = pair_table(i, j, o, n_systems=3)
    assert not mle_exists(table)
    fit = fit_bradley_terry(table)
    assert fit.prior_strength == pytest.approx(0.01)
    assert np.all(np.isfinite(fit.scores)) and fit.converged
    assert fit.scores[2] == fit.scores.min()


def test_disconnected_graph_is_centred_per_component():
    i = np.array([0, 1, 2, 3])
    j = np.array([1, 0, 3, 2])
    o = np.array([1.0, 0.5, 1.0, 1.0])
    fit = fit_bradley_terry(pair_table(i, j, o, n_systems=4))
    assert fit.n_components == 2 and not fit.mle_exists
    assert np.all(np.isfinite(fit.scores))
    assert fit.scores[0] + fit.scores[1] == pytest.approx(2000.0)
    assert fit.scores[2] + fit.scores[3] == pytest.approx(2000.0)


def test_bad_cells_are_rejected_with_a_clear_error():
    with pytest.raises(ValueError, match="itself"):
        pair_table([0], [0], [1.0], n_systems=2)
    with pytest.raises(ValueError, match="out of range"):
        pair_table([0], [5], [1.0], n_systems=2)
    with pytest.raises(ValueError, match="outcome"):
        pair_table([0], [1], [0.7], n_systems=2)
    with pytest.raises(ValueError, match="same length"):
        pair_table([0, 1], [1], [1.0], n_systems=2)


def test_bootstrap_equals_refitting_every_resample():
    rng = np.random.default_rng(3)
    i, j, o = _random_cells(rng, 6, 600)
    table = pair_table(i, j, o, n_systems=6)
    fit = fit_bradley_terry(table)
    samples = bootstrap_bradley_terry(table, fit, rounds=20, seed=11, chunk=20)
    # replay the documented resampling: one multinomial draw over the non-empty cells per round
    cells = np.concatenate([table.left_wins, table.ties, table.right_wins])
    left = np.tile(table.left, 3)
    right = np.tile(table.right, 3)
    outcome = np.repeat([1.0, 0.5, 0.0], table.left.size)
    keep = cells > 0
    chunk_seed = np.random.SeedSequence(11).spawn(1)[0]  # one chunk of 20 rounds
    draws = np.random.default_rng(chunk_seed).multinomial(int(cells.sum()), cells[keep] / cells.sum(), size=20)
    for r in range(20):
        t = pair_table(left[keep], right[keep], outcome[keep], draws[r].astype(float), n_systems=6)
        ref = fit_bradley_terry(t, prior_strength=BOOTSTRAP_FLOOR, force_prior=True)
        assert np.allclose(samples[r], ref.scores, atol=1e-3)


def test_bootstrap_is_seedable_and_shrinks_with_more_data():
    rng = np.random.default_rng(5)
    i, j, o = _random_cells(rng, 5, 400)
    table = pair_table(i, j, o, n_systems=5)
    fit = fit_bradley_terry(table)
    a = bootstrap_bradley_terry(table, fit, rounds=200, seed=1)
    b = bootstrap_bradley_terry(table, fit, rounds=200, seed=1)
    c = bootstrap_bradley_terry(table, fit, rounds=200, seed=2)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    lo, hi = percentile_intervals(a)
    assert np.all(lo <= fit.scores) and np.all(fit.scores <= hi)
    big = pair_table(i, j, o, np.full(i.size, 4.0), n_systems=5)
    big_fit = fit_bradley_terry(big)
    lo4, hi4 = percentile_intervals(bootstrap_bradley_terry(big, big_fit, rounds=200, seed=1))
    ratio = (hi4 - lo4).mean() / (hi - lo).mean()
    assert 0.4 < ratio < 0.6  # intervals shrink like 1/sqrt(n)


def test_bootstrap_respects_the_anchor():
    rng = np.random.default_rng(9)
    i, j, o = _random_cells(rng, 4, 300)
    table = pair_table(i, j, o, n_systems=4)
    fit = fit_bradley_terry(table, anchor=2, anchor_score=1200.0)
    samples = bootstrap_bradley_terry(table, fit, rounds=50, seed=0)
    assert np.allclose(samples[:, 2], 1200.0)


def test_arena_rank_rule():
    lower = np.array([1100.0, 1090.0, 1000.0, 980.0])
    upper = np.array([1150.0, 1120.0, 1050.0, 1010.0])
    # system 2: system 0's lower (1100) > its upper (1050) and 1090 > 1050 → rank 3
    assert arena_rank(lower, upper).tolist() == [1, 1, 3, 3]


def test_predicted_and_average_win_rate():
    p = predicted_win_rate(np.array([1400.0, 1000.0]))
    assert p[0, 1] == pytest.approx(10 / 11)
    assert p[1, 0] == pytest.approx(1 / 11)
    assert np.isnan(p[0, 0])
    assert average_win_rate(np.array([1400.0, 1000.0, 1000.0])).tolist() == pytest.approx(
        [10 / 11, 0.2954545, 0.2954545]
    )


def test_full_newton_fallback_agrees_with_the_chord_iterations():
    rng = np.random.default_rng(0)
    i, j, o = _random_cells(rng, 4, 200)
    table = pair_table(i, j, o, n_systems=4)
    fit = fit_bradley_terry(table)
    chord = bootstrap_bradley_terry(table, fit, rounds=10, seed=4)
    newton_only = bootstrap_bradley_terry(table, fit, rounds=10, seed=4, max_chord_iter=0)
    assert np.allclose(chord, newton_only, atol=1e-3)


def test_bootstrap_results_do_not_depend_on_the_number_of_workers():
    rng = np.random.default_rng(12)
    i, j, o = _random_cells(rng, 5, 500)
    table = pair_table(i, j, o, n_systems=5)
    fit = fit_bradley_terry(table)
    one = bootstrap_bradley_terry(table, fit, rounds=60, seed=3, chunk=20, workers=1)
    two = bootstrap_bradley_terry(table, fit, rounds=60, seed=3, chunk=20, workers=2)
    assert np.array_equal(one, two)
