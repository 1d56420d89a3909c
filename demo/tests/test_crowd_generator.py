"""The vectorised crowd of `demo/crowd.py`: its structure, its truth, and that it is the per-judgment model."""

from __future__ import annotations

import random
from collections import Counter

import numpy as np
import pytest

from demo.crowd import (
    CHOICES,
    GOLD,
    REGULAR,
    REPEAT,
    CrowdDesign,
    choice_probabilities,
    simulate_choice,
    simulate_crowd,
)

STRUCTURED = CrowdDesign(
    n_systems=6,
    n_prompts=30,
    n_raters=40,
    items_per_rater=60,
    spammers={"random": 2, "always_left": 2, "speeder": 2},
    noise_sd=0.4,
    taste_sd=0.05,
    position_mean=0.3,
    position_sd=0.2,
    difficulty_sd=0.3,
    interaction_sd=0.05,
    tie_sd=0.1,
    speed_sd=0.3,
    gold_per_rater=4,
    repeats_per_rater=5,
    repeat_echo=0.5,
)


def test_per_judgment_model_is_the_special_case_of_the_crowd() -> None:
    """Every crowd effect off: each honest row's probabilities are simulate_choice's model for that pair."""
    design = CrowdDesign(n_systems=5, n_prompts=20, n_raters=10, items_per_rater=100, noise_median=0.7)
    crowd = simulate_crowd(design, seed=3)
    qa, qb = crowd.quality[crowd.system_a], crowd.quality[crowd.system_b]
    for left in (0, 1):
        m = crowd.left == left
        expected = choice_probabilities(qa[m], qb[m], "honest", left_side="ab"[left], noise=0.7)
        np.testing.assert_allclose(crowd.prob[m], expected, rtol=0, atol=1e-15)
    # and simulate_choice draws from the same probabilities (one pair, many draws)
    rng = random.Random(4)
    draws = Counter(simulate_choice(rng, 0.7, 0.5, "honest", noise=0.7) for _ in range(20000))
    p = choice_probabilities(0.7, 0.5, "honest", noise=0.7)
    for code, name in enumerate(CHOICES):
        assert abs(draws[name] / 20000 - p[code]) < 4 * np.sqrt(p[code] * (1 - p[code]) / 20000) + 1e-9, name


def test_choices_follow_their_probabilities() -> None:
    crowd = simulate_crowd(CrowdDesign(n_systems=4, n_prompts=40, n_raters=200, items_per_rater=120), seed=5)
    expected = crowd.prob.sum(axis=0)
    observed = np.bincount(crowd.choice, minlength=4)
    assert np.all(np.abs(observed - expected) < 5 * np.sqrt(expected) + 1)
    np.testing.assert_allclose(crowd.prob.sum(axis=1), 1.0)


def test_structure_of_a_crowd() -> None:
    crowd = simulate_crowd(STRUCTURED, seed=1)
    n_raters = 46
    assert list(crowd.behaviour[40:]) == ["random"] * 2 + ["always_left"] * 2 + ["speeder"] * 2
    assert np.bincount(crowd.rater, minlength=n_raters).tolist() == [60 + 4 + 5] * n_raters
    assert np.all(crowd.system_a != crowd.system_b)
    # regular items are distinct per rater; each comparison keeps one canonical orientation
    reg = crowd.kind == REGULAR
    items = set(zip(crowd.rater[reg], crowd.prompt[reg], crowd.system_a[reg], crowd.system_b[reg], strict=True))
    assert len(items) == int(reg.sum())
    orient: Counter = Counter()
    for p, a, b in zip(crowd.prompt[reg], crowd.system_a[reg], crowd.system_b[reg], strict=True):
        orient[p, min(a, b), max(a, b), a < b] += 1
    keys = {(p, lo, hi) for p, lo, hi, _ in orient}
    assert all(((p, lo, hi, True) in orient) != ((p, lo, hi, False) in orient) for p, lo, hi in keys)
    # order: a permutation of 0..n-1 per rater, a repeat after its original, flipped sides, same rater
    for r in range(n_raters):
        assert sorted(crowd.order[crowd.rater == r]) == list(range(69))
    rep = np.flatnonzero(crowd.kind == REPEAT)
    orig = crowd.repeat_of[rep]
    assert rep.size == 5 * n_raters and np.all(crowd.kind[orig] == REGULAR)
    assert np.all(crowd.rater[orig] == crowd.rater[rep]) and np.all(crowd.prompt[orig] == crowd.prompt[rep])
    assert np.all(crowd.system_a[orig] == crowd.system_b[rep]) and np.all(crowd.order[orig] < crowd.order[rep])
    assert np.all(crowd.repeat_of[crowd.kind != REPEAT] == -1)
    # gold: an answer on gold rows only, and honest raters mostly give it
    gold = crowd.kind == GOLD
    assert np.all((crowd.gold_answer >= 0) == gold)
    honest_gold = gold & (crowd.rater < 40)
    assert np.mean(crowd.choice[honest_gold] == crowd.gold_answer[honest_gold]) > 0.8


def test_spammers_behave_as_their_behaviour() -> None:
    crowd = simulate_crowd(STRUCTURED, seed=2)
    beh = crowd.behaviour[crowd.rater]
    left = beh == "always_left"
    assert np.all(crowd.choice[left] == crowd.left[left])
    speeder = beh == "speeder"
    assert set(np.unique(crowd.choice[speeder])) == {0, 1}
    assert crowd.seconds[speeder].min() >= 1.0 and crowd.seconds[speeder].max() <= 2.0
    rnd = np.bincount(crowd.choice[beh == "random"], minlength=4) / np.sum(beh == "random")
    assert np.all(np.abs(rnd - 0.25) < 0.06)
    honest = beh == "honest"
    assert crowd.seconds[honest].min() >= 4.0 and np.median(crowd.seconds[honest]) > 10
    assert np.all(np.isnan(crowd.noise[40:])) and np.all(crowd.noise[:40] > 0)


def test_effects_show_in_the_answers() -> None:
    base = CrowdDesign(n_systems=4, n_prompts=30, n_raters=100, items_per_rater=100, tie_at_equal=0.2)
    plain = simulate_crowd(base, seed=6)
    leftish = simulate_crowd(CrowdDesign(**{**base.__dict__, "position_mean": 1.0}), seed=6)

    def left_share(crowd) -> float:
        decided = crowd.choice <= 1
        return float(np.mean(crowd.choice[decided] == crowd.left[decided]))

    assert abs(left_share(plain) - 0.5) < 0.03 and left_share(leftish) > 0.55
    # the better system wins more, in order of true strength
    wins = np.zeros(4)
    games = np.zeros(4)
    out = plain.outcome()
    np.add.at(wins, plain.system_a, out)
    np.add.at(wins, plain.system_b, 1 - out)
    np.add.at(games, plain.system_a, 1)
    np.add.at(games, plain.system_b, 1)
    assert list(np.argsort(-wins / games)) == list(np.argsort(-plain.true_strength))
    np.testing.assert_allclose(plain.true_strength.sum(), 0.0, atol=1e-12)
    # system x prompt interaction: the per-prompt winner changes between prompts
    mixed = simulate_crowd(CrowdDesign(**{**base.__dict__, "interaction_sd": 0.2}), seed=6)
    best = mixed.quality[None, :] + mixed.interaction
    assert len(set(np.argmax(best, axis=1))) > 1


def test_seeded_and_drop_both_bad() -> None:
    one, two = simulate_crowd(STRUCTURED, seed=9), simulate_crowd(STRUCTURED, seed=9)
    assert all(np.array_equal(getattr(one, f), getattr(two, f)) for f in ("rater", "choice", "seconds", "order"))
    dropped = one.outcome(both_bad="drop")
    assert np.all(np.isnan(dropped) == (one.choice == 3)) and np.all(one.outcome()[one.choice == 3] == 0.5)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"n_systems": 1}, "at least 2 systems"),
        ({"spammers": {"lazy": 1}}, "unknown spammer behaviour 'lazy'"),
        ({"items_per_rater": (5, 5)}, "one per rater"),
        ({"items_per_rater": 10_000}, "cannot judge 10000 distinct items"),
        ({"taste_sd": -1.0}, "taste_sd must be non-negative"),
        ({"quality": (0.5, 0.4)}, "expected n_systems"),
        ({"pairs_per_prompt": 0}, "pairs_per_prompt"),
    ],
)
def test_bad_design_is_a_clear_error(change: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        simulate_crowd(CrowdDesign(**{**CrowdDesign().__dict__, **change}), seed=0)
    with pytest.raises(ValueError, match="unknown behaviour"):
        choice_probabilities(0.5, 0.5, "lazy")


def test_another_crowd_on_the_same_prompts() -> None:
    design = CrowdDesign(
        n_systems=4, n_prompts=6, n_raters=10, items_per_rater=20, interaction_sd=0.1, difficulty_sd=0.3
    )
    first = simulate_crowd(design, seed=1)
    again = simulate_crowd(design, seed=2, prompts_from=first)
    other = simulate_crowd(design, seed=2)
    assert np.array_equal(again.interaction, first.interaction) and np.array_equal(again.difficulty, first.difficulty)
    assert not np.array_equal(other.interaction, first.interaction)
    assert np.array_equal(again.rater, other.rater)  # only the prompts are taken over; the rest is seed 2's
    with pytest.raises(ValueError, match="prompts_from has 6 prompts × 4 systems; the design has 7 × 4"):
        simulate_crowd(CrowdDesign(**{**design.__dict__, "n_prompts": 7}), prompts_from=first)
