"""Online Elo and the win-rate / battle-count matrices."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ratings.stats.bradley_terry import pair_table
from ratings.stats.elo import online_elo
from ratings.stats.win_rates import count_matrices, system_totals, win_rate_matrix


def test_elo_single_battle_and_tie():
    r = online_elo(np.array([0]), np.array([1]), np.array([1.0]), n_systems=2)
    assert r.tolist() == pytest.approx([1002.0, 998.0])
    r = online_elo(np.array([0]), np.array([1]), np.array([0.5]), n_systems=2)
    assert r.tolist() == pytest.approx([1000.0, 1000.0])


def test_elo_follows_the_sequential_formula_and_order_matters():
    a = np.array([0, 1, 2, 0])
    b = np.array([1, 2, 0, 2])
    o = np.array([1.0, 0.0, 0.5, 0.0])
    expected = [1000.0, 1000.0, 1000.0]
    for ia, ib, s in zip(a, b, o, strict=True):
        e = 1 / (1 + 10 ** ((expected[ib] - expected[ia]) / 400))
        expected[ia] += 4 * (s - e)
        expected[ib] -= 4 * (s - e)
    assert online_elo(a, b, o, n_systems=3).tolist() == pytest.approx(expected)
    assert not np.allclose(online_elo(a[::-1], b[::-1], o[::-1], n_systems=3), expected)
    assert sum(expected) == pytest.approx(3000.0)
    assert math.isfinite(expected[0])


def test_win_rate_and_count_matrices():
    # 0 beats 1 three times, loses once, one tie; 1 and 2 tie twice; 0 and 2 never met
    i = np.array([0, 1, 0, 1])
    j = np.array([1, 0, 1, 2])
    o = np.array([1.0, 1.0, 0.5, 0.5])
    w = np.array([3.0, 1.0, 1.0, 2.0])
    table = pair_table(i, j, o, w, n_systems=3)
    wins, ties, battles = count_matrices(table)
    assert wins[0, 1] == 3 and wins[1, 0] == 1 and ties[0, 1] == 1 and ties[2, 1] == 2
    assert battles[0, 1] == battles[1, 0] == 5 and battles[0, 2] == 0
    excl = win_rate_matrix(table, ties="exclude")
    half = win_rate_matrix(table, ties="half")
    assert excl[0, 1] == pytest.approx(0.75) and excl[1, 0] == pytest.approx(0.25)
    assert half[0, 1] == pytest.approx(3.5 / 5)
    assert np.isnan(excl[1, 2]) and half[1, 2] == pytest.approx(0.5)
    assert np.isnan(excl[0, 2]) and np.isnan(half[0, 0])
    totals = system_totals(table)
    assert totals["wins"].tolist() == [3, 1, 0] and totals["losses"].tolist() == [1, 3, 0]
    assert totals["ties"].tolist() == [1, 3, 2] and totals["battles"].tolist() == [5, 7, 2]
    with pytest.raises(ValueError, match="ties"):
        win_rate_matrix(table, ties="drop")
