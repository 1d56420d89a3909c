"""Pure statistics checked against published values and independent implementations (scipy)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.optimize import minimize
from scipy.special import expit

from ratings.online_stats import bradley_terry_minimal_fit, kendall_tau_b, wilson_interval


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    # Newcombe (1998), "Two-sided confidence intervals for the single proportion", Table I, method 3 (Wilson).
    [(81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611), (1, 29, 0.0061, 0.1718)],
)
def test_wilson_interval_matches_published_values(k, n, low, high):
    lo, hi = wilson_interval(k, n)
    assert lo == pytest.approx(low, abs=1e-4) and hi == pytest.approx(high, abs=1e-4)


def test_wilson_interval_edges_and_errors():
    assert wilson_interval(0, 0) == (0.0, 1.0)
    lo, hi = wilson_interval(10, 10)
    assert hi == pytest.approx(1.0) and 0.6 < lo < 0.75
    with pytest.raises(ValueError):
        wilson_interval(3, 2)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4)), min_size=2, max_size=12))
def test_kendall_tau_b_matches_scipy_with_ties(pairs):
    x = np.array([p[0] for p in pairs], dtype=float)
    y = np.array([p[1] for p in pairs], dtype=float)
    ours = kendall_tau_b(x, y)
    ref = stats.kendalltau(x, y, variant="b").statistic
    if math.isnan(ref):
        assert math.isnan(ours)
    else:
        assert ours == pytest.approx(ref, abs=1e-12)


def test_kendall_tau_b_simple_cases():
    assert kendall_tau_b(np.array([1, 2, 3]), np.array([10, 20, 30])) == 1.0
    assert kendall_tau_b(np.array([1, 2, 3]), np.array([3, 2, 1])) == -1.0
    assert math.isnan(kendall_tau_b(np.array([1.0]), np.array([2.0])))
    with pytest.raises(ValueError):
        kendall_tau_b(np.array([1, 2]), np.array([1, 2, 3]))


def scipy_bt(matchups, outcomes, weights, n):
    """Weighted logistic-regression BT (ties as half a win), natural-log strengths, via scipy L-BFGS."""

    def loss(theta):
        z = theta[matchups[:, 0]] - theta[matchups[:, 1]]
        p = expit(z)
        eps = 1e-15
        value = -np.sum(weights * (outcomes * np.log(p + eps) + (1 - outcomes) * np.log(1 - p + eps)))
        value += 0.5e-6 * theta @ theta
        r = weights * (p - outcomes)
        grad = np.bincount(matchups[:, 0], r, n) - np.bincount(matchups[:, 1], r, n) + 1e-6 * theta
        return value, grad

    theta = minimize(loss, np.zeros(n), jac=True, method="L-BFGS-B", options={"gtol": 1e-12, "ftol": 1e-15}).x
    return theta - theta.mean()


def test_minimal_bt_matches_scipy_logistic_regression():
    rng = np.random.default_rng(3)
    n = 5
    truth = np.array([1.0, 0.5, 0.0, -0.4, -1.1])
    pairs = np.array([(i, j) for i in range(n) for j in range(n) if i != j])
    matchups = pairs[rng.integers(0, len(pairs), 800)]
    p = expit(truth[matchups[:, 0]] - truth[matchups[:, 1]])
    u = rng.random(800)
    outcomes = np.where(u < 0.1, 0.5, (rng.random(800) < p).astype(float))
    weights = rng.integers(1, 4, 800).astype(float)
    ours = bradley_terry_minimal_fit(matchups, outcomes, n, weights=weights)
    ref = 400 * scipy_bt(matchups, outcomes, weights, n) / math.log(10) + 1000
    assert np.allclose(ours, ref, atol=0.05)
    assert list(np.argsort(-ours)) == [0, 1, 2, 3, 4]


def test_minimal_bt_is_shift_free_and_flips_with_sides():
    matchups = np.array([[0, 1], [1, 2], [0, 2]])
    outcomes = np.array([1.0, 1.0, 0.5])
    weights = np.array([3.0, 2.0, 4.0])
    ratings = bradley_terry_minimal_fit(matchups, outcomes, 3, weights=weights)
    flipped = bradley_terry_minimal_fit(matchups[:, ::-1], 1 - outcomes, 3, weights=weights)
    assert np.allclose(ratings, flipped)
    assert ratings.mean() == pytest.approx(1000)
