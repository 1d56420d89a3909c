"""Pure statistics checked against published values and independent implementations (scipy)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from ratings.stats.rank_correlation import kendall_tau_b
from ratings.stats.rater_quality import wilson_interval


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    # Newcombe (1998), "Two-sided confidence intervals for the single proportion", Table I, method 3 (Wilson).
    [(81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611), (1, 29, 0.0061, 0.1718)],
)
def test_wilson_interval_matches_published_values(k, n, low, high):
    lo, hi = wilson_interval(k, n)
    assert lo == pytest.approx(low, abs=1e-4) and hi == pytest.approx(high, abs=1e-4)


def test_wilson_interval_edges_and_errors():
    assert all(math.isnan(x) for x in wilson_interval(0, 0))
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
