"""N-way rankings: Plackett-Luce with Davidson-Luce ties and rank-breaking, one ranking as one unit.

Checked against the PlackettLuce R package's published output, against choix (an independent PL
implementation, test-only dependency), against a second, loop-and-scipy implementation of the tie
likelihood written here, and by property tests.
"""

from __future__ import annotations

import csv
import itertools
import math

import choix
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize
from scipy.special import logsumexp

from ratings.stats import bradley_terry as bt
from ratings.stats import rankings as rk
from ratings.tests.reference_data import reference_path


def _pl_sample(rng: np.random.Generator, theta: np.ndarray, n: int, *, k_range=(3, 6), tie_rate: float = 0.0):
    """Orderings drawn from Plackett-Luce (`rankings.sample_rankings`, seeded from ``rng``)."""
    return rk.sample_rankings(theta, n=n, k_range=k_range, tie_rate=tie_rate, seed=int(rng.integers(2**31)))[0]


# --------------------------------------------------------------------------- published values


def test_plackett_luce_package_fruits_example_published_coefficients():
    # PlackettLuce(R) with its default npseudo = 0.5: half a win and half a loss of every item against a
    # hypothetical item (free here; the likelihood is shift invariant, so this equals fixing it at 0).
    with reference_path("pl_fruits_plackettluce.csv").open() as fh:
        reader = csv.reader(fh)
        names = next(reader)
        rows = [[int(x) for x in rec] for rec in reader]
    ghost = len(names)
    ranking, item, rank, weight = [], [], [], []
    for r, ranks in enumerate(rows):
        for i, value in enumerate(ranks):
            if value > 0:
                ranking.append(r), item.append(i), rank.append(value), weight.append(1.0)
    r_id = len(rows)
    for i in range(len(names)):
        for first in (i, ghost):
            ranking += [r_id, r_id]
            item += [first, ghost if first == i else i]
            rank += [1, 2]
            weight += [0.5, 0.5]
            r_id += 1
    data = rk.rankings_from_long(ranking, item, rank, n_systems=ghost + 1, weight=weight)
    fit = rk.fit_plackett_luce(data)
    assert fit.mle_exists and fit.prior_strength == 0.0 and fit.converged
    log_worth = fit.theta - fit.theta[names.index("apple")]
    assert log_worth[names.index("banana")] == pytest.approx(0.2867987, abs=1e-6)
    assert log_worth[names.index("orange")] == pytest.approx(-0.4636687, abs=1e-6)
    assert fit.tie_orders == (2,)
    assert fit.log_tie[0] == pytest.approx(-1.0701129, abs=1e-6)


# --------------------------------------------------------------------------- choix, independent PL


def test_matches_choix_without_ties():
    rng = np.random.default_rng(1)
    theta = rng.normal(0, 1, 8)
    orderings = _pl_sample(rng, theta, 400)
    fit = rk.fit_plackett_luce(rk.rankings_from_orderings(orderings, n_systems=8))
    assert fit.mle_exists and fit.converged and fit.tie_orders == ()
    ilsr = choix.ilsr_rankings(8, orderings, alpha=0.0, tol=1e-12, max_iter=10_000)
    mm = choix.mm_rankings(8, orderings, alpha=0.0, tol=1e-12, max_iter=100_000)
    assert np.allclose(fit.theta, ilsr - ilsr.mean(), atol=1e-8)
    assert np.allclose(fit.theta, mm - mm.mean(), atol=1e-8)
    assert fit.scores == pytest.approx(1000 + 400 * (ilsr - ilsr.mean()) / math.log(10), abs=1e-5)
    assert fit.loglik == pytest.approx(choix.log_likelihood_rankings(orderings, ilsr), abs=1e-8)


def test_rank_breaking_matches_choix_pairwise():
    rng = np.random.default_rng(2)
    theta = rng.normal(0, 1, 6)
    orderings = _pl_sample(rng, theta, 300, k_range=(4, 4))
    pairs = [(o[p], o[q]) for o in orderings for p, q in itertools.combinations(range(len(o)), 2)]
    ref = choix.ilsr_pairwise(6, pairs, alpha=0.0, tol=1e-12, max_iter=10_000)
    data = rk.rankings_from_orderings(orderings, n_systems=6)
    for weighting in rk.WEIGHTINGS:  # one k throughout: both weightings give the same estimate
        fit = rk.fit_rank_breaking(data, weighting=weighting)
        assert np.allclose(fit.theta, ref - ref.mean(), atol=1e-7), weighting


# --------------------------------------------------------------------------- independent tie likelihood


def _loop_stages(orderings, orders):
    """Every choice as (chosen members, [(order d, members of each subset of order d)]), by enumeration."""
    stages = []
    for ordering in orderings:
        groups = [[g] if isinstance(g, int) else list(g) for g in ordering]
        remaining = [x for g in groups for x in g]
        for group in groups:
            if len(remaining) == 1:
                break
            subsets = [(d, list(u)) for d in [1, *orders] for u in itertools.combinations(remaining, d)]
            stages.append((group, subsets))
            remaining = [x for x in remaining if x not in group]
    return stages


def _loop_loglik(theta: np.ndarray, log_tie: dict[int, float], orderings, weights) -> float:
    """Davidson-Luce log-likelihood by enumeration: a second implementation, sharing no code."""
    total = 0.0
    for ordering, w in zip(orderings, weights, strict=True):
        for group, subsets in _loop_stages([ordering], sorted(log_tie)):
            num = log_tie.get(len(group), 0.0) + float(np.mean(theta[group]))
            den = logsumexp([log_tie.get(d, 0.0) + float(np.mean(theta[u])) for d, u in subsets])
            total += w * (num - float(den))
    return total


def test_tie_model_matches_an_independent_scipy_fit():
    rng = np.random.default_rng(3)
    k = 6
    theta = rng.normal(0, 0.8, k)
    orderings = _pl_sample(rng, theta, 80, tie_rate=0.3)
    weights = rng.integers(1, 3, len(orderings)).astype(float)
    data = rk.rankings_from_orderings(orderings, n_systems=k, weights=list(weights))
    fit = rk.fit_plackett_luce(data)
    assert fit.mle_exists and fit.converged and set(fit.tie_orders) >= {2, 3}
    orders = fit.tie_orders

    # the same enumeration as one conditional-logit design matrix per choice, [membership 1/d | tie order]
    stages = []
    for ordering, w in zip(orderings, weights, strict=True):
        for group, subsets in _loop_stages([ordering], orders):
            x = np.zeros((len(subsets), k + len(orders)))
            chosen = -1
            for a, (d, u) in enumerate(subsets):
                x[a, u] = 1.0 / d
                if d >= 2:
                    x[a, k + orders.index(d)] = 1.0
                if sorted(u) == sorted(group):
                    chosen = a
            stages.append((w, x, chosen))

    def nll(free: np.ndarray) -> tuple[float, np.ndarray]:
        beta = np.concatenate([[0.0], free])  # θ_0 = 0 fixes the gauge
        total, grad = 0.0, np.zeros(beta.size)
        for w, x, chosen in stages:
            util = x @ beta
            p = np.exp(util - logsumexp(util))
            total += w * (util[chosen] - logsumexp(util))
            grad += w * (x[chosen] - p @ x)
        return -total, -grad[1:]

    ref = minimize(nll, np.zeros(k - 1 + len(orders)), jac=True, method="BFGS", options={"gtol": 1e-9}).x
    assert np.allclose(fit.theta[1:] - fit.theta[0], ref[: k - 1], atol=1e-5)
    assert np.allclose(fit.log_tie, ref[k - 1 :], atol=1e-5)
    assert fit.loglik == pytest.approx(-nll(ref)[0], abs=1e-6)
    # and the module's own likelihood function agrees with the loop at any point
    point = rng.normal(0, 1, k)
    ties = rng.normal(-1, 0.5, len(orders))
    assert rk.plackett_luce_loglik(data, point, ties) == pytest.approx(
        _loop_loglik(point, dict(zip(orders, ties, strict=True)), orderings, weights), abs=1e-9
    )


def test_pairs_with_ties_are_davidsons_1970_model():
    # k = 2: P(i ≻ j) = α_i / (α_i + α_j + δ√(α_i α_j)); closed form for one pair: θ_i − θ_j = log(w_i / w_j),
    # δ = t / √(w_i w_j) (Davidson 1970, the likelihood equations with one pair).
    wins_i, wins_j, ties = 30.0, 10.0, 12.0
    data = rk.rankings_from_orderings([[0, 1], [1, 0], [(0, 1)]], n_systems=2, weights=[wins_i, wins_j, ties])
    fit = rk.fit_plackett_luce(data)
    assert fit.theta[0] - fit.theta[1] == pytest.approx(math.log(wins_i / wins_j), abs=1e-9)
    assert fit.tie_strength[2] == pytest.approx(ties / math.sqrt(wins_i * wins_j), abs=1e-9)


# --------------------------------------------------------------------------- the prior rule


def test_a_system_always_last_gets_the_prior_and_finite_scores():
    orderings = [[0, 1, 2], [1, 0, 2], [0, 2], [1, 2]]
    fit = rk.fit_plackett_luce(rk.rankings_from_orderings(orderings, n_systems=3))
    assert not fit.mle_exists and fit.prior_strength == pytest.approx(bt.DEFAULT_PRIOR)
    assert fit.converged and np.all(np.isfinite(fit.scores))
    assert fit.scores[2] == fit.scores.min()
    assert fit.scores.mean() == pytest.approx(1000.0)


def test_only_ties_give_a_finite_tie_parameter_under_the_prior():
    fit = rk.fit_plackett_luce(rk.rankings_from_orderings([[(0, 1)], [(0, 1)], [(1, 2)], [(0, 2)]], n_systems=3))
    assert fit.mle_exists  # ties are credit both ways: worths are identified (all equal)
    assert fit.tie_prior.tolist() == [bt.DEFAULT_PRIOR]
    assert fit.converged and np.isfinite(fit.log_tie[0]) and fit.log_tie[0] > 3
    assert np.allclose(fit.scores, 1000.0, atol=1e-6)


# --------------------------------------------------------------------------- properties

orderings_strategy = st.lists(
    st.permutations(range(5)).flatmap(
        lambda perm: st.tuples(st.just(perm), st.integers(2, 5), st.lists(st.booleans(), min_size=4, max_size=4))
    ),
    min_size=1,
    max_size=25,
)


def _to_orderings(draws) -> list:
    """(permutation, k, tie-with-previous flags) → orderings over 5 systems, plus a tie cycle so the MLE exists."""
    out: list = []
    for perm, k, ties in draws:
        groups: list[list[int]] = [[perm[0]]]
        for x, tie in zip(perm[1:k], ties, strict=False):
            if tie:
                groups[-1].append(x)
            else:
                groups.append([x])
        if len(groups) == 1 and len(groups[0]) == 1:
            continue
        out.append([g[0] if len(g) == 1 else tuple(g) for g in groups])
    out.append([(0, 1, 2, 3, 4)])  # credit both ways between all: the MLE exists
    out.append([0, 1, 2, 3, 4])  # at least one strict choice, so every tie order has a finite δ
    out.append([4, 3, 2, 1, 0])
    return out


def _long(orderings) -> tuple[list[int], list[int], list[float]]:
    ranking, item, rank = [], [], []
    for r, ordering in enumerate(orderings):
        for level, group in enumerate(ordering):
            for x in [group] if isinstance(group, int) else group:
                ranking.append(r), item.append(x), rank.append(float(level))
    return ranking, item, rank


@settings(max_examples=30, deadline=None)
@given(orderings_strategy, st.floats(-50, 50), st.floats(0.1, 10))
def test_rank_numbers_only_matter_through_their_order(draws, shift, stretch):
    orderings = _to_orderings(draws)
    ranking, item, rank = _long(orderings)
    base = rk.fit_plackett_luce(rk.rankings_from_long(ranking, item, rank, n_systems=5))
    moved = rk.fit_plackett_luce(rk.rankings_from_long(ranking, item, [shift + stretch * x for x in rank], n_systems=5))
    assert np.allclose(base.scores, moved.scores, atol=1e-6)
    # and the order of the rows does not matter either
    perm = np.random.default_rng(0).permutation(len(item))
    shuffled = rk.rankings_from_long(np.array(ranking)[perm], np.array(item)[perm], np.array(rank)[perm], n_systems=5)
    assert np.allclose(rk.fit_plackett_luce(shuffled).scores, base.scores, atol=1e-6)


@settings(max_examples=30, deadline=None)
@given(orderings_strategy, st.floats(-500, 500))
def test_scores_are_shift_invariant_under_the_anchor(draws, shift):
    data = rk.rankings_from_orderings(_to_orderings(draws), n_systems=5)
    free = rk.fit_plackett_luce(data)
    assert free.scores.mean() == pytest.approx(1000.0)
    anchored = rk.fit_plackett_luce(data, anchor=3, anchor_score=1000.0 + shift)
    assert anchored.scores[3] == pytest.approx(1000.0 + shift)
    assert np.allclose(anchored.scores - free.scores, anchored.scores[3] - free.scores[3], atol=1e-6)
    rb = rk.fit_rank_breaking(data)
    rb_anchored = rk.fit_rank_breaking(data, anchor=3, anchor_score=1000.0 + shift)
    assert np.allclose(rb_anchored.scores - rb.scores, rb_anchored.scores[3] - rb.scores[3], atol=1e-6)


@settings(max_examples=30, deadline=None)
@given(orderings_strategy)
def test_relabelling_systems_relabels_scores(draws):
    orderings = _to_orderings(draws)
    perm = [3, 0, 4, 1, 2]

    def relabel(group):
        return perm[group] if isinstance(group, int) else tuple(perm[x] for x in group)

    fit = rk.fit_plackett_luce(rk.rankings_from_orderings(orderings, n_systems=5))
    moved = rk.fit_plackett_luce(rk.rankings_from_orderings([[relabel(g) for g in o] for o in orderings], n_systems=5))
    assert np.allclose(moved.scores[perm], fit.scores, atol=1e-6)


@settings(max_examples=30, deadline=None)
@given(st.permutations(range(5)), st.lists(st.booleans(), min_size=4, max_size=4), st.integers(1, 5))
def test_reversing_a_ranking_reverses_the_order(perm, ties, copies):
    groups: list[list[int]] = [[perm[0]]]
    for x, tie in zip(perm[1:], ties, strict=True):
        groups[-1].append(x) if tie else groups.append([x])
    if len(groups) < 2:
        groups = [[perm[0]], list(perm[1:])]
    ordering = [g[0] if len(g) == 1 else tuple(g) for g in groups]
    reverse = ordering[::-1]
    for fit_fn in (rk.fit_plackett_luce, rk.fit_rank_breaking):
        fwd = fit_fn(rk.rankings_from_orderings([ordering] * copies, n_systems=5))
        bwd = fit_fn(rk.rankings_from_orderings([reverse] * copies, n_systems=5))
        for upper, lower in itertools.pairwise(groups):
            # every level strictly above the next one, forwards; strictly below, backwards
            assert min(fwd.scores[x] for x in upper) > max(fwd.scores[x] for x in lower) + 1e-6
            assert max(bwd.scores[x] for x in upper) < min(bwd.scores[x] for x in lower) - 1e-6
        for group in groups:  # tied items get equal scores
            assert np.ptp(fwd.scores[group]) < 1e-6 and np.ptp(bwd.scores[group]) < 1e-6


@settings(max_examples=30, deadline=None)
@given(orderings_strategy)
def test_rank_breaking_of_reversed_rankings_mirrors_every_score(draws):
    orderings = _to_orderings(draws)
    fwd = rk.fit_rank_breaking(rk.rankings_from_orderings(orderings, n_systems=5))
    bwd = rk.fit_rank_breaking(rk.rankings_from_orderings([o[::-1] for o in orderings], n_systems=5))
    assert np.allclose(bwd.scores - 1000.0, -(fwd.scores - 1000.0), atol=1e-6)


@settings(max_examples=30, deadline=None)
@given(orderings_strategy, st.integers(0, 10_000))
def test_a_ranking_of_k_items_is_one_unit(draws, seed):
    orderings = _to_orderings(draws)
    data = rk.rankings_from_orderings(orderings, n_systems=5)
    # rank-breaking: a ranking's cells share one cluster and weigh one unit together, whatever k
    cells = rk.rank_break(data)
    per_cluster = np.bincount(cells.cluster, weights=cells.weight, minlength=data.n_rankings)
    assert np.allclose(per_cluster, 1.0)
    assert np.array_equal(np.bincount(cells.cluster), data.sizes * (data.sizes - 1) // 2)
    # Plackett-Luce: the log-likelihood is a sum of one term per ranking (each a product over its choices)
    theta = np.random.default_rng(seed).normal(0, 1, 5)
    fit = rk.fit_plackett_luce(data)
    ties = dict(zip(fit.tie_orders, fit.log_tie, strict=True))
    terms = [_loop_loglik(theta, ties, [o], [1.0]) for o in orderings]
    assert rk.plackett_luce_loglik(data, theta, fit.log_tie) == pytest.approx(sum(terms), abs=1e-8)
    doubled = rk.fit_plackett_luce(rk.rankings_from_orderings([orderings[0], *orderings], n_systems=5))
    weighted = rk.fit_plackett_luce(
        rk.rankings_from_orderings(orderings, n_systems=5, weights=[2.0] + [1.0] * (len(orderings) - 1))
    )
    assert np.allclose(doubled.scores, weighted.scores, atol=1e-6)


# --------------------------------------------------------------------------- bootstrap by ranking


def _random_data(seed: int, n: int = 120, tie_rate: float = 0.2, k: int = 5):
    rng = np.random.default_rng(seed)
    orderings = _pl_sample(rng, rng.normal(0, 0.7, k), n, k_range=(3, k), tie_rate=tie_rate)
    return rk.rankings_from_orderings(orderings, n_systems=k)


def test_plackett_luce_bootstrap_refits_whole_resampled_rankings():
    data = _random_data(4)
    fit = rk.fit_plackett_luce(data)
    samples = rk.bootstrap_plackett_luce(data, fit, rounds=8, seed=5, tol=1e-9)
    counts = rk.ranking_resample_counts(data.n_rankings, rounds=8, seed=5)
    assert np.all(counts.sum(axis=1) == data.n_rankings)
    for r in range(8):
        refit = rk.fit_plackett_luce(
            rk.Rankings(
                n_systems=data.n_systems,
                offsets=data.offsets,
                items=data.items,
                levels=data.levels,
                weight=data.weight * counts[r],
                ranking_ids=data.ranking_ids,
            ),
            prior_strength=bt.BOOTSTRAP_FLOOR,
            force_prior=True,
        )
        assert np.allclose(samples[r], refit.scores, atol=1e-4)


def test_rank_breaking_bootstrap_refits_whole_resampled_rankings():
    data = _random_data(6)
    fit = rk.fit_rank_breaking(data)
    samples = rk.bootstrap_rank_breaking(data, fit, rounds=5, seed=2)
    counts = rk.ranking_resample_counts(data.n_rankings, rounds=5, seed=2)
    cells = rk.rank_break(data)
    for r in range(5):
        table = rk.rank_broken_table(cells, cells.weight * counts[r, cells.cluster])
        ref = bt.fit_bradley_terry(table, prior_strength=bt.BOOTSTRAP_FLOOR, force_prior=True)
        assert np.allclose(samples[r], ref.scores, atol=1e-9)


def test_bootstrap_spread_matches_the_asymptotic_standard_errors():
    rng = np.random.default_rng(8)
    theta = rng.normal(0, 0.6, 5)
    data = rk.rankings_from_orderings(_pl_sample(rng, theta, 800, k_range=(3, 5)), n_systems=5)
    fit = rk.fit_plackett_luce(data)
    samples = rk.bootstrap_plackett_luce(data, fit, rounds=400, seed=1)
    # observed information (no ties: θ only), gauge Σθ = 0; delta method to the score scale
    eps = 1e-3  # central differences: error O(eps²) on a smooth log-likelihood of size ~1e3
    hess = np.zeros((5, 5))
    for a in range(5):
        for b in range(5):

            def f(da, db, a=a, b=b):
                t = fit.theta.copy()
                t[a] += da
                t[b] += db
                return rk.plackett_luce_loglik(data, t)

            hess[a, b] = (f(eps, eps) - f(eps, -eps) - f(-eps, eps) + f(-eps, -eps)) / (4 * eps * eps)
    proj = np.eye(5) - 1.0 / 5
    cov = proj @ np.linalg.pinv(-hess) @ proj
    se = 400 / math.log(10) * np.sqrt(np.diag(cov))
    ratio = samples.std(axis=0) / se
    assert np.all((ratio > 0.8) & (ratio < 1.25)), ratio


def test_bootstrap_is_seeded_anchored_and_brackets_the_estimate():
    data = _random_data(9, n=200)
    fit = rk.fit_plackett_luce(data, anchor=1, anchor_score=1200.0)
    a = rk.bootstrap_plackett_luce(data, fit, rounds=60, seed=1)
    b = rk.bootstrap_plackett_luce(data, fit, rounds=60, seed=1)
    c = rk.bootstrap_plackett_luce(data, fit, rounds=60, seed=2)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert np.allclose(a[:, 1], 1200.0)
    lo, hi = bt.percentile_intervals(a)
    assert np.all(lo <= fit.scores) and np.all(fit.scores <= hi)


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("ranking", "item", "rank", "weight", "message"),
    [
        ([0, 0, 1], [0, 1], [1, 2, 1], None, "same length"),
        ([0, 0], [0, 7], [1, 2], None, r"row 1 \(ranking 0\): system index 7 is outside 0..2"),
        ([0, 0], [0, 1], [1, float("nan")], None, r"row 1 \(ranking 0\): rank nan"),
        ([0, 0, 5], [0, 1, 2], [1, 2, 1], None, r"row 2 \(ranking 5\): a ranking needs at least two items"),
        ([0, 0, 0], [0, 1, 0], [1, 2, 3], None, r"row 2 \(ranking 0\): system 0 is ranked twice"),
        ([0, 0], [0, 1], [1, 2], [1.0, 2.0], r"row 0 \(ranking 0\): weight differs"),
        ([0, 0], [0, 1], [1, 2], [-1.0, -1.0], r"row 0 \(ranking 0\): weight -1.0"),
    ],
)
def test_bad_rankings_are_refused_naming_the_row(ranking, item, rank, weight, message):
    with pytest.raises(ValueError, match=message):
        rk.rankings_from_long(ranking, item, rank, n_systems=3, weight=weight)


def test_unknown_weighting_and_wrong_tie_parameters_are_refused():
    data = rk.rankings_from_orderings([[0, (1, 2)], [2, 1, 0]], n_systems=3)
    with pytest.raises(ValueError, match="unknown weighting 'ranks'"):
        rk.rank_break(data, weighting="ranks")
    with pytest.raises(ValueError, match=r"log_tie needs 1 values \(tie orders \(2,\)\)"):
        rk.plackett_luce_loglik(data, np.zeros(3))


def test_sampled_rankings_recover_the_worths_they_were_drawn_from():
    theta = np.array([0.8, 0.3, 0.0, -0.4, -0.7])
    tied, untied = rk.sample_rankings(theta, n=3000, k_range=(3, 5), tie_rate=0.2, seed=3)
    assert all(3 <= len(o) <= 5 for o in untied) and any(isinstance(g, tuple) for o in tied for g in o)
    assert [x for o in tied for g in o for x in ((g,) if isinstance(g, int) else g)] == [x for o in untied for x in o]
    fit = rk.fit_plackett_luce(rk.rankings_from_orderings(untied, n_systems=5))
    assert np.allclose(fit.theta, theta - theta.mean(), atol=0.08)
