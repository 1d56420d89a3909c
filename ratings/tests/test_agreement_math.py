"""Agreement and quality math: properties, edge cases, and an independent check against scipy."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ratings.stats import agreement as ag
from ratings.stats import rater_quality as q


def _random_triples(rng: np.random.Generator, *, n_units: int, n_coders: int, per_unit: int, k: int, truth_p: float):
    truth = rng.integers(0, k, n_units)
    units, coders, values = [], [], []
    for u in range(n_units):
        for c in rng.choice(n_coders, per_unit, replace=False):
            units.append(u)
            coders.append(int(c))
            values.append(int(truth[u]) if rng.random() < truth_p else int(rng.integers(0, k)))
    return np.array(units), np.array(coders), np.array(values)


def test_builder_dedupes_coder_and_keeps_last_value() -> None:
    vc = ag.value_counts_from_triples([5, 5, 5, 9], [1, 1, 2, 1], [0, 2, 2, 1], n_categories=3)
    assert vc.unit_ids.tolist() == [5, 9]
    assert vc.counts.tolist() == [[0, 0, 2], [0, 1, 0]]


def test_builder_rejects_out_of_range_value_with_row() -> None:
    with pytest.raises(ValueError, match="value index 4 at row 1"):
        ag.value_counts_from_triples([0, 0], [0, 1], [1, 4], n_categories=4)


def test_choice_codes_fold_and_unknown() -> None:
    assert ag.choice_codes(["a", "b", "tie", "both_bad"]).tolist() == [0, 1, 2, 3]
    assert ag.choice_codes(["both_bad"], fold_both_bad=True).tolist() == [2]
    with pytest.raises(ValueError, match="unknown choice 'left' at row 1"):
        ag.choice_codes(["a", "left"])


def test_alpha_needs_pairable_units() -> None:
    with pytest.raises(ValueError, match="two or more coders"):
        ag.krippendorff_alpha(np.array([[1, 0], [0, 1]]))


def test_pattern_path_equals_package_on_random_data() -> None:
    rng = np.random.default_rng(3)
    units, coders, values = _random_triples(rng, n_units=400, n_coders=20, per_unit=3, k=5, truth_p=0.6)
    vc = ag.value_counts_from_triples(units, coders, values, n_categories=5)
    for level in ag.LEVELS:
        domain = np.arange(1, 6)
        assert ag.krippendorff_alpha_patterns(vc.counts, level=level, value_domain=domain) == pytest.approx(
            ag.krippendorff_alpha(vc.counts, level=level, value_domain=domain), abs=1e-12
        )


def test_bootstrap_interval_contains_alpha_and_is_seeded() -> None:
    rng = np.random.default_rng(1)
    units, coders, values = _random_triples(rng, n_units=300, n_coders=15, per_unit=3, k=4, truth_p=0.7)
    vc = ag.value_counts_from_triples(units, coders, values, n_categories=4)
    alpha = ag.krippendorff_alpha(vc.counts)
    low, high = ag.alpha_bootstrap(vc.counts, n_boot=500, seed=7)
    assert low < alpha < high
    assert high - low < 0.2
    assert ag.alpha_bootstrap(vc.counts, n_boot=500, seed=7) == (low, high)
    assert ag.alpha_bootstrap(vc.counts, n_boot=500, seed=8) != (low, high)


def test_alpha_levels() -> None:
    assert ag.alpha_level(0.8) == "reliable"
    assert ag.alpha_level(0.7999) == "tentative"
    assert ag.alpha_level(0.667) == "tentative"
    assert ag.alpha_level(0.5) == "unreliable"
    assert ag.alpha_level(float("nan")) == "unknown"
    assert ag.alpha_level(None) == "unknown"


def test_percent_agreement_and_majority() -> None:
    # unit 0: coders 0,1,2 say 0,0,1; unit 1: coders 0,1 say 1,1; unit 2: coder 0 alone.
    units, coders, values = [0, 0, 0, 1, 1, 2], [0, 1, 2, 0, 1, 0], [0, 0, 1, 1, 1, 0]
    vc = ag.value_counts_from_triples(units, coders, values, n_categories=2)
    assert ag.percent_agreement(vc.counts) == pytest.approx((2 + 2) / (6 + 2))
    result = ag.majority_agreement(units, coders, values, n_categories=2)
    # coder 0 on unit 0: others {0,1} tie -> not compared; unit 1: other says 1 -> agree.
    assert result[0] == (1, 1)
    assert result[1] == (1, 1)  # unit 0: others {0,1} tie; unit 1 agree
    assert result[2] == (0, 1)  # unit 0: others {0,0} -> disagrees


def test_pairwise_cohen_matches_independent_count() -> None:
    rng = np.random.default_rng(5)
    units, coders, values = _random_triples(rng, n_units=200, n_coders=5, per_unit=3, k=3, truth_p=0.7)
    rows = ag.pairwise_cohen(units, coders, values, n_categories=3, min_overlap=1)
    by_unit: dict[int, dict[int, int]] = {}
    for u, c, v in zip(units, coders, values, strict=True):
        by_unit.setdefault(int(u), {})[int(c)] = int(v)
    for row in rows:
        table = np.zeros((3, 3))
        for ratings in by_unit.values():
            if row["coder_1"] in ratings and row["coder_2"] in ratings:
                table[ratings[row["coder_1"]], ratings[row["coder_2"]]] += 1
        assert row["kappa"] == pytest.approx(ag.cohen_kappa(table)["kappa"])
        assert row["n"] == table.sum()


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 60), st.integers(0, 60), st.floats(0.05, 0.95))
def test_binomial_test_matches_scipy(k: int, extra: int, p: float) -> None:
    from scipy import stats as scipy_stats

    n = k + extra
    expected = scipy_stats.binomtest(k, n, p).pvalue if n else 1.0
    assert q.binomial_test(k, n, p=p) == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_binomial_test_bad_input() -> None:
    with pytest.raises(ValueError, match="0 <= k <= n"):
        q.binomial_test(5, 3)


def test_wilson_interval_known_value() -> None:
    # 8/10 at 95%: (0.4902, 0.9433) (Newcombe 1998, method 3).
    low, high = q.wilson_interval(8, 10)
    assert (round(low, 4), round(high, 4)) == (0.4902, 0.9433)
    assert q.wilson_interval(0, 0) != q.wilson_interval(0, 0)  # nan pair
    with pytest.raises(ValueError):
        q.wilson_interval(3, 2)


def test_straight_lining_and_speed() -> None:
    assert q.run_lengths(["L", "L", "R", "L", "L", "L"]) == [2, 1, 3]
    s = q.straight_lining(["L", "L", "R", "L", "L", "L"])
    assert s["longest_run"] == 3 and s["modal_share"] == pytest.approx(5 / 6)
    speed = q.speed_stats([1, 2, 10, 20], fast_below=3)
    assert speed == {"median_seconds": 6.0, "fast_share": 0.5}


def test_self_consistency_flips_sides() -> None:
    assert q.self_consistency([("a", "b"), ("b", "b"), ("tie", "tie"), ("both_bad", "a")]) == (2, 4)


def test_one_coin_dawid_skene_separates_spammer() -> None:
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 2, 300)
    units, coders, values = [], [], []
    for u in range(300):
        for c in range(5):
            good = c < 4
            v = truth[u] if (good and rng.random() < 0.85) else (rng.integers(0, 2) if not good else 1 - truth[u])
            units.append(u)
            coders.append(c)
            values.append(int(v))
    acc = q.one_coin_dawid_skene(units, coders, values, n_categories=2)
    assert all(0.78 < acc[c] < 0.92 for c in range(4))
    assert acc[4] < 0.6


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.permutations([0, 1, 2, 3]))
def test_nominal_alpha_ignores_category_and_coder_labels(seed: int, relabel: list[int]) -> None:
    rng = np.random.default_rng(seed)
    units, coders, values = _random_triples(rng, n_units=40, n_coders=6, per_unit=3, k=4, truth_p=0.6)
    base = ag.krippendorff_alpha(ag.value_counts_from_triples(units, coders, values, n_categories=4).counts)
    mapped = np.asarray(relabel)[values]
    shuffled_coders = rng.permutation(6)[coders] + 100
    other = ag.krippendorff_alpha(
        ag.value_counts_from_triples(units * 7 + 3, shuffled_coders, mapped, n_categories=4).counts
    )
    if np.isnan(base):
        assert np.isnan(other)
    else:
        assert other == pytest.approx(base, abs=1e-12)
