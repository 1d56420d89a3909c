"""Student's t quantiles, against scipy (an independent implementation)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special, stats

from ratings.stats.student_t import betainc, t_cdf, t_quantile


@settings(max_examples=200, deadline=None)
@given(st.floats(0.01, 0.99), st.floats(0.5, 5000.0))
def test_t_quantile_matches_scipy(p: float, df: float) -> None:
    assert t_quantile(p, df) == pytest.approx(stats.t.ppf(p, df), rel=1e-7, abs=1e-8)


@settings(max_examples=200, deadline=None)
@given(st.floats(0.05, 50.0), st.floats(0.05, 50.0), st.floats(0.0, 1.0))
def test_betainc_and_t_cdf_match_scipy(a: float, b: float, x: float) -> None:
    assert betainc(a, b, x) == pytest.approx(special.betainc(a, b, x), rel=1e-9, abs=1e-12)
    assert t_cdf(x * 10 - 5, a) == pytest.approx(stats.t.cdf(x * 10 - 5, a), rel=1e-9, abs=1e-12)


def test_known_values_and_limits() -> None:
    assert t_quantile(0.975, 1) == pytest.approx(12.706204736)  # Student's table
    assert t_quantile(0.975, 7) == pytest.approx(2.364624252)
    assert t_quantile(0.975, math.inf) == pytest.approx(1.959963985)
    assert t_quantile(0.025, 10) == pytest.approx(-t_quantile(0.975, 10))
    with pytest.raises(ValueError, match="p must lie strictly between 0 and 1"):
        t_quantile(1.5, 3)
    with pytest.raises(ValueError, match="degrees of freedom must be positive"):
        t_quantile(0.5, 0)
