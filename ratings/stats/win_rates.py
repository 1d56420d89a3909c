"""Win-rate and battle-count matrices from pairwise counts, pure numpy, no Django.

Conventions (as Chatbot Arena's notebooks show them): entry ``[i, j]`` is about
row system i against column system j; the diagonal is NaN (a system never meets
itself); pairs that never met are NaN, not 0.
"""

from __future__ import annotations

import numpy as np

from ratings.stats.bradley_terry import PairTable


def count_matrices(table: PairTable) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(wins, ties, battles)``: wins[i, j] = times i beat j; ties symmetric; battles = wins + wins.T + ties."""
    k = table.n_systems
    wins = np.zeros((k, k))
    ties = np.zeros((k, k))
    wins[table.left, table.right] = table.left_wins
    wins[table.right, table.left] = table.right_wins
    ties[table.left, table.right] = table.ties
    ties[table.right, table.left] = table.ties
    return wins, ties, wins + wins.T + ties


def win_rate_matrix(table: PairTable, *, ties: str = "exclude") -> np.ndarray:
    """Empirical win rate of row over column.

    ``ties="exclude"``: wins / (wins + losses), NaN when all their battles were ties.
    ``ties="half"``: (wins + ties/2) / battles.
    """
    if ties not in {"exclude", "half"}:
        raise ValueError("ties must be 'exclude' or 'half'")
    w, t, n = count_matrices(table)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = w / (w + w.T) if ties == "exclude" else (w + 0.5 * t) / n
    np.fill_diagonal(rate, np.nan)
    return rate


def system_totals(table: PairTable) -> dict[str, np.ndarray]:
    """Per system: wins, losses, ties, battles and win rate with ties as half (NaN without battles)."""
    w, t, n = count_matrices(table)
    wins = w.sum(axis=1)
    losses = w.sum(axis=0)
    tie_count = t.sum(axis=1)
    battles = n.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = (wins + 0.5 * tie_count) / battles
    return {"wins": wins, "losses": losses, "ties": tie_count, "battles": battles, "win_rate": rate}
