"""The human-judge agreement report: exact small cases, independent formulas, and planted biased judges."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binomtest, kendalltau

from ratings.stats import judge_agreement as ja
from ratings.stats.agreement import choice_codes

A, B, TIE = ja.A, ja.B, ja.TIE


# --------------------------------------------------------------------------- exact small cases


def test_majority_is_the_unique_mode_with_one_vote_per_rater():
    units = [0, 0, 0, 1, 1, 2, 2, 2, 2]
    raters = [1, 2, 3, 1, 2, 1, 2, 3, 3]
    choices = [A, A, B, A, B, B, B, A, TIE]  # unit 2: rater 3 answered twice, the last (tie) counts
    m = ja.human_majority(units, raters, choices)
    assert m.units.tolist() == [0, 1, 2]
    assert m.label.tolist() == [A, ja.NO_MAJORITY, B]
    assert m.counts.tolist() == [[2, 1, 0], [1, 1, 0], [0, 2, 1]]


def test_agreement_with_majority_counts_only_units_with_a_majority():
    m = ja.human_majority([0, 0, 1, 1, 2, 2], [1, 2, 1, 2, 1, 2], [A, A, A, B, B, B])
    result = ja.agreement_with_majority(m, units=[0, 0, 1, 2, 9], choices=[A, B, A, B, A])
    assert (result["k"], result["n"]) == (2, 3)
    assert result["n_no_majority"] == 1 and result["n_unjudged"] == 1
    assert result["rate"] == pytest.approx(2 / 3)
    assert result["low"] < 2 / 3 < result["high"]


def test_the_baseline_puts_humans_and_source_against_the_same_leave_one_out_majorities():
    # unit 0: a, a, b → references: for rater 1 {a, b} none, rater 2 none, rater 3 {a, a} = a
    # unit 1: b, b → each human's reference is the other's b
    human_units, human_raters, human_choices = [0, 0, 0, 1, 1], [1, 2, 3, 1, 2], [A, A, B, B, B]
    result = ja.human_majority_baseline(human_units, human_raters, human_choices, units=[0, 1, 1], choices=[A, B, A])
    assert (result["humans"]["k"], result["humans"]["n"]) == (2, 3)  # rater 3 misses a; unit 1 both agree
    # source: verdict on unit 0 vs its one reference (a) agrees; on unit 1: b agrees, a does not
    assert (result["source"]["k"], result["source"]["n"]) == (2, 3)
    # units the source never judged are left out of the human side too
    only_unit_1 = ja.human_majority_baseline(human_units, human_raters, human_choices, units=[1], choices=[B])
    assert (only_unit_1["humans"]["k"], only_unit_1["humans"]["n"]) == (2, 2)


def test_kappa_against_pooled_humans_is_cohens_kappa_of_the_split_table():
    # unit 0: humans a, a, b; unit 1: humans b; unit 2: humans tie, a
    human_units, human_choices = [0, 0, 0, 1, 2, 2], [A, A, B, B, TIE, A]
    result = ja.kappa_vs_pooled_humans(human_units, human_choices, units=[0, 1, 2, 2], choices=[A, B, A, TIE])
    expected = np.zeros((3, 3))
    expected[A] += [2 / 3, 1 / 3, 0]
    expected[B] += [0, 1, 0]
    expected[A] += [0.5, 0, 0.5]
    expected[TIE] += [0.5, 0, 0.5]
    assert np.allclose(result["table"], expected)
    n = expected.sum()
    p_o = np.trace(expected) / n
    p_e = (expected.sum(axis=1) * expected.sum(axis=0)).sum() / n**2
    assert result["kappa"] == pytest.approx((p_o - p_e) / (1 - p_e))
    assert result["n"] == pytest.approx(4.0)


def test_human_kappa_baseline_with_two_humans_per_unit_is_the_symmetrised_cohen_table():
    rng = np.random.default_rng(0)
    first = rng.integers(0, 3, 200)
    second = np.where(rng.random(200) < 0.6, first, rng.integers(0, 3, 200))
    units = np.repeat(np.arange(200), 2)
    choices = np.column_stack([first, second]).ravel()
    result = ja.human_kappa_baseline(units, choices)
    table = np.zeros((3, 3))
    np.add.at(table, (first, second), 1)
    sym = table + table.T
    p_o = np.trace(sym) / sym.sum()
    p_e = ((sym.sum(axis=1) / sym.sum()) ** 2).sum()
    assert result["kappa"] == pytest.approx((p_o - p_e) / (1 - p_e))


def test_side_preference_matches_scipys_binomial_test():
    choices = np.array([A] * 30 + [B] * 10 + [TIE] * 5)
    preferred = np.array([A] * 25 + [B] * 5 + [A] * 8 + [-1] * 2 + [A] * 5)
    result = ja.side_preference(choices, preferred)
    # decisive with a preferred side: 30 a's (25 preferred a, 5 preferred b) + 8 b's preferring a
    assert (result["k"], result["n"]) == (25, 38)
    assert result["p_value"] == pytest.approx(binomtest(25, 38, 0.5).pvalue, rel=1e-9)
    assert ja.longer_side([10, 3, 5], [4, 9, 5]).tolist() == [A, B, -1]


def test_leaderboard_agreement_is_kendall_tau_with_the_discordant_pairs():
    human = np.array([1100.0, 1050.0, 1000.0, 950.0, np.nan])
    judge = np.array([1000.0, 1080.0, 990.0, 900.0, 1200.0])
    result = ja.leaderboard_agreement(human, judge)
    assert result["n_systems"] == 4
    assert result["tau"] == pytest.approx(kendalltau(human[:4], judge[:4]).statistic)
    assert result["discordant"] == [(0, 1)]  # humans rank 0 above 1, the judge the other way


def test_system_pair_units_put_both_orientations_on_one_unit():
    units, choices, pair_a, pair_b = ja.system_pair_units([2, 0, 1], [0, 2, 3], [A, A, TIE], n_systems=4)
    assert units[0] == units[1]
    assert (pair_a[units[0]], pair_b[units[0]]) == (0, 2)
    assert choices.tolist() == [B, A, TIE]  # "2 beat 0" is b on the pair (0, 2)
    assert (pair_a[units[2]], pair_b[units[2]]) == (1, 3)


def test_worst_groups_come_first_by_their_upper_bound():
    m = ja.human_majority(np.arange(40), np.zeros(40, dtype=int), np.zeros(40, dtype=int))  # majority a everywhere
    choices = np.array([A] * 20 + [B] * 15 + [A] * 5)
    group_unit = np.concatenate([np.arange(40), np.arange(20, 40)])
    group_label = np.array(["easy"] * 20 + ["hard"] * 20 + ["all-hard-too"] * 20)
    rows = ja.disagreement_by_group(m, np.arange(40), choices, group_unit, group_label, min_n=5)
    assert rows[0]["group"] in {"hard", "all-hard-too"}
    assert rows[-1]["group"] == "easy" and rows[-1]["rate"] == 1.0
    assert {r["group"]: (r["k"], r["n"]) for r in rows}["hard"] == (5, 20)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: ja.human_majority([0, 1], [0], [A, A]), "arrays differ in length: units 2, raters 1, choices 2"),
        (lambda: ja.human_majority([0], [0], [7]), r"choices\[0\] = 7 is not a category code 0..2"),
        (lambda: ja.human_majority([0.5], [0], [A]), "units must hold integers"),
        (lambda: ja.side_preference([A], [2]), r"preferred\[0\] = 2 must be 0 \(a\), 1 \(b\) or -1"),
        (lambda: ja.system_pair_units([1], [1], [A], n_systems=3), "verdict 0 compares a system with itself"),
        (lambda: ja.kappa_vs_pooled_humans([0], [A], [0], [A], n_categories=5), "n_categories must be 3"),
    ],
)
def test_bad_input_is_refused_clearly(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_report_refuses_units_without_systems():
    with pytest.raises(ValueError, match=r"units must be unit ids 0..1"):
        ja.source_report(
            human_units=[0],
            human_raters=[0],
            human_choices=[A],
            units=[5],
            choices=[A],
            unit_system_a=[0, 1],
            unit_system_b=[1, 2],
            n_systems=3,
        )


# --------------------------------------------------------------------------- planted judges


TAGS = np.array(["code", "math", "chat", "writing"])


def _simulate(seed: int = 0, *, n_systems: int = 6, n_prompts: int = 200, pairs: int = 4, humans: int = 3):
    """A blind study: systems of different quality, output lengths unrelated to quality, 3 humans per unit."""
    rng = np.random.default_rng(seed)
    strength = np.linspace(-1.2, 1.2, n_systems)
    quality = strength[None, :] + rng.normal(0, 0.6, (n_prompts, n_systems))
    length = rng.lognormal(6, 0.6, (n_prompts, n_systems)).round()
    prompt_tag = rng.integers(0, TAGS.size, n_prompts)
    unit_prompt, unit_a, unit_b = [], [], []
    for p in range(n_prompts):
        for _ in range(pairs):
            a, b = rng.choice(n_systems, 2, replace=False)
            unit_prompt.append(p), unit_a.append(a), unit_b.append(b)
    unit_prompt, unit_a, unit_b = np.array(unit_prompt), np.array(unit_a), np.array(unit_b)
    n_units = unit_prompt.size
    diff = quality[unit_prompt, unit_a] - quality[unit_prompt, unit_b]

    def judge_like_a_human(n_each: int):
        u = np.repeat(np.arange(n_units), n_each)
        p_a = 1 / (1 + np.exp(-2.0 * diff[u]))
        c = np.where(rng.random(u.size) < 0.12, TIE, np.where(rng.random(u.size) < p_a, A, B))
        return u, c

    hu, hc = judge_like_a_human(humans)
    return {
        "rng": rng,
        "human_units": hu,
        "human_raters": rng.integers(0, 40, hu.size) * 1000 + np.tile(np.arange(humans), n_units),
        "human_choices": hc,
        "human_left": rng.integers(0, 2, hu.size),
        "unit_a": unit_a,
        "unit_b": unit_b,
        "length_a": length[unit_prompt, unit_a],
        "length_b": length[unit_prompt, unit_b],
        "unit_tag": TAGS[prompt_tag[unit_prompt]],
        "n_units": n_units,
        "n_systems": n_systems,
        "human_like": judge_like_a_human,
    }


def _report(sim, choices, left=None, units=None):
    units = np.arange(sim["n_units"]) if units is None else units
    return ja.source_report(
        human_units=sim["human_units"],
        human_raters=sim["human_raters"],
        human_choices=sim["human_choices"],
        units=units,
        choices=choices,
        unit_system_a=sim["unit_a"],
        unit_system_b=sim["unit_b"],
        n_systems=sim["n_systems"],
        preferred_left=left,
        human_preferred_left=sim["human_left"],
        unit_length_a=sim["length_a"],
        unit_length_b=sim["length_b"],
        group_unit=np.arange(sim["n_units"]),
        group_label=sim["unit_tag"],
    )


def _codes(report) -> set[str]:
    return {f["code"] for f in report["findings"]}


def test_a_judge_that_always_prefers_the_longer_output_is_exposed():
    sim = _simulate(0)
    rng = sim["rng"]
    longer = ja.longer_side(sim["length_a"], sim["length_b"])
    choices = np.where(longer >= 0, longer, TIE)
    left = rng.integers(0, 2, sim["n_units"])
    report = _report(sim, choices, left=left)

    length = report["length_bias"]
    assert length["rate"] == 1.0 and length["p_value"] < 1e-50
    assert 0.4 < length["humans"]["rate"] < 0.6  # humans do not care about length here
    assert "length_bias" in _codes(report)
    assert "position_bias" not in _codes(report)
    # it agrees with the human majority about as often as a coin, far below a human
    agree = report["majority_agreement"]
    paired = agree["same_reference"]
    assert paired["source"]["high"] < paired["humans"]["low"]
    assert agree["rate"] < 0.6 and paired["source"]["rate"] < 0.6 and paired["humans"]["rate"] > 0.65
    assert "below_human_agreement" in _codes(report)
    assert abs(report["kappa"]["kappa"]) < 0.15 < report["kappa"]["human_baseline"]["kappa"]
    # and its leaderboard says little about the human one
    assert report["leaderboard"]["tau"] < 0.6 and "leaderboard_differs" in _codes(report)


def test_a_judge_that_judges_like_a_human_raises_no_flag():
    sim = _simulate(1)
    units, choices = sim["human_like"](1)
    left = sim["rng"].integers(0, 2, units.size)
    report = _report(sim, choices, left=left, units=units)
    assert _codes(report) <= {"leaderboard_differs"}  # a close pair may swap by chance, nothing else
    paired = report["majority_agreement"]["same_reference"]
    assert paired["source"]["low"] <= paired["humans"]["rate"] <= paired["source"]["high"]
    assert report["leaderboard"]["tau"] >= 0.7
    kappa = report["kappa"]
    assert abs(kappa["kappa"] - kappa["human_baseline"]["kappa"]) < 3 * kappa["ase"]


def test_a_judge_that_always_picks_the_first_position_is_exposed():
    sim = _simulate(2)
    left = sim["rng"].integers(0, 2, sim["n_units"])
    report = _report(sim, left.copy(), left=left)
    assert report["position_bias"]["rate"] == 1.0
    assert 0.4 < report["position_bias"]["humans"]["rate"] < 0.6
    assert "position_bias" in _codes(report) and "length_bias" not in _codes(report)


def test_a_judge_that_guesses_on_math_shows_math_as_its_worst_tag():
    sim = _simulate(3)
    units, choices = sim["human_like"](1)
    math_units = sim["unit_tag"][units] == "math"
    choices = np.where(math_units, sim["rng"].integers(0, 2, units.size), choices)
    report = _report(sim, choices, units=units)
    worst = report["worst_groups"]
    assert worst[0]["group"] == "math"
    assert worst[0]["rate"] < 0.6 < min(r["rate"] for r in worst[1:])


def test_a_judge_that_never_ties_is_flagged_for_its_tie_rate():
    sim = _simulate(4)
    units, choices = sim["human_like"](1)
    choices = np.where(choices == TIE, sim["rng"].integers(0, 2, units.size), choices)
    report = _report(sim, choices, units=units)
    assert report["tie_rate"]["rate"] == 0.0 and report["tie_rate"]["humans"]["rate"] > 0.08
    assert "tie_rate_differs" in _codes(report)


# --------------------------------------------------------------------------- production A/B feedback as a source


def test_production_preferences_compared_with_the_blind_result_on_system_pairs():
    sim = _simulate(5)
    rng = sim["rng"]
    k = sim["n_systems"]
    # blind human verdicts on comparisons → system-pair units
    human_units, human_choices, pair_a, pair_b = ja.system_pair_units(
        sim["unit_a"][sim["human_units"]], sim["unit_b"][sim["human_units"]], sim["human_choices"], n_systems=k
    )
    # production users agree with the blind study, except that they love system 0 (the weakest in the blind test)
    online = np.linspace(-1.2, 1.2, k)
    online[0] = 2.0
    sys_a = rng.integers(0, k, 3000)
    sys_b = (sys_a + rng.integers(1, k, 3000)) % k
    p_a = 1 / (1 + np.exp(online[sys_b] - online[sys_a]))
    winner = np.where(rng.random(3000) < p_a, "a", "b")
    units, choices, _, _ = ja.system_pair_units(sys_a, sys_b, choice_codes(winner), n_systems=k)
    report = ja.source_report(
        human_units=human_units,
        human_raters=sim["human_raters"],
        human_choices=human_choices,
        units=units,
        choices=choices,
        unit_system_a=pair_a,
        unit_system_b=pair_b,
        n_systems=k,
        group_unit=np.arange(pair_a.size),
        group_label=np.array([f"{a}-{b}" for a, b in zip(pair_a, pair_b, strict=True)]),
    )
    assert report["position_bias"] is None  # production A/B has no screen side
    board = report["leaderboard"]
    assert np.argmax(board["source_scores"]) == 0 and np.argmin(board["human_scores"]) == 0
    assert all(0 in pair for pair in board["discordant"])  # every disagreement is about system 0
    assert len(board["discordant"]) == k - 1
    # the pairs where production and the blind result diverge most are system 0's
    assert all(row["group"].startswith("0-") for row in report["worst_groups"][: k - 1])
