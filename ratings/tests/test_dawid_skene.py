"""Dawid–Skene (ratings/stats/dawid_skene.py): the same EM as crowd-kit's DawidSkene, recovery of known
confusion matrices, the a↔b mirror, and a reliability that honest ties do not lower."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from crowdkit.aggregation import DawidSkene

from ratings.stats import dawid_skene as ds
from ratings.stats.rater_quality import one_coin_dawid_skene


def _synthetic(seed: int, *, n_units: int = 400, n_coders: int = 12, per_unit: int = 4):
    """Units with a true class in 4 categories; each coder has its own confusion matrix."""
    rng = np.random.default_rng(seed)
    prior = np.array([0.35, 0.35, 0.2, 0.1])
    truth = rng.choice(4, size=n_units, p=prior)
    confusion = np.empty((n_coders, 4, 4))
    for w in range(n_coders):
        acc = rng.uniform(0.5, 0.9)
        m = np.full((4, 4), (1 - acc) / 3)
        np.fill_diagonal(m, acc)
        confusion[w] = m
    units, coders, values = [], [], []
    for u in range(n_units):
        for w in rng.choice(n_coders, per_unit, replace=False):
            units.append(u)
            coders.append(w)
            values.append(rng.choice(4, p=confusion[w, truth[u]]))
    return np.array(units), np.array(coders), np.array(values), truth, confusion


@pytest.mark.parametrize("n_iter", [1, 5, 40])
def test_same_em_as_crowd_kit(n_iter: int) -> None:
    units, coders, values, _, _ = _synthetic(0)
    fit = ds.dawid_skene(units, coders, values, n_categories=4, n_iter=n_iter, tol=-np.inf)
    assert fit.iterations == n_iter
    frame = pd.DataFrame({"task": units, "worker": coders, "label": values})
    reference = DawidSkene(n_iter=n_iter, tol=-1e9).fit(frame)  # tol < 0: run every iteration
    probas = reference.probas_.sort_index()[[0, 1, 2, 3]].to_numpy()
    np.testing.assert_allclose(fit.posterior, probas, atol=1e-8)
    errors = reference.errors_  # index (worker, observed label), columns true label
    for (worker, label), row in errors.iterrows():
        for true in range(4):
            assert fit.confusion[int(worker), true, int(label)] == pytest.approx(row[true], abs=1e-8)
    np.testing.assert_allclose(fit.class_prior, reference.priors_.sort_index().to_numpy(), atol=1e-8)


def test_recovers_the_confusion_matrices_and_the_truth() -> None:
    units, coders, values, truth, confusion = _synthetic(1, n_units=3000, per_unit=5)
    fit = ds.dawid_skene(units, coders, values, n_categories=4)
    assert fit.converged
    assert (fit.posterior.argmax(axis=1) == truth).mean() > 0.9
    diag = np.diagonal(fit.confusion, axis1=1, axis2=2).mean(axis=1)
    np.testing.assert_allclose(diag, np.diagonal(confusion, axis1=1, axis2=2).mean(axis=1), atol=0.05)
    # the log-likelihood never goes down under EM
    lls = [
        ds.dawid_skene(units, coders, values, n_categories=4, n_iter=k, tol=-np.inf).log_likelihood for k in range(1, 8)
    ]
    assert all(b >= a - 1e-9 for a, b in itertools.pairwise(lls))


def _pairwise_crowd(seed: int, *, tie_independent_of_noise: bool = True):
    """Honest raters on pairs: Bradley–Terry on the true gap divided by the rater's noise, ties on close
    pairs with a per-rater habit, a few "both bad"; plus three coin-flip spammers (ids 100-102)."""
    rng = np.random.default_rng(seed)
    strength = np.linspace(-1.5, 1.5, 8)
    n_raters = 40
    noise = rng.lognormal(0, 0.4, n_raters)
    tie_habit = rng.uniform(0.05, 0.8, n_raters)
    units, coders, values = [], [], []
    u = 0
    for _ in range(250):
        difficulty = rng.lognormal(0, 0.3)
        for a in range(8):
            for b in range(a + 1, 8):
                if rng.random() > 0.3:
                    continue
                d = (strength[a] - strength[b]) * 2 / difficulty
                a_first = rng.random() < 0.5  # canonical sides carry no meaning
                for w in rng.choice(n_raters + 3, 3, replace=False):
                    if w >= n_raters:
                        v = int(rng.integers(0, 2))
                    else:
                        seen = d / noise[w]
                        tie_d = d if tie_independent_of_noise else seen
                        if rng.random() < 0.03:
                            v = 3
                        elif rng.random() < tie_habit[w] * np.exp(-abs(tie_d) / 2):
                            v = 2
                        else:
                            v = 0 if rng.random() < 1 / (1 + np.exp(-seen)) else 1
                        if not a_first and v < 2:
                            v = 1 - v
                    units.append(u)
                    coders.append(int(w) if w < n_raters else 100 + int(w) - n_raters)
                    values.append(v)
                u += 1
    return np.array(units), np.array(coders), np.array(values), noise, tie_habit


def test_symmetric_fit_mirrors_the_sides() -> None:
    units, coders, values, _, _ = _pairwise_crowd(2)
    fit = ds.dawid_skene(units, coders, values, n_categories=4, symmetric=True, smoothing=2.0)
    mirror = list(ds.PAIRWISE_MIRROR)
    np.testing.assert_allclose(fit.confusion, fit.confusion[:, mirror][:, :, mirror], atol=1e-12)
    assert fit.class_prior[0] == pytest.approx(fit.class_prior[1])


def test_reliability_tracks_noise_not_ties_and_zeroes_spammers() -> None:
    corr_rel, corr_one_coin, corr_noise = [], [], []
    for seed in range(3):
        units, coders, values, noise, _ = _pairwise_crowd(seed)
        fit = ds.dawid_skene(units, coders, values, n_categories=4, symmetric=True, smoothing=2.0)
        rel = dict(zip(fit.coder_ids.tolist(), ds.side_reliability(fit), strict=True))
        honest = np.arange(40)
        tie_share = np.array([(values[coders == w] == 2).mean() for w in honest])
        r = np.array([rel[w] for w in honest])
        one_coin = one_coin_dawid_skene(units, coders, values, n_categories=4)
        corr_rel.append(np.corrcoef(r, tie_share)[0, 1])
        corr_one_coin.append(np.corrcoef([one_coin[w] for w in honest], tie_share)[0, 1])
        corr_noise.append(np.corrcoef(r, noise)[0, 1])
        assert all(rel[w] < 0.25 for w in (100, 101, 102))  # coin flips on the side (about 140 labels each)
        assert np.median(r) > 0.4
    assert abs(np.mean(corr_rel)) < 0.2  # honest ties do not lower the reliability...
    assert np.mean(corr_one_coin) < -0.5  # ...as they lower the one-coin weight
    assert np.mean(corr_noise) < -0.6  # and it tracks how discerning a rater is


def test_side_accuracy_ignores_how_often_a_rater_says_tie() -> None:
    # Two raters with the same side accuracy (90%) when they take a side; one says "tie" half the time.
    confusion = np.zeros((2, 4, 4))
    for w, tie in enumerate((0.0, 0.5)):
        for true, (right, wrong) in enumerate(((0, 1), (1, 0))):
            confusion[w, true, right] = 0.9 * (1 - tie)
            confusion[w, true, wrong] = 0.1 * (1 - tie)
            confusion[w, true, 2] = tie
        confusion[w, 2:, :] = 0.25
    fit = ds.DawidSkeneFit(
        unit_ids=np.arange(1), coder_ids=np.arange(2), posterior=np.zeros((1, 4)),
        class_prior=np.array([0.4, 0.4, 0.15, 0.05]), confusion=confusion,
        label_counts=np.ones((2, 4)), log_likelihood=0.0, iterations=1, converged=True,
    )  # fmt: skip
    np.testing.assert_allclose(ds.side_accuracy(fit), [0.9, 0.9])
    np.testing.assert_allclose(ds.side_reliability(fit), [0.8, 0.8])


def test_leaderboard_weights() -> None:
    weights = ds.leaderboard_weights({1: 0.8, 2: 0.2, 3: None}, {1: 100, 2: 100, 3: 50})
    # rater 3 has no decisive answers: the mean of the others (0.5); weights average 1 over 250 judgments
    assert weights[3] == pytest.approx(weights[1] * 0.5 / 0.8)
    assert sum(weights[w] * n for w, n in {1: 100, 2: 100, 3: 50}.items()) == pytest.approx(250)
    assert ds.leaderboard_weights({1: 0.0, 2: 0.0}, {1: 5, 2: 5}) == {1: 1.0, 2: 1.0}
    assert ds.leaderboard_weights({}, {}) == {}


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one label"):
        ds.dawid_skene([], [], [], n_categories=4)
    with pytest.raises(ValueError, match="category codes"):
        ds.dawid_skene([0, 1], [0, 0], [0, 4], n_categories=4)
    with pytest.raises(ValueError, match="same length"):
        ds.dawid_skene([0, 1], [0], [0, 1], n_categories=4)
    with pytest.raises(ValueError, match="smoothing"):
        ds.dawid_skene([0], [0], [0], n_categories=4, smoothing=-1)
