"""Pure statistics for online feedback: Wilson intervals, a minimal Bradley-Terry fit, Kendall's tau-b.

No Django imports: numpy in, numbers out, so the functions can be tested against
independent implementations (scipy) and reused by any caller.
"""

from __future__ import annotations

import math

import numpy as np


def wilson_interval(successes: int, n: int, *, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion.

    Inputs: `successes` out of `n` trials, `z` the normal quantile (default: 95%).
    Output: (low, high) in [0, 1]; (0.0, 1.0) when n == 0 (nothing is known).
    Reference: E. B. Wilson (1927), "Probable inference, the law of succession,
    and statistical inference", JASA 22:209-212. Unlike the normal (Wald)
    interval it stays inside [0, 1] and behaves for p near 0 or 1.
    """
    if n < 0 or successes < 0 or successes > n:
        raise ValueError(f"need 0 <= successes <= n, got successes={successes}, n={n}")
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    z2 = z * z
    denom = 1.0 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def bradley_terry_minimal_fit(
    matchups: np.ndarray,
    outcomes: np.ndarray,
    n_systems: int,
    *,
    weights: np.ndarray | None = None,
    scale: float = 400.0,
    base: float = 10.0,
    init_rating: float = 1000.0,
    l2: float = 1e-6,
    max_iter: int = 200,
    tol: float = 1e-10,
) -> np.ndarray:
    """A minimal Bradley-Terry maximum-likelihood fit (Newton's method), Elo-like scale.

    Inputs: `matchups` int array (N, 2) of system indices (a, b); `outcomes` float
    array (N,) with 1.0 = a won, 0.0 = b won, 0.5 = tie (a tie counts half a win
    to each side, as FastChat does); optional `weights` (N,) (e.g. counts of
    identical rows); `n_systems`.
    Output: ratings (n_systems,) with `scale * log_base(strength) + init_rating`,
    centred so the mean rating is `init_rating`. A tiny L2 penalty keeps systems
    that never lost (or never won) finite.
    Convention follows FastChat's `compute_mle_elo` (logistic regression on
    +1/-1 design rows, scale 400, base 10, init 1000). This is a small stand-in
    for the shared BT module; the two should agree to numerical precision.
    """
    matchups = np.asarray(matchups, dtype=np.int64).reshape(-1, 2)
    outcomes = np.asarray(outcomes, dtype=np.float64)
    w = np.ones(len(outcomes)) if weights is None else np.asarray(weights, dtype=np.float64)
    theta = np.zeros(n_systems)
    if n_systems == 0 or len(outcomes) == 0:
        return theta + init_rating
    a, b = matchups[:, 0], matchups[:, 1]
    for _ in range(max_iter):
        p = 1.0 / (1.0 + np.exp(-(theta[a] - theta[b])))
        resid = w * (outcomes - p)
        grad = np.bincount(a, resid, n_systems) - np.bincount(b, resid, n_systems) - l2 * theta
        h = w * p * (1 - p)
        hess = np.zeros((n_systems, n_systems))
        np.add.at(hess, (a, a), h)
        np.add.at(hess, (b, b), h)
        np.add.at(hess, (a, b), -h)
        np.add.at(hess, (b, a), -h)
        hess += (l2 + 1e-12) * np.eye(n_systems)
        step = np.linalg.solve(hess, grad)
        theta += step
        theta -= theta.mean()
        if np.max(np.abs(step)) < tol:
            break
    return scale * theta / math.log(base) + init_rating


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
