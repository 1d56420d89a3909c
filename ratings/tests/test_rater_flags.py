"""Fair rater flags (ratings/stats/rater_flags.py): distributions against scipy, BH against its paper and an
independent step-up, the clustered test's validity by simulation, run lengths against brute force."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special, stats

from ratings.stats import rater_flags as rf
from ratings.stats import rater_quality as q


@settings(max_examples=200, deadline=None)
@given(st.floats(0.05, 400), st.floats(0.05, 400), st.floats(0, 1))
def test_regularized_beta_matches_scipy(a: float, b: float, x: float) -> None:
    assert rf.regularized_beta(a, b, x) == pytest.approx(special.betainc(a, b, x), rel=1e-9, abs=1e-13)


def test_binomial_tails_match_scipy_and_are_continuous() -> None:
    for n, p in [(10, 0.6), (36, 0.4), (200, 0.75), (1, 0.5)]:
        for k in range(n + 1):
            assert rf.binomial_cdf(k, n, p) == pytest.approx(stats.binom.cdf(k, n, p), rel=1e-9, abs=1e-14)
            assert rf.binomial_sf_inclusive(k, n, p) == pytest.approx(stats.binom.sf(k - 1, n, p), rel=1e-9, abs=1e-14)
    # design-effect-adjusted counts are not integers: the tail is monotone between integers
    values = [rf.binomial_cdf(k, 20.0, 0.4) for k in np.linspace(3, 4, 11)]
    assert all(b >= a for a, b in itertools.pairwise(values))
    assert rf.binomial_cdf(-1, 5, 0.5) == 0.0 and rf.binomial_cdf(5, 5, 0.5) == 1.0
    with pytest.raises(ValueError, match="0 <= p <= 1"):
        rf.binomial_cdf(1, 5, 1.5)
    with pytest.raises(ValueError, match="positive"):
        rf.regularized_beta(0, 1, 0.5)


def test_benjamini_hochberg_reproduces_the_paper() -> None:
    # Benjamini & Hochberg (1995), section 4: 15 p-values; at q* = 0.05 the step-up rejects the four smallest.
    p = [0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459, 0.3240, 0.4262, 0.5719, 0.6528,
         0.7590, 1.0000]  # fmt: skip
    adjusted = rf.benjamini_hochberg(p)
    assert list(np.flatnonzero(adjusted <= 0.05)) == [0, 1, 2, 3]
    # the adjusted values themselves (as R's p.adjust(p, "BH"))
    assert adjusted[:4] == pytest.approx([0.0015, 0.003, 0.0095, 0.035625])
    assert adjusted[4] == pytest.approx(0.0603)


def _step_up(p: np.ndarray, alpha: float) -> set[int]:
    """BH's step-up rule written out: the largest k with p_(k) <= k alpha / m; reject the k smallest."""
    order = np.argsort(p, kind="stable")
    m = p.size
    k = max((i + 1 for i in range(m) if p[order[i]] <= (i + 1) * alpha / m), default=0)
    return set(order[:k].tolist())


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=40), st.sampled_from([0.01, 0.05, 0.2]))
def test_benjamini_hochberg_equals_the_step_up_rule(p: list[float], alpha: float) -> None:
    values = np.array(p)
    adjusted = rf.benjamini_hochberg(values)
    assert set(np.flatnonzero(adjusted <= alpha).tolist()) == _step_up(values, alpha)
    assert np.all(adjusted >= values - 1e-15) and np.all(adjusted <= 1)


def test_benjamini_hochberg_skips_nan_and_checks_range() -> None:
    adjusted = rf.benjamini_hochberg([0.01, np.nan, 0.04])
    assert np.isnan(adjusted[1]) and adjusted[0] == pytest.approx(0.02) and adjusted[2] == pytest.approx(0.04)
    assert np.isnan(rf.benjamini_hochberg([np.nan])).all()
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        rf.benjamini_hochberg([0.5, 1.5])


def test_conditional_bh_controls_fdr_with_conservative_nulls() -> None:
    np.testing.assert_allclose(
        rf.conditional_benjamini_hochberg([0.01, 0.3, 0.9], lam=1.0), rf.benjamini_hochberg([0.01, 0.3, 0.9])
    )
    assert rf.conditional_benjamini_hochberg([0.6, 0.01])[0] == 1.0
    rng = np.random.default_rng(0)
    fdp, power = [], []
    for _ in range(400):
        # 180 nulls: uniform at the boundary or conservative (a one-sided binomial deep inside the null);
        # 20 real effects.
        n = 50
        boundary = [
            rf.proportion_test(rng.random(n) < 0.4, threshold=0.4, alternative="less").p_value for _ in range(60)
        ]
        inside = [
            rf.proportion_test(rng.random(n) < 0.7, threshold=0.4, alternative="less").p_value for _ in range(120)
        ]
        effect = [
            rf.proportion_test(rng.random(n) < 0.15, threshold=0.4, alternative="less").p_value for _ in range(20)
        ]
        p = np.array(boundary + inside + effect)
        reject = rf.conditional_benjamini_hochberg(p) <= 0.05
        fdp.append(reject[:180].sum() / max(1, reject.sum()))
        power.append(reject[180:].mean())
    assert np.mean(fdp) <= 0.05
    assert np.mean(power) > 0.9


def test_design_effect_formula_and_limits() -> None:
    # every cluster holds one trial: the trials are the units, d = 1
    assert rf.design_effect([1, 0, 1, 1], [1, 1, 1, 1]) == 1.0
    # all-or-nothing clusters of size m (perfect intra-cluster correlation): d = m G / (G - 1)
    x = np.array([5, 0] * 10)
    t = np.full(20, 5)
    assert rf.design_effect(x, t) == pytest.approx(5 * 20 / 19)
    # binomial-looking clusters: d near 1, never below
    rng = np.random.default_rng(1)
    d = rf.design_effect(rng.binomial(6, 0.5, 400), np.full(400, 6))
    assert 1.0 <= d < 1.2
    # too few clusters to estimate: the worst case, every cluster counts once
    assert rf.design_effect([3, 1], [4, 4]) == 4.0
    assert rf.design_effect([0, 0, 0], [3, 3, 3]) == 3.0  # fewer than MIN_CLUSTERS_FOR_DEFF
    assert rf.design_effect([0] * 12, [3] * 12) == 1.0  # no variation to inflate


def test_clustered_test_keeps_its_size_where_the_binomial_test_does_not() -> None:
    """A rater exactly at the threshold, whose hits come in correlated prompt clusters (beta-binomial, ICC 0.3):
    the Rao–Scott test rejects at most about 5% of the time; the naive binomial test far more often."""
    rng = np.random.default_rng(2)
    threshold, icc, n_clusters, size = 0.4, 0.3, 30, 6
    a = threshold * (1 - icc) / icc
    b = (1 - threshold) * (1 - icc) / icc
    clustered = naive = 0
    trials = 1500
    for _ in range(trials):
        rates = rng.beta(a, b, n_clusters)
        hits = (rng.random((n_clusters, size)) < rates[:, None]).astype(int)
        clusters = np.repeat(np.arange(n_clusters), size)
        clustered += rf.proportion_test(hits.ravel(), clusters, threshold=threshold, alternative="less").p_value <= 0.05
        naive += rf.proportion_test(hits.ravel(), None, threshold=threshold, alternative="less").p_value <= 0.05
    assert clustered / trials <= 0.065
    assert naive / trials > 0.12


def test_proportion_test_is_the_exact_binomial_test_on_independent_judgments() -> None:
    test = rf.proportion_test([1, 1, 0, 0, 0, 0, 0, 0, 0, 0], threshold=0.6, alternative="less")
    assert test.p_value == pytest.approx(stats.binom.cdf(2, 10, 0.6))
    assert (test.successes, test.n, test.n_clusters, test.design_effect) == (2, 10, 10, 1.0)
    up = rf.proportion_test([1] * 9 + [0], threshold=0.5, alternative="greater")
    assert up.p_value == pytest.approx(stats.binom.sf(8, 10, 0.5))
    assert math.isnan(rf.proportion_test([], threshold=0.5, alternative="less").p_value)
    with pytest.raises(ValueError, match="alternative"):
        rf.proportion_test([1], threshold=0.5, alternative="two-sided")
    with pytest.raises(ValueError, match="same length"):
        rf.proportion_test([1, 0], [1], threshold=0.5, alternative="less")


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 80), st.data())
def test_side_share_at_one_half_is_the_two_sided_binomial_test(n: int, data: st.DataObject) -> None:
    k = data.draw(st.integers(0, n))
    test = rf.side_share_test([1] * k + [0] * (n - k), max_share=0.5)
    assert test.p_value == pytest.approx(q.binomial_test(k, n), rel=1e-9)


def test_side_share_margin() -> None:
    # an always-left clicker: 40 of 40 on the left
    assert rf.side_share_test([1] * 40, max_share=0.75).p_value == pytest.approx(2 * 0.75**40)
    # an honest rater with a mild preference, over many judgments: not beyond a 75% share
    rng = np.random.default_rng(3)
    assert rf.side_share_test(rng.random(5000) < 0.58, max_share=0.75).p_value == 1.0
    # ... but it would be "significant" against no preference at all
    assert rf.side_share_test(rng.random(5000) < 0.58, max_share=0.5).p_value < 1e-6
    right = rf.side_share_test([0] * 40, max_share=0.75)
    assert right.estimate == 0.0 and right.p_value == pytest.approx(2 * 0.75**40)
    with pytest.raises(ValueError, match="max_share"):
        rf.side_share_test([1], max_share=0.4)


def _brute_force_run_sf(n: int, p: list[float], run: int) -> float:
    total = 0.0
    for seq in itertools.product(range(len(p)), repeat=n):
        if rf.longest_run(seq) >= run:
            total += math.prod(p[s] for s in seq)
    return total


@pytest.mark.parametrize(("n", "p", "run"), [(6, [0.5, 0.5], 3), (7, [0.6, 0.3, 0.1], 2), (8, [0.2, 0.5, 0.3], 4),
                                              (5, [1.0], 5), (4, [0.7, 0.3], 5), (6, [0.45, 0.45, 0.1], 1)])  # fmt: skip
def test_longest_run_tail_against_brute_force(n: int, p: list[float], run: int) -> None:
    assert rf.longest_run_sf_exact(n, p, run) == pytest.approx(_brute_force_run_sf(n, p, run), abs=1e-12)


def test_poisson_approximation_is_close_in_the_tail() -> None:
    p = [0.46, 0.44, 0.07, 0.03]
    for n, run in [(2000, 12), (5000, 14), (5000, 17)]:
        exact = rf.longest_run_sf_exact(n, p, run)
        assert rf.longest_run_sf_poisson(n, p, run) == pytest.approx(exact, rel=0.05)
    assert rf.longest_run_sf(10_000, p, 30) == rf.longest_run_sf_poisson(10_000, p, 30)
    with pytest.raises(ValueError, match="sum to 1"):
        rf.longest_run_sf(10, [0.5, 0.6], 3)


def test_straight_lining_judges_runs_against_volume_and_shares() -> None:
    rng = np.random.default_rng(4)
    honest = list(rng.choice(["left", "right", "tie"], size=400, p=[0.45, 0.45, 0.1]))
    result = rf.straight_lining_test(honest)
    assert result.p_value > 0.01 and 5 < result.expected_longest_run < 12
    # the same volume in blocks of 25 of the same answer
    blocks = (["left"] * 25 + ["right"] * 25) * 8
    assert rf.straight_lining_test(blocks).p_value < 1e-4
    # always the same answer: what its shares predict (the position rule judges that rater)
    assert rf.straight_lining_test(["left"] * 60).p_value == 1.0
    # a run of 15 in 11,664 answers is unremarkable; in 40 it is not
    big = list(rng.choice(["left", "right"], size=11_664))
    big[100:115] = ["left"] * 15
    assert rf.straight_lining_test(big).p_value > 0.05
    small = ["left", "right"] * 7 + ["left"] * 15 + ["right"] * 11
    assert rf.straight_lining_test(small).p_value < 0.01
    assert math.isnan(rf.straight_lining_test([]).p_value)


RULES = {
    "min_gold_items": 5, "min_gold_accuracy": 0.6, "max_fast_share": 0.5, "max_side_share": 0.75,
    "min_repeat_items": 3, "min_self_consistency": 0.5, "min_judgments": 20, "min_majority_agreement": 0.4,
    "max_straight_run": 10, "fdr": 0.05,
}  # fmt: skip


def _evidence(rng: np.random.Generator, *, n: int = 60, gold: float = 0.95, agree: float = 0.7, left: float = 0.5,
              fast: float = 0.0, consistent: float = 0.9, screen: list[str] | None = None) -> rf.RaterEvidence:  # fmt: skip
    prompts = list(rng.integers(0, 20, n))
    return rf.RaterEvidence(
        gold_hits=list((rng.random(10) < gold).astype(int)), gold_clusters=list(range(10)),
        repeat_hits=list((rng.random(6) < consistent).astype(int)), repeat_clusters=list(range(6)),
        majority_hits=list((rng.random(n) < agree).astype(int)), majority_clusters=prompts,
        fast_hits=list((rng.random(n) < fast).astype(int)), fast_clusters=prompts,
        side_left=list((rng.random(n) < left).astype(int)), side_units=list(range(n)),
        screen=screen if screen is not None else list(rng.choice(["left", "right", "tie"], size=n, p=[0.45, 0.45, 0.1])),
    )  # fmt: skip


def test_study_flags_catch_spammers_spare_honest_raters_and_explain() -> None:
    rng = np.random.default_rng(5)
    evidence = {w: _evidence(rng) for w in range(40)}
    evidence[100] = _evidence(rng, n=200, gold=0.0, agree=0.25, consistent=0.25)  # random clicker
    evidence[101] = _evidence(rng, left=1.0)  # always left
    evidence[102] = _evidence(rng, fast=1.0)  # speeder
    evidence[103] = _evidence(rng, n=100, screen=(["left"] * 20 + ["right"] * 20 + ["tie"] * 10) * 2)
    tests = {w: rf.rater_tests(e, RULES) for w, e in evidence.items()}
    fired = rf.study_flags(tests, RULES)
    assert all(fired[w] == [] for w in range(40))
    names = {w: [name for name, _ in fired[w]] for w in (100, 101, 102, 103)}
    assert "majority_agreement" in names[100] and "gold_accuracy" in names[100]
    assert names[101] == ["position_bias"] and names[102] == ["too_fast"] and names[103] == ["straight_lining"]
    reason = dict(fired[101])["position_bias"]
    assert reason.startswith("chose the left side in 100% of 60 decisive answers (allowed: up to 75% on one side; p = ")
    assert "q = " in reason and "tests)" in reason
    assert "about" in dict(fired[103])["straight_lining"]
    # q-values written in place; honest tests far inside the null are set aside (q = 1)
    assert tests[101]["position_bias"]["q"] < 1e-5 and tests[0]["gold_accuracy"]["q"] == 1.0


def test_rules_need_evidence_and_can_be_switched_off() -> None:
    rng = np.random.default_rng(6)
    spam = _evidence(rng, n=15, gold=0.0, agree=0.0, left=1.0, fast=1.0, consistent=0.0)
    spam.gold_hits, spam.gold_clusters = [0, 0, 0, 0], [0, 1, 2, 3]
    tests = rf.rater_tests(spam, RULES)
    # 4 gold items < 5, 15 judgments < 20: nothing is judged except self-consistency (6 repeats >= 3)
    assert [name for name, t in tests.items() if t["judged"]] == ["self_consistency"]
    assert tests["gold_accuracy"]["p"] is None
    off = rf.rater_tests(_evidence(rng, left=1.0), {**RULES, "max_side_share": None})
    assert not off["position_bias"]["judged"]
    # a study still carrying the old key switched off keeps the position rule off
    legacy = rf.rater_tests(_evidence(rng, left=1.0), {**RULES, "position_bias_p": None})
    assert not legacy["position_bias"]["judged"]
    zero = rf.rater_tests(_evidence(rng, gold=0.0), {**RULES, "min_gold_accuracy": 0})
    assert not zero["gold_accuracy"]["judged"]
    # a test that cannot reach the level with its evidence stays out of the family (4 repeats, all wrong)
    few = _evidence(rng, n=60)
    few.repeat_hits, few.repeat_clusters = [0, 0, 0, 0], [0, 1, 2, 3]
    tests = {1: rf.rater_tests(few, RULES)}
    rf.study_flags(tests, RULES)
    assert tests[1]["self_consistency"]["p"] == pytest.approx(0.0625) and tests[1]["self_consistency"]["q"] is None


def _table(**overrides: object) -> rf.JudgmentTable:
    """Two raters, five comparisons: rows in storage order; rater 1 saw them in the reverse order."""
    base: dict[str, object] = dict(
        rater=np.array([1, 1, 1, 1, 2, 2, 3, 1]),
        comparison=np.array([10, 11, 12, 13, 10, 11, 10, 14]),
        prompt=np.array([1, 1, 2, 2, 1, 1, 1, 1]),
        unit=np.arange(8),
        order=np.array([4.0, 3.0, 2.0, 1.0, 1.0, 2.0, 1.0, 5.0]),
        kind=np.array([0, 0, 1, 0, 0, 0, 0, 2]),
        original=np.array([-1, -1, -1, -1, -1, -1, -1, 0]),
        left_is_a=np.array([True, False, True, True, True, True, False, True]),
        seconds=np.array([10.0, np.nan, 2.0, 30.0, 5.0, 6.0, 7.0, 1.0]),
        choice=np.array([[0], [0], [1], [2], [0], [1], [1], [1]]),
        gold_answer=np.array([[-1], [-1], [1], [-1], [-1], [-1], [-1], [-1]]),
        voter=np.array([True, True, True, True, True, True, False, True]),
    )
    base.update(overrides)
    return rf.JudgmentTable(**base)  # type: ignore[arg-type]


def test_rater_evidence_from_a_table() -> None:
    evidence = rf.rater_evidence(_table(), fast_below=3.0)
    one = evidence[1]
    assert one.gold_hits == [1] and one.gold_clusters == [2]
    # the repeat (row 7, answered b) flipped back is a: consistent with the original (row 0, a)
    assert one.repeat_hits == [1]
    # viewing order: rows 3, 2, 1, 0, 7 — on screen: tie, right (b shown right), right (a shown right), left, right
    assert one.screen == ["tie", "right", "right", "left", "right"]
    assert one.side_left == [0, 0, 1, 0]
    # unknown seconds never feed the speed rule: 4 timed judgments of rater 1, two of them fast
    assert one.fast_hits == [0, 1, 0, 1]
    # comparison 10: rater 1 said a, rater 2 a, rater 3 (excluded, not a voter) b -> rater 1's others: {a: 1}
    two, three = evidence[2], evidence[3]
    assert 1 in one.majority_hits and two.majority_hits == [1, 0]  # comparison 11: rater 1 said a, rater 2 b
    # the excluded rater is compared with the voters' majority (a, a) and disagrees
    assert three.majority_hits == [0]
    with pytest.raises(ValueError, match="one entry per judgment"):
        _table(prompt=np.array([1, 2]))
