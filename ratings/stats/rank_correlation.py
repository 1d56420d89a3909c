"""Pure statistics for online feedback: Wilson intervals, a minimal Bradley-Terry fit, Kendall's tau-b.

No Django imports: numpy in, numbers out, so the functions can be tested against
independent implementations (scipy) and reused by any caller.
"""

from __future__ import annotations

import math

import numpy as np


def kendall_tau_b(x: np.ndarray, y: np.ndarray) -> float:
    """Kendall's rank correlation tau-b between two score vectors (ties handled).

    Inputs: two equal-length 1-d arrays of scores for the same items.
    Output: tau-b in [-1, 1]; nan when fewer than 2 items or one side is all ties.
    tau_b = (C - D) / sqrt((n0 - n1) (n0 - n2)) with C/D concordant/discordant
    pairs, n0 = n(n-1)/2 and n1, n2 the pairs tied in x, in y (Kendall 1945).
    O(n^2), meant for leaderboards of tens of systems. Matches scipy.stats.kendalltau.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"x and y differ in length: {x.shape} vs {y.shape}")
    n = len(x)
    if n < 2:
        return float("nan")
    iu = np.triu_indices(n, k=1)
    dx = np.sign(x[:, None] - x[None, :])[iu]
    dy = np.sign(y[:, None] - y[None, :])[iu]
    n0 = len(dx)
    n1 = int(np.sum(dx == 0))
    n2 = int(np.sum(dy == 0))
    s = float(np.sum(dx * dy))
    denom = math.sqrt((n0 - n1) * (n0 - n2))
    if denom == 0:
        return float("nan")
    return s / denom
