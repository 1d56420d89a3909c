"""Adaptive pair weights: information algebra checked by brute force, invariants, plans and projections."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ratings.stats import adaptive as ad
from ratings.stats import bradley_terry as bt


def table_for(theta, n_per_pair, rng=None):
    """Expected (or sampled) counts on every pair: a table whose fit is near theta."""
    k = theta.size
    i, j = np.triu_indices(k, 1)
    p = 1.0 / (1.0 + np.exp(theta[j] - theta[i]))
    n = np.broadcast_to(np.asarray(n_per_pair, dtype=float), i.shape).copy()
    wins = n * p if rng is None else rng.binomial(n.astype(int), p).astype(float)
    return bt.PairTable(k, i, j, wins, np.zeros_like(n), n - wins)


def test_covariance_is_the_inverse_hessian_in_the_sum_zero_gauge():
    theta = np.array([0.5, 0.1, -0.2, -0.4])
    table = table_for(theta, 50.0)
    info = ad.fisher_information(theta, table)
    # the fit's own negative Hessian (λ = 0 adds the 11ᵀ/K gauge term) is the same information
    assert np.allclose(info + 1.0 / 4, bt._hessian(theta, table.left, table.right, table.total, 0.0))
    cov = ad.covariance(info)
    assert np.allclose(cov.sum(axis=0), 0.0, atol=1e-9)
    assert np.allclose(cov @ info, np.eye(4) - 1.0 / 4, atol=1e-9)  # inverse on the sum-zero subspace


def test_covariance_matches_the_bootstrap_spread():
    rng = np.random.default_rng(0)
    theta = np.array([0.6, 0.2, 0.0, -0.3, -0.5])
    i, j = np.triu_indices(5, 1)
    n = 400
    p = 1.0 / (1.0 + np.exp(theta[j] - theta[i]))
    wins = rng.binomial(n, p).astype(float)
    table = bt.PairTable(5, i, j, wins, np.zeros(i.size), n - wins)
    fit = bt.fit_bradley_terry(table)
    boot = bt.bootstrap_bradley_terry(table, fit, rounds=1000, seed=1)
    wald = ad.score_sd(ad.covariance(ad.fisher_information(fit.theta, table)))
    assert np.allclose(boot.std(axis=0) / wald, 1.0, atol=0.1)


def exact_gains(theta, info, i, j):
    """Brute force: add one judgment of (i, j) to the information and re-invert."""
    k = theta.size
    cov = ad.covariance(info)
    p = 1.0 / (1.0 + np.exp(theta[j] - theta[i]))
    e = np.zeros(k)
    e[i], e[j] = 1.0, -1.0
    after = ad.covariance(info + p * (1 - p) * np.outer(e, e))
    return np.trace(cov) - np.trace(after), np.diag(cov) - np.diag(after)


def test_gains_are_the_exact_variance_reductions():
    theta = np.array([1.0, 0.9, 0.2, -0.5, -1.4])
    rng = np.random.default_rng(3)
    info = ad.fisher_information(theta, table_for(theta, rng.integers(5, 60, 10)))
    cov = ad.covariance(info)
    plan = ad.pair_weights(theta, cov, floor=0.0)
    top = 0
    var_diff = cov[0, 0] + np.diag(cov) - 2 * cov[0]
    var_diff[top] = 1.0
    omega = ad._normal_cdf(-(theta[top] - theta) / np.sqrt(var_diff))
    omega[top] = 0.0
    importance = omega.copy()
    importance[top] = min(1.0, omega.sum())
    for i, j in [(0, 1), (0, 4), (2, 3), (1, 4)]:
        trace_drop, var_drop = exact_gains(theta, info, i, j)
        assert plan.interval_gain[i, j] == pytest.approx(trace_drop, rel=1e-6)
        assert plan.rank_gain[i, j] == pytest.approx(np.sum(importance * var_drop / np.diag(cov)), rel=1e-6)


def test_weights_are_a_distribution_with_a_floor():
    theta = np.array([1.2, 1.1, 0.0, -0.8, -2.0, -2.1])
    cov = ad.covariance(ad.fisher_information(theta, table_for(theta, 30.0)))
    plan = ad.pair_weights(theta, cov, floor=0.2)
    w = plan.weight
    assert np.allclose(w, w.T) and np.all(np.diag(w) == 0)
    _, _, share = plan.pairs()
    assert share.sum() == pytest.approx(1.0)
    assert share.min() >= 0.2 / 15 - 1e-12
    # the contested top pair gets the most, the lopsided top-vs-bottom pair close to the floor
    assert w[0, 1] == share.max()
    assert w[0, 5] < w[0, 1] / 3
    assert np.allclose(ad.pair_weights(theta, cov, floor=1.0).weight, ad.uniform_plan(6))


def test_settled_leader_hands_the_votes_to_the_intervals():
    theta = np.array([3.0, 0.0, -0.1, -0.2])
    cov = ad.covariance(ad.fisher_information(theta, table_for(theta, 2000.0)))
    plan = ad.pair_weights(theta, cov)
    assert plan.challenge < 1e-6 and plan.rank_share == 0.0
    contested = ad.pair_weights(np.array([0.0, -0.01, -0.1, -0.2]), cov)
    assert contested.rank_share == ad.DEFAULT_RANK_SHARE


def test_unavailable_pairs_get_nothing_and_the_rest_is_renormalised():
    theta = np.array([0.3, 0.2, 0.0, -0.5])
    cov = ad.covariance(ad.fisher_information(theta, table_for(theta, 40.0)))
    available = ~np.eye(4, dtype=bool)
    available[0, 1] = available[1, 0] = False
    plan = ad.pair_weights(theta, cov, available=available)
    assert plan.weight[0, 1] == 0 and plan.weight[1, 0] == 0
    assert plan.pairs()[2].sum() == pytest.approx(1.0)
    none = ad.pair_weights(theta, cov, available=np.zeros((4, 4), dtype=bool))
    assert not none.weight.any()


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(-2, 2), min_size=3, max_size=6),
    st.floats(-5, 5),
    st.randoms(use_true_random=False),
)
def test_weights_follow_the_systems_and_ignore_a_shift(values, shift, rnd):
    theta = np.array(values)
    k = theta.size
    assume(np.min(np.diff(np.sort(theta))) > 1e-3)  # a unique leader, whatever the shift rounds to
    cov = ad.covariance(ad.fisher_information(theta, table_for(theta, 25.0)))
    base = ad.pair_weights(theta, cov).weight
    assert np.allclose(ad.pair_weights(theta + shift, cov).weight, base, atol=1e-9)
    perm = np.array(rnd.sample(range(k), k))
    permuted = ad.pair_weights(theta[perm], cov[np.ix_(perm, perm)]).weight
    assert np.allclose(permuted, base[np.ix_(perm, perm)], atol=1e-9)


def test_comparison_weights_reproduce_the_pair_shares():
    plan = np.array([[0, 0.5, 0.3], [0.5, 0, 0.2], [0.3, 0.2, 0]])
    ci = np.array([0, 0, 1, 2, 2, 2, 1])
    cj = np.array([1, 1, 0, 0, 1, 1, 2])  # pair (0,1) has 3 comparisons, (0,2) one, (1,2) three
    w = ad.comparison_weights(plan, ci, cj)
    assert w.mean() == pytest.approx(1.0)
    share = w / w.sum()
    assert share[[0, 1, 2]].sum() == pytest.approx(0.5)
    assert share[3] == pytest.approx(0.3)
    assert share[[4, 5, 6]].sum() == pytest.approx(0.2)
    with pytest.raises(ValueError, match="out of range"):
        ad.comparison_weights(plan, np.array([0]), np.array([3]))


def test_projection_under_the_past_mix_is_the_square_root_rule():
    theta = np.array([0.4, 0.3, 0.0, -0.6])
    n = np.array([100.0, 40.0, 20.0, 80.0, 60.0, 30.0])
    table = table_for(theta, n)
    info = ad.fisher_information(theta, table)
    past = np.zeros((4, 4))
    past[table.left, table.right] = n / n.sum()
    past += past.T
    now = ad.score_sd(ad.covariance(info))
    later = ad.score_sd(ad.projected_covariance(info, theta, past, 3 * n.sum()))
    assert np.allclose(later, now / 2.0)  # 4x the judgments, half the width


def test_more_judgments_is_the_first_count_that_meets_the_rule():
    theta = np.array([0.2, 0.1, -0.1, -0.2])
    table = table_for(theta, 50.0)
    info = ad.fisher_information(theta, table)
    plan = ad.pair_weights(theta, ad.covariance(info)).weight
    est = ad.more_judgments(theta, info, plan, target_width=60.0)
    assert est.separate_top is not None and est.separate_top > 0
    assert est.mean_width is not None and est.mean_width > 0

    def half(m):
        return ad.Z95 * ad.score_sd(ad.projected_covariance(info, theta, plan, m))

    gap = 400 / np.log(10) * 0.1
    assert gap > half(est.separate_top)[0] + half(est.separate_top)[1]
    assert gap <= half(est.separate_top - 1)[0] + half(est.separate_top - 1)[1]
    assert np.mean(2 * half(est.mean_width)) <= 60.0 < np.mean(2 * half(est.mean_width - 1))
    # the adaptive plan separates the top two with fewer judgments than the uniform one
    uniform = ad.more_judgments(theta, info, ad.uniform_plan(4))
    assert est.separate_top < uniform.separate_top
    # already met: None; a tie at the top can never be separated: -1
    assert ad.more_judgments(theta, info, plan, target_width=1e6).mean_width is None
    flat = np.zeros(4)
    assert ad.more_judgments(flat, ad.fisher_information(flat, table), plan).separate_top == -1


def test_bad_arguments_are_rejected():
    theta = np.zeros(3)
    with pytest.raises(ValueError, match=r"cov must be \(3, 3\)"):
        ad.pair_weights(theta, np.eye(2))
    with pytest.raises(ValueError, match="floor and rank_share"):
        ad.pair_weights(theta, np.eye(3), floor=1.5)


def test_plan_from_table_is_the_two_step_recipe():
    theta = np.array([0.3, 0.25, -0.1, -0.45])
    table = table_for(theta, 30.0)
    plan, info = ad.plan_from_table(table, theta)
    assert np.allclose(info, ad.fisher_information(theta, table))
    assert np.allclose(plan.weight, ad.pair_weights(theta, ad.covariance(info)).weight)
