"""Cluster-aware Bradley-Terry intervals: the cluster bootstrap against a slow refit of every round, the
sandwich variances against a direct computation, the ranked group against scipy's strong components,
properties (sides, labels, blocks), and the unbounded cases of issue 15."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.optimize import minimize
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from ratings.stats import bradley_terry as bt
from ratings.stats.student_t import t_quantile


def _crowd_cells(rng: np.random.Generator, *, k: int = 5, n: int = 600, raters: int = 12, prompts: int = 9):
    """Random judgments with rater and prompt effects (a rater × system taste, a prompt × system interaction)."""
    true = rng.normal(0, 0.8, k)
    taste = rng.normal(0, 0.4, (raters, k))
    inter = rng.normal(0, 0.4, (prompts, k))
    r = rng.integers(0, raters, n)
    p = rng.integers(0, prompts, n)
    i = rng.integers(0, k, n)
    j = (i + rng.integers(1, k, n)) % k
    d = true[i] - true[j] + taste[r, i] - taste[r, j] + inter[p, i] - inter[p, j]
    u = rng.random(n)
    outcome = np.where(u < 0.2, 0.5, np.where(rng.random(n) < 1 / (1 + np.exp(-d)), 1.0, 0.0))
    return i, j, outcome, r, p


def _replayed_weights(cells: bt.Cells, names: tuple[str, ...], rounds: int, seed: int, chunk: int) -> np.ndarray:
    """The documented resampling, written out: per chunk, per clustering, G uniform draws counted."""
    sizes = [min(chunk, rounds - s) for s in range(0, rounds, chunk)]
    out = []
    for child, r in zip(np.random.SeedSequence(seed).spawn(len(sizes)), sizes, strict=True):
        rng = np.random.default_rng(child)
        w = np.tile(cells.count * cells.weight, (r, 1))
        for name in names:
            g = cells.n_clusters[name]
            draws = rng.integers(0, g, size=(r, g))
            mult = np.stack([np.bincount(row, minlength=g) for row in draws])
            w = w * mult[:, cells.clusters[name]]
        out.append(w)
    return np.concatenate(out)


def _scipy_refit(cells: bt.Cells, w: np.ndarray, lam: float) -> np.ndarray:
    """Independent: maximise Σ w [o log p + (1 − o) log(1 − p)] − λ/2 Σ θ² per cell, by BFGS."""
    i, j, o = cells.i, cells.j, cells.outcome

    def nll(theta: np.ndarray) -> float:
        d = theta[i] - theta[j]
        ll = w * (o * -np.logaddexp(0, -d) + (1 - o) * -np.logaddexp(0, d))
        return float(-ll.sum() + lam / 2 * np.sum(theta**2))

    def grad(theta: np.ndarray) -> np.ndarray:
        d = theta[i] - theta[j]
        resid = w * (o - 1 / (1 + np.exp(-d)))
        g = np.bincount(i, resid, cells.n_systems) - np.bincount(j, resid, cells.n_systems)
        return -g + lam * theta

    res = minimize(nll, np.zeros(cells.n_systems), jac=grad, method="BFGS", options={"gtol": 1e-9})
    return res.x


@pytest.mark.parametrize("names", [("rater",), ("prompt",), ("rater", "prompt")])
def test_cluster_bootstrap_equals_refitting_every_round(names: tuple[str, ...]) -> None:
    rng = np.random.default_rng(3)
    i, j, o, r, p = _crowd_cells(rng)
    weight = rng.choice([0.5, 1.0, 1.7], i.size)  # fractional base weights (quality or rank-breaking)
    cells = bt.make_cells(i, j, o, n_systems=5, weight=weight, clusters={"rater": r, "prompt": p})
    fit = bt.fit_bradley_terry(cells.table(), prior_strength=0.0)
    theta = bt.bootstrap_cells(cells, fit, resample=names, rounds=12, seed=7, chunk=5)
    weights = _replayed_weights(cells, names, rounds=12, seed=7, chunk=5)
    for round_ in range(12):
        ref = _scipy_refit(cells, weights[round_], bt.BOOTSTRAP_FLOOR)
        assert np.allclose(theta[round_], ref, atol=2e-3), round_


def test_blocks_and_workers_do_not_change_the_rounds(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(4)
    i, j, o, r, p = _crowd_cells(rng, n=900)
    cells = bt.make_cells(i, j, o, n_systems=5, clusters={"rater": r, "prompt": p})
    fit = bt.fit_bradley_terry(cells.table(), prior_strength=0.0)
    whole = bt.bootstrap_cells(cells, fit, resample="two_way", rounds=40, seed=2, chunk=20)
    two = bt.bootstrap_cells(cells, fit, resample="two_way", rounds=40, seed=2, chunk=20, workers=2)
    monkeypatch.setattr(bt, "_BLOCK_ELEMENTS", 64)  # a handful of rounds per block, drawn and solved apart
    small = bt.bootstrap_cells(cells, fit, resample="two_way", rounds=40, seed=2, chunk=20)
    assert np.array_equal(whole, two)
    assert np.allclose(whole, small, atol=1e-5)


def test_singleton_clusters_resample_like_single_judgments() -> None:
    """A clustering where every judgment is its own cluster is the per-judgment bootstrap (in distribution)."""
    rng = np.random.default_rng(5)
    i, j, o, _, _ = _crowd_cells(rng, k=4, n=400)
    cells = bt.make_cells(i, j, o, n_systems=4, clusters={"judgment": np.arange(i.size)})
    fit = bt.fit_bradley_terry(cells.table(), prior_strength=0.0)
    by_cluster = bt.bootstrap_cells(cells, fit, resample=("judgment",), rounds=1500, seed=1)
    by_judgment = bt.bootstrap_cells(cells, fit, resample="judgment", rounds=1500, seed=2)
    for system in range(4):
        assert stats.ks_2samp(by_cluster[:, system], by_judgment[:, system]).pvalue > 1e-3, system
    ratio = by_cluster.var(axis=0) / by_judgment.var(axis=0)
    assert np.all((ratio > 0.85) & (ratio < 1.18)), ratio


def test_cluster_meat_matches_a_direct_sum_of_outer_products() -> None:
    rng = np.random.default_rng(6)
    i, j, o, r, p = _crowd_cells(rng, k=6, n=500)
    cells = bt.make_cells(i, j, o, rng.integers(1, 4, i.size), n_systems=6, clusters={"rater": r, "prompt": p})
    theta = rng.normal(0, 0.5, 6)
    threes = np.arange(cells.i.size) // 3  # many small clusters: the pairwise path with cross products
    for ids, n in ((cells.clusters["rater"], 12), (np.arange(cells.i.size), cells.i.size), (threes, threes[-1] + 1)):
        direct = np.zeros((6, 6))
        for g in range(n):
            s = np.zeros(6)
            for c in np.flatnonzero(ids == g):
                pr = 1 / (1 + math.exp(theta[cells.j[c]] - theta[cells.i[c]]))
                s[cells.i[c]] += cells.count[c] * (cells.outcome[c] - pr)
                s[cells.j[c]] -= cells.count[c] * (cells.outcome[c] - pr)
            direct += np.outer(s, s)
        assert np.allclose(bt.cluster_meat(cells, theta, ids, n), direct)


def test_sandwich_variances_predict_the_bootstrap_variances() -> None:
    rng = np.random.default_rng(8)
    i, j, o, r, p = _crowd_cells(rng, k=5, n=3000, raters=40, prompts=30)
    cells = bt.make_cells(i, j, o, n_systems=5, clusters={"rater": r, "prompt": p})
    fit = bt.fit_bradley_terry(cells.table(), prior_strength=0.0)
    v = bt.multiway_variances(cells, fit, ("rater", "prompt"))
    for method, expected in (
        ("rater", v["one_way"]["rater"] * 39 / 40),
        ("prompt", v["one_way"]["prompt"] * 29 / 30),
        ("pigeonhole", v["bootstrap"]),
    ):
        theta = bt.bootstrap_cells(cells, fit, resample=method, rounds=800, seed=3)
        var = (theta - theta.mean(axis=1, keepdims=True)).var(axis=0)
        assert np.all(np.abs(var / expected - 1) < 0.2), (method, var / expected)
    assert np.all(v["target"] < v["bootstrap"]) and np.all(v["target"] >= v["one_way"]["prompt"] - 1e-15)


def test_corrected_two_way_has_the_multiway_variance_and_the_pigeonhole_shape() -> None:
    rng = np.random.default_rng(9)
    i, j, o, r, p = _crowd_cells(rng, k=5, n=3000, raters=40, prompts=30)
    cells = bt.make_cells(i, j, o, n_systems=5, clusters={"rater": r, "prompt": p})
    raw = bt.bradley_terry_intervals(cells, resample="pigeonhole", rounds=600, seed=4)
    corrected = bt.bradley_terry_intervals(cells, resample="two_way", rounds=600, seed=4)
    assert (raw.method, corrected.method) == ("pigeonhole", "two_way")
    fit = bt.fit_bradley_terry(cells.table(), prior_strength=0.0)
    v = bt.multiway_variances(cells, fit, ("rater", "prompt"))
    factor = bt.cluster_spread_factor(cells, fit, ("rater", "prompt"), level=0.95)
    widen = np.array([t_quantile(0.975, d) for d in v["df"]]) / 1.959963984540054
    assert np.allclose(factor, np.sqrt(v["target"] / v["bootstrap"]) * widen)
    assert np.all((widen > 1.0) & (widen < 1.05))  # 40 raters, 30 prompts: a little wider than normal
    to_points = bt.DEFAULT_SCALE / bt.LN10
    dev_raw = raw.samples - raw.scores
    dev_cor = corrected.samples - corrected.scores
    assert np.allclose(dev_cor, dev_raw * factor, atol=1e-6)
    assert np.allclose(corrected.scores, raw.scores)
    assert np.all(corrected.upper - corrected.lower < raw.upper - raw.lower)
    assert np.allclose(dev_cor.var(axis=0) / (v["target"] * widen**2 * to_points**2), 1, atol=0.2)


def test_one_clustering_gets_its_small_sample_factor_only() -> None:
    rng = np.random.default_rng(12)
    i, j, o, r, p = _crowd_cells(rng, k=4, n=900, raters=8, prompts=30)
    cells = bt.make_cells(i, j, o, n_systems=4, clusters={"rater": r, "prompt": p})
    fit = bt.fit_bradley_terry(cells.table(), prior_strength=0.0)
    factor = bt.cluster_spread_factor(cells, fit, ("rater",), level=0.95)
    # 8 raters: sqrt(8/7) for the variance, t with 7 df over z for the quantile
    assert np.allclose(factor, math.sqrt(8 / 7) * t_quantile(0.975, 7) / 1.959963984540054)
    raw = bt.bradley_terry_intervals(cells, resample="rater", correct=False, rounds=200, seed=1)
    cor = bt.bradley_terry_intervals(cells, resample="rater", rounds=200, seed=1)
    assert (raw.method, cor.method) == ("rater+raw", "rater")
    assert np.allclose(cor.samples - cor.scores, (raw.samples - raw.scores) * factor, atol=1e-6)


battles = st.lists(
    st.tuples(st.integers(0, 3), st.integers(1, 3), st.integers(0, 2), st.integers(0, 5), st.integers(0, 3)),
    min_size=8,
    max_size=40,
)


def _cells_from(data, *, flip: bool = False, relabel: np.ndarray | None = None) -> bt.Cells:
    k = 4
    # a tie between neighbours in every cluster pair keeps the MLE in existence
    rows = [*data, *[(s, 1, 1, 0, 0) for s in range(k)]]
    i = np.array([a for a, _, _, _, _ in rows])
    j = (i + np.array([d for _, d, _, _, _ in rows])) % k
    o = np.array([(0.0, 0.5, 1.0)[c] for _, _, c, _, _ in rows])
    if relabel is not None:
        i, j = relabel[i], relabel[j]
    if flip:
        i, j, o = j, i, 1.0 - o
    clusters = {"rater": np.array([x[3] for x in rows]), "prompt": np.array([x[4] for x in rows])}
    return bt.make_cells(i, j, o, n_systems=k, clusters=clusters)


@settings(max_examples=25, deadline=None)
@given(battles, st.sampled_from(["rater", "prompt", "two_way"]))
def test_swapping_sides_changes_nothing(data, method) -> None:
    one = bt.bradley_terry_intervals(_cells_from(data), resample=method, rounds=30, seed=1)
    two = bt.bradley_terry_intervals(_cells_from(data, flip=True), resample=method, rounds=30, seed=1)
    assert np.array_equal(one.status, two.status)
    assert np.allclose(one.samples, two.samples, atol=1e-3, equal_nan=True)
    assert np.array_equal(one.rank_lower, two.rank_lower) or np.allclose(one.samples, two.samples, atol=1e-3)


@settings(max_examples=25, deadline=None)
@given(battles, st.permutations(range(4)), st.floats(-300, 300))
def test_relabelling_systems_permutes_results_and_shifts_only_shift(data, perm, shift) -> None:
    perm = np.array(perm)
    one = bt.bradley_terry_intervals(_cells_from(data), resample="two_way", rounds=30, seed=1)
    two = bt.bradley_terry_intervals(_cells_from(data, relabel=perm), resample="two_way", rounds=30, seed=1)
    assert np.array_equal(one.status, two.status[perm])
    assert np.allclose(one.scores, two.scores[perm], atol=1e-3, equal_nan=True)
    # float32 rounds far out in the tails agree to a few hundredths of a point
    assert np.allclose(one.lower, two.lower[perm], atol=0.2, equal_nan=True)
    ranked = one.status == "ranked"
    assert one.scores[ranked].mean() == pytest.approx(1000.0)
    shifted = bt.bradley_terry_intervals(_cells_from(data), resample="two_way", rounds=30, seed=1, init=1000 + shift)
    assert np.allclose(shifted.lower - shift, one.lower, equal_nan=True)
    assert np.array_equal(shifted.rank_upper, one.rank_upper) and np.array_equal(shifted.rank, one.rank)
    n = int(ranked.sum())
    assert np.all((1 <= one.rank_lower[ranked]) & (one.rank_lower[ranked] <= one.rank_upper[ranked]))
    assert np.all(one.rank_upper[ranked] <= n)


digraphs = st.lists(st.tuples(st.integers(0, 7), st.integers(0, 7), st.sampled_from([0.0, 0.5, 1.0])), max_size=30)


@settings(max_examples=60, deadline=None)
@given(digraphs)
def test_strong_components_match_scipy(edges) -> None:
    edges = [(a, b, o) for a, b, o in edges if a != b]
    k = 8
    table = bt.pair_table([a for a, _, _ in edges], [b for _, b, _ in edges], [o for *_, o in edges], n_systems=k)
    ours = bt.strong_components(table)
    adj = np.zeros((k, k))
    for a, b, o in edges:
        if o > 0:
            adj[a, b] = 1  # a got credit against b
        if o < 1:
            adj[b, a] = 1
    _, theirs = connected_components(csr_matrix(adj), directed=True, connection="strong")
    same_ours = ours[:, None] == ours[None, :]
    assert np.array_equal(same_ours, theirs[:, None] == theirs[None, :])


def test_the_issue_cases_are_shown_apart_not_scored_by_the_prior() -> None:
    """Issue 15: a system with 30 wins and 0 losses scored 2069 and ranked 1; a two-system island also ranked 1."""
    rng = np.random.default_rng(10)
    i, j, o, r, p = _crowd_cells(rng, k=4, n=800)
    winner = np.full(30, 4)  # system 4 beats the others 30 times, never loses
    island_i, island_j, island_o = np.array([5, 6, 5, 6]), np.array([6, 5, 6, 5]), np.array([1.0, 1.0, 0.0, 0.5])
    loser = np.full(10, 7)  # system 7 loses all its 10
    cells = bt.make_cells(
        np.r_[i, winner, island_i, loser],
        np.r_[j, rng.integers(0, 4, 30), island_j, rng.integers(0, 4, 10)],
        np.r_[o, np.ones(30), island_o, np.zeros(10)],
        n_systems=9,
        clusters={"rater": np.r_[r, np.arange(44) % 5], "prompt": np.r_[p, np.arange(44) % 3]},
    )
    res = bt.bradley_terry_intervals(cells, rounds=200, seed=0)
    assert res.status.tolist() == [
        *["ranked"] * 4,
        "unbounded_above",
        *["not_comparable"] * 2,
        "unbounded_below",
        "no_data",
    ]
    assert np.all(np.isnan(res.scores[4:])) and np.all(res.rank[4:] == 0) and np.all(res.rank_upper[4:] == 0)
    # the ranked group is fitted on its own judgments, exactly: the same as without the others
    alone = bt.bradley_terry_intervals(
        bt.make_cells(i, j, o, n_systems=4, clusters={"rater": r, "prompt": p}), rounds=200, seed=0
    )
    assert np.allclose(res.scores[:4], alone.scores, atol=1e-8)
    assert np.allclose(res.lower[:4], alone.lower, atol=1e-3)
    assert set(res.rank[:4]) <= {1, 2, 3, 4} and res.scores[:4].mean() == pytest.approx(1000.0)
    # the old path, for contrast, scores the winner far above everything by the prior
    old = bt.fit_bradley_terry(cells.table())
    assert old.scores[4] > old.scores[:4].max() + 300


def test_anchor_pins_a_ranked_system_and_rejects_an_unranked_one() -> None:
    rng = np.random.default_rng(11)
    i, j, o, r, p = _crowd_cells(rng, k=4, n=600)
    cells = bt.make_cells(
        np.r_[i, 4], np.r_[j, 0], np.r_[o, 1.0], n_systems=5, clusters={"rater": np.r_[r, 0], "prompt": np.r_[p, 0]}
    )
    res = bt.bradley_terry_intervals(cells, rounds=100, anchor=2, anchor_score=1200.0)
    assert res.scale == "anchored" and res.scores[2] == 1200.0 and np.allclose(res.samples[:, 2], 1200.0)
    assert res.lower[2] == res.upper[2] == 1200.0
    with pytest.raises(ValueError, match="anchor system 4 is not in the ranked group"):
        bt.bradley_terry_intervals(cells, rounds=10, anchor=4)


def test_rank_intervals_follow_the_evidence() -> None:
    samples = np.array([[3.0, 2.0, 1.0]] * 98 + [[1.0, 2.0, 3.0]] * 2)
    lo, hi = bt.rank_intervals(samples)
    assert lo.tolist() == [1, 2, 3] and hi.tolist() == [1, 2, 3]
    samples = np.array([[3.0, 2.0, 1.0]] * 90 + [[2.0, 3.0, 1.0]] * 10)
    lo, hi = bt.rank_intervals(samples)
    assert lo.tolist() == [1, 1, 3] and hi.tolist() == [2, 2, 3]
    assert bt.ranks_by_score(np.array([5.0, 5.0, 1.0])).tolist() == [1, 1, 3]


def test_bad_inputs_are_clear_errors() -> None:
    with pytest.raises(ValueError, match="count has 1 entries; i has 2"):
        bt.make_cells([0, 1], [1, 0], [1.0, 0.0], [3], n_systems=2)
    with pytest.raises(ValueError, match="clusters\\['rater'\\] has 1 entries"):
        bt.make_cells([0, 1], [1, 0], [1.0, 0.0], n_systems=2, clusters={"rater": [1]})
    with pytest.raises(ValueError, match="weight must be finite and non-negative: cell 1"):
        bt.make_cells([0, 1], [1, 0], [1.0, 0.0], n_systems=2, weight=[1.0, -2.0])
    with pytest.raises(ValueError, match="out of range"):
        bt.make_cells([0, 3], [1, 0], [1.0, 0.0], n_systems=2)
    cells = bt.make_cells(
        [0, 1, 0], [1, 0, 1], [1.0, 0.0, 0.5], [1.5, 1, 1], n_systems=2, clusters={"rater": [0, 1, 2]}
    )
    with pytest.raises(ValueError, match="no 'prompt' cluster ids \\(they carry: rater\\)"):
        bt.bradley_terry_intervals(cells, resample="two_way", rounds=5)
    with pytest.raises(ValueError, match="unknown resampling 'bogus'"):
        bt.bradley_terry_intervals(cells, resample="bogus", rounds=5)
    with pytest.raises(ValueError, match="whole-number counts"):
        bt.bradley_terry_intervals(cells, resample="judgment", rounds=5)
    with pytest.raises(ValueError, match="level must lie strictly between 0 and 1"):
        bt.bradley_terry_intervals(cells, resample="rater", level=95)
    assert bt.bradley_terry_intervals(cells, resample="rater", rounds=20).method == "rater"


def test_a_single_prompt_is_not_resampled_and_the_method_says_so() -> None:
    rng = np.random.default_rng(13)
    i, j, o, r, _ = _crowd_cells(rng, k=4, n=500)
    cells = bt.make_cells(i, j, o, n_systems=4, clusters={"rater": r, "prompt": np.zeros(i.size, dtype=int)})
    res = bt.bradley_terry_intervals(cells, resample="two_way", rounds=100, seed=0)
    by_rater = bt.bradley_terry_intervals(cells, resample="rater", rounds=100, seed=0)
    assert res.method == "rater" and res.resample == ("rater",) and res.n_clusters == {"rater": 12}
    assert np.all(np.isfinite(res.lower)) and np.allclose(res.lower, by_rater.lower)
