"""Style-controlled Bradley-Terry: against an independent fit of FastChat's objective, invariants, bootstrap.

The reference fit below is FastChat's ``contextual_bt_loss_and_grad`` / ``fit_contextual_bt`` objective
(``fastchat/serve/monitor/rating_systems.py``: per-battle log-loss plus ``reg/2 * |params|²`` on log10
ratings and coefficients, ``reg = 0.5``) written out here and minimised with scipy's L-BFGS-B to a tight
tolerance; the product solves it by Newton on aggregated cells.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize
from scipy.special import expit

from ratings.stats import bradley_terry as bt
from ratings.stats import style_control as sc

LN10 = math.log(10.0)


def synth(rng, *, k: int, n: int, beta=(0.3, 0.1), strength=None, mean_len=None, tie_rate=0.1):
    strength = rng.normal(0.0, 0.3, k) if strength is None else np.asarray(strength)
    mean_len = rng.lognormal(5.0, 0.5, k) if mean_len is None else np.asarray(mean_len)
    a = rng.integers(0, k, n)
    b = (a + rng.integers(1, k, n)) % k
    ca = np.column_stack([rng.poisson(mean_len[a]), rng.poisson(2.0, n)])
    cb = np.column_stack([rng.poisson(mean_len[b]), rng.poisson(2.0, n)])
    d = sc.normalised_differences(ca, cb)
    x = (d - d.mean(0)) / d.std(0)
    p = expit(LN10 * (strength[a] - strength[b]) + x @ np.asarray(beta))
    # ties that keep the expected credit at p (ties as half a win stay unbiased): P(tie) = 2 t min(p, 1-p)
    tie = rng.random(n) < 2 * tie_rate * np.minimum(p, 1 - p)
    win = rng.random(n) < (p - tie_rate * np.minimum(p, 1 - p)) / (1 - 2 * tie_rate * np.minimum(p, 1 - p))
    outcome = np.where(tie, 0.5, win.astype(float))
    return a, b, outcome, ca, cb, strength


def fastchat_objective_fit(a, b, outcome, ca, cb, *, k, reg=0.5):
    """FastChat's per-battle objective, minimised by scipy: returns (scores, beta)."""
    d = (ca - cb) / (ca + cb + 1.0)
    x = (d - d.mean(0)) / d.std(0)

    def loss_grad(params):
        r, beta = params[:k], params[k:]
        p = expit(LN10 * (r[a] - r[b]) + x @ beta)
        loss = -(outcome * np.log(p) + (1 - outcome) * np.log(1 - p)).sum() + reg / 2 * params @ params
        err = outcome - p
        grad = reg * params
        np.add.at(grad, a, -LN10 * err)
        np.add.at(grad, b, LN10 * err)
        grad[k:] -= x.T @ err
        return loss, grad

    res = minimize(
        loss_grad, np.zeros(k + x.shape[1]), jac=True, method="L-BFGS-B", options={"gtol": 1e-9, "maxiter": 5000}
    )
    return 1000.0 + 400.0 * res.x[:k], res.x[k:]


def test_fit_matches_an_independent_fit_of_fastchats_objective():
    rng = np.random.default_rng(1)
    a, b, o, ca, cb, _ = synth(rng, k=5, n=3000)
    cells = sc.style_cells(a, b, o, ca, cb, n_systems=5, feature_names=["length", "headers"])
    fit = sc.fit_style_control(cells, prior_strength=0.5 / LN10**2, force_prior=True, coef_prior=0.5)
    ref_scores, ref_beta = fastchat_objective_fit(a, b, o, ca, cb, k=5)
    assert fit.converged
    assert np.allclose(fit.scores, ref_scores, atol=1e-3)
    assert np.allclose(fit.beta, ref_beta, atol=1e-5)
    assert fit.points_per_sd["length"] == pytest.approx(400 * fit.beta[0] / LN10)


def test_unpenalised_fit_is_the_mle():
    rng = np.random.default_rng(2)
    a, b, o, ca, cb, _ = synth(rng, k=4, n=2000)
    cells = sc.style_cells(a, b, o, ca, cb, n_systems=4)
    fit = sc.fit_style_control(cells, coef_prior=0.0)
    assert fit.mle_exists and fit.prior_strength == 0.0
    ref_scores, ref_beta = fastchat_objective_fit(a, b, o, ca, cb, k=4, reg=0.0)
    ref_scores += 1000.0 - ref_scores.mean()  # the unpenalised optimum is only defined up to a shift
    assert np.allclose(fit.scores, ref_scores, atol=1e-2)
    assert np.allclose(fit.beta, ref_beta, atol=1e-5)
    assert fit.scores.mean() == pytest.approx(1000.0)


def test_swapping_every_battle_changes_nothing():
    rng = np.random.default_rng(3)
    a, b, o, ca, cb, _ = synth(rng, k=4, n=1500)
    one = sc.fit_style_control(sc.style_cells(a, b, o, ca, cb, n_systems=4))
    two = sc.fit_style_control(sc.style_cells(b, a, 1.0 - o, cb, ca, n_systems=4))
    assert np.allclose(one.scores, two.scores, atol=1e-8)
    assert np.allclose(one.beta, two.beta, atol=1e-10)


def test_repeated_rows_equal_weights_and_are_aggregated():
    rng = np.random.default_rng(4)
    a, b, o, ca, cb, _ = synth(rng, k=4, n=400)
    doubled = sc.style_cells(
        np.tile(a, 2), np.tile(b, 2), np.tile(o, 2), np.tile(ca, (2, 1)), np.tile(cb, (2, 1)), n_systems=4
    )
    weighted = sc.style_cells(a, b, o, ca, cb, n_systems=4, weight=np.full(a.size, 2.0))
    assert doubled.left.size == weighted.left.size <= a.size
    assert doubled.weight.sum() == 800
    one, two = sc.fit_style_control(doubled), sc.fit_style_control(weighted)
    assert np.allclose(one.scores, two.scores) and np.allclose(one.beta, two.beta)


def test_constant_feature_is_dropped_and_named():
    rng = np.random.default_rng(5)
    a, b, o, ca, cb, _ = synth(rng, k=3, n=500)
    zeros = np.zeros((a.size, 1))
    cells = sc.style_cells(
        a,
        b,
        o,
        np.hstack([ca, zeros]),
        np.hstack([cb, zeros]),
        n_systems=3,
        feature_names=["length", "headers", "code"],
    )
    assert cells.feature_names == ("length", "headers") and cells.dropped_features == ("code",)
    fit = sc.fit_style_control(cells)
    assert set(fit.points_per_sd) == {"length", "headers"}


def test_no_style_features_reduces_to_plain_bradley_terry():
    rng = np.random.default_rng(6)
    a, b, o, _, _, _ = synth(rng, k=4, n=800)
    none = np.zeros((a.size, 0))
    cells = sc.style_cells(a, b, o, none, none, n_systems=4)
    fit = sc.fit_style_control(cells)
    plain = bt.fit_bradley_terry(bt.pair_table(a, b, o, n_systems=4))
    assert fit.beta.size == 0
    assert np.allclose(fit.scores, plain.scores, atol=1e-6)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(ca=d["ca"][:-1]), "same number of rows|both be"),
        (lambda d: d.update(ca=-d["ca"]), "finite and non-negative"),
        (lambda d: d.update(o=d["o"] * 0 + 0.3), "outcome must be"),
        (lambda d: d.update(b=d["a"]), "compared with itself"),
        (lambda d: d.update(a=d["a"] + 10), "out of range"),
        (lambda d: d.update(names=["only-one"]), "feature names"),
    ],
)
def test_bad_input_is_rejected_clearly(change, message):
    rng = np.random.default_rng(7)
    a, b, o, ca, cb, _ = synth(rng, k=3, n=50)
    data = {"a": a, "b": b, "o": o, "ca": ca, "cb": cb, "names": None}
    change(data)
    with pytest.raises(ValueError, match=message):
        sc.style_cells(
            data["a"], data["b"], data["o"], data["ca"], data["cb"], n_systems=3, feature_names=data["names"]
        )


def test_negative_count_error_names_the_row():
    ca = np.array([[1, 2], [3, -1]])
    with pytest.raises(ValueError, match="row 1"):
        sc.normalised_differences(ca, np.ones((2, 2)))


def test_recovers_the_planted_order_where_the_plain_fit_does_not():
    """Weaker systems write longer answers and raters like length: the plain board is fooled, style control is not."""
    rng = np.random.default_rng(8)
    k = 6
    strength = np.arange(k)[::-1] * 0.06  # true order 0 > 1 > ... > 5, 24 points apart
    mean_len = 80.0 * 1.6 ** np.arange(k)  # system 5 writes ~10x longer than system 0
    a, b, o, ca, cb, _ = synth(rng, k=k, n=30000, beta=(0.6, 0.0), strength=strength, mean_len=mean_len)
    cells = sc.style_cells(a, b, o, ca, cb, n_systems=k, feature_names=["length", "headers"])
    styled = sc.fit_style_control(cells)
    plain = bt.fit_bradley_terry(cells.pair_table())
    true_order = list(range(k))
    assert np.argsort(-styled.scores).tolist() == true_order
    assert np.argsort(-plain.scores).tolist() != true_order
    assert np.argmax(plain.scores) != 0  # the plain board's winner is a verbose system
    assert styled.points_per_sd["length"] > 50.0  # 0.6 natural-log odds per SD ≈ 104 points, recovered


def _bootstrap_fixture(seed=9, n=1500, k=4):
    rng = np.random.default_rng(seed)
    a, b, o, ca, cb, _ = synth(rng, k=k, n=n)
    cells = sc.style_cells(a, b, o, ca, cb, n_systems=k)
    return cells, sc.fit_style_control(cells)


def test_bootstrap_chord_iterations_agree_with_full_newton():
    cells, fit = _bootstrap_fixture()
    chord = sc.bootstrap_style_control(cells, fit, rounds=12, seed=2)
    newton = sc.bootstrap_style_control(cells, fit, rounds=12, seed=2, max_chord_iter=0)
    assert np.allclose(chord.scores, newton.scores, atol=5e-3)
    assert np.allclose(chord.beta, newton.beta, atol=5e-5)
    # and every round is the optimum of its own reweighted data
    w = sc.resample_weights(np.random.default_rng(bt.chunk_jobs(12, 32, 2)[0][0]), cells.weight, 12)
    lam = fit.prior_strength or bt.BOOTSTRAP_FLOOR
    one, _, _ = sc._solve(
        cells,
        w[3],
        np.zeros(cells.n_systems + cells.n_features),
        lam_theta=lam,
        lam_beta=fit.coef_prior,
        max_iter=100,
        tol=1e-10,
    )
    assert np.allclose(newton.scores[3], bt.to_scores(one[: cells.n_systems]), atol=5e-3)


def test_bootstrap_does_not_depend_on_workers_and_is_centred():
    cells, fit = _bootstrap_fixture(seed=10)
    one = sc.bootstrap_style_control(cells, fit, rounds=40, seed=5, chunk=10, workers=1)
    two = sc.bootstrap_style_control(cells, fit, rounds=40, seed=5, chunk=10, workers=2)
    assert np.array_equal(one.scores, two.scores) and np.array_equal(one.beta, two.beta)
    assert np.allclose(one.scores.mean(axis=1), 1000.0, atol=1e-3)
    lo, hi = bt.percentile_intervals(one.scores)
    assert np.all(lo < fit.scores) and np.all(fit.scores < hi)


def test_judgment_weights_resample_the_judgments():
    rng = np.random.default_rng(0)
    w = np.array([1.0, 3.0, 0.0, 2.0])
    draws = sc.resample_weights(rng, w, 4000)
    assert draws.shape == (4000, 4) and np.all(draws.sum(axis=1) == 6)
    assert np.all(draws[:, 2] == 0)
    assert np.allclose(draws.mean(axis=0), w, atol=0.1)  # multinomial(6, w/6): mean w
    with pytest.raises(ValueError, match="whole-number"):
        sc.resample_weights(rng, np.array([0.5, 1.0]), 2)


def test_cluster_weights_move_whole_clusters():
    rng = np.random.default_rng(1)
    w = np.array([1.0, 2.0, 1.0, 1.0, 4.0])
    one_way = sc.resample_weights(rng, w, 500, np.array([0, 0, 1, 1, 2]))
    ratio = one_way / w
    assert np.all(ratio[:, 0] == ratio[:, 1]) and np.all(ratio[:, 2] == ratio[:, 3])
    assert np.all(ratio.round() == ratio) and np.all(ratio[:, [0, 2, 4]].sum(axis=1) == 3)  # 3 clusters drawn
    two_way = sc.resample_weights(rng, w, 500, np.array([[0, 0], [0, 1], [1, 0], [1, 1], [0, 0]]))
    r = two_way / w
    assert np.all(r[:, 0] == r[:, 4])  # same rater and same prompt: the same multiplier
    assert np.all(r[:, 0] * r[:, 3] == r[:, 1] * r[:, 2])  # product of a row draw and a column draw


def test_cluster_bootstrap_sees_copies_that_the_judgment_bootstrap_does_not():
    """Ten copies of every judgment, each judgment's copies one cluster: the cluster bootstrap gives the
    interval of the original data, the judgment-level one a falsely narrow one (about 1/sqrt(10))."""
    rng = np.random.default_rng(11)
    a, b, o, ca, cb, _ = synth(rng, k=4, n=1200)
    base = sc.style_cells(a, b, o, ca, cb, n_systems=4)
    width = np.ptp(
        bt.percentile_intervals(sc.bootstrap_style_control(base, sc.fit_style_control(base), rounds=1000).scores),
        axis=0,
    )
    rep = 10
    ids = np.tile(np.arange(a.size), rep)
    copies = dict(i=np.tile(a, rep), j=np.tile(b, rep), outcome=np.tile(o, rep))
    copies |= dict(counts_i=np.tile(ca, (rep, 1)), counts_j=np.tile(cb, (rep, 1)))
    clustered = sc.style_cells(**copies, n_systems=4, clusters=ids)
    naive = sc.style_cells(**copies, n_systems=4)
    wc = np.ptp(
        bt.percentile_intervals(
            sc.bootstrap_style_control(clustered, sc.fit_style_control(clustered), rounds=1000).scores
        ),
        axis=0,
    )
    wn = np.ptp(
        bt.percentile_intervals(sc.bootstrap_style_control(naive, sc.fit_style_control(naive), rounds=1000).scores),
        axis=0,
    )
    # same distribution as the original data's bootstrap (up to Monte Carlo noise of 1000 rounds) ...
    assert np.mean(wc / width) == pytest.approx(1.0, abs=0.1) and np.all(np.abs(wc / width - 1.0) < 0.25)
    # ... where ignoring the copies shrinks every interval by about sqrt(10)
    assert np.mean(wn / width) == pytest.approx(1 / math.sqrt(rep), abs=0.05)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1), st.floats(-300, 300))
def test_scores_shift_with_the_anchor_and_nothing_else(seed, anchor_score):
    rng = np.random.default_rng(seed)
    a, b, o, ca, cb, _ = synth(rng, k=3, n=200)
    cells = sc.style_cells(a, b, o, ca, cb, n_systems=3)
    free = sc.fit_style_control(cells)
    anchored = sc.fit_style_control(cells, anchor=1, anchor_score=anchor_score)
    assert anchored.scores[1] == pytest.approx(anchor_score)
    assert np.allclose(anchored.scores - anchored.scores[0], free.scores - free.scores[0], atol=1e-8)
    assert np.allclose(anchored.beta, free.beta)


def test_summary_is_json_ready_and_ordered():
    import json

    cells, fit = _bootstrap_fixture(seed=12)
    boot = sc.bootstrap_style_control(cells, fit, rounds=50, seed=1)
    names = [f"s{x}" for x in range(cells.n_systems)]
    summary = sc.style_summary(fit, boot, names=names)
    assert json.loads(json.dumps(summary)) == summary
    scores = [row["score"] for row in summary["systems"]]
    assert scores == sorted(scores, reverse=True)
    assert all(row["lower"] <= row["score"] <= row["upper"] for row in summary["systems"])
    coef = summary["coefficients"][0]
    assert coef["feature"] == "feature_0" and coef["lower"] <= coef["points_per_sd"] <= coef["upper"]
    assert coef["sd"] == pytest.approx(cells.feature_std[0], abs=1e-4)
