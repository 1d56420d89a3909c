"""Adaptive pairing: which system pairs the next judgments should compare, and how many more are needed.

Pure numpy: no Django import. The current Bradley-Terry fit (``ratings/stats/bradley_terry.py``) gives
natural-log strengths ``theta`` and, from the judgments so far, the Fisher information ``I`` (the weighted
graph Laplacian ``sum_pairs n_ij p_ij (1 - p_ij) e_ij e_ijᵀ`` with ``e_ij = e_i - e_j``) whose inverse in the
sum-zero gauge is the large-sample covariance ``S`` of ``theta`` (Agresti 2002 §10.6; Hunter 2004).
One more judgment of pair (i, j) adds ``v_ij e_ij e_ijᵀ`` to ``I`` (``v_ij = p_ij (1 - p_ij)``, the
variance of its outcome), and the Sherman-Morrison formula says exactly how much that shrinks any
variance — the basis of optimal-design and active-ranking pair selection (Mikhailiuk et al., "Active
sampling for pairwise comparisons via approximate message passing and information gain", ICPR 2020; the
A-optimal criterion of Atkinson & Donev, "Optimum Experimental Designs", 1992).

`pair_weights` mixes two such gains, each normalised to sum to one over the pairs:

* **interval gain** (A-optimal): how much one judgment of (i, j) shrinks the summed variance of all
  scores, ``v_ij |S e_ij|² / (1 + v_ij e_ijᵀ S e_ij)`` — large for close matches (outcome most
  uncertain, ``v`` near 1/4) between systems whose intervals are still wide;
* **rank gain** at the top: the relative shrinkage of the variance of each contender's own score (its
  interval, which is what the leaderboard's "distinguishable" compares), a challenger k weighted by the
  probability that it is in fact better than the current leader t (``omega_k = Phi(-(theta_t - theta_k) /
  sd(theta_t - theta_k))``), the leader by ``min(1, sum_k omega_k)`` — the systems whose rank is least
  settled;

then ``weight = floor / n_pairs + (1 - floor) * ((1 - tau) * interval + tau * rank)``: every pair keeps at
least ``floor / n_pairs`` of the draws (so the fit never loses sight of a pair and no estimate rests on
the design alone), and ``tau = rank_share * min(1, challenge / 0.005)`` fades the rank gain out once the
leader's probability of being overtaken (``challenge``, summed over challengers) is below 0.1%.

Statistics under an adaptive design: the pairs asked depend only on judgments already seen, so the
likelihood — and the Bradley-Terry MLE, its information and the bootstrap over judgments — is the same
function of the data as under a fixed design (the design is ignorable for likelihood inference; e.g.
Lai & Wei 1982 for the asymptotics of adaptive designs). ``bench/bench_adaptive.py`` checks the coverage
of the intervals under both designs by simulation.

`comparison_weights` turns pair weights into the per-Comparison weights the assignment engine draws by;
`more_judgments` projects the information forward under a plan to say how many more judgments separate the
top two or bring the mean interval width under a target.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ratings.stats import bradley_terry as bt

Z95 = 1.959963984540054
DEFAULT_FLOOR = 0.1
DEFAULT_RANK_SHARE = 0.5
CHALLENGE_SCALE = 0.001


def _normal_cdf(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.vectorize(math.erf)(np.asarray(x, dtype=np.float64) / math.sqrt(2.0)))


def outcome_variance(theta: np.ndarray) -> np.ndarray:
    """(K, K) matrix of ``p_ij (1 - p_ij)`` with ``p_ij = expit(theta_i - theta_j)``; zero diagonal."""
    theta = np.asarray(theta, dtype=np.float64)
    p = bt._expit(theta[:, None] - theta[None, :])
    v = p * (1.0 - p)
    np.fill_diagonal(v, 0.0)
    return v


def fisher_information(theta: np.ndarray, table: bt.PairTable) -> np.ndarray:
    """(K, K) Fisher information of the log-strengths from the judgments in ``table`` at ``theta``:
    the graph Laplacian with weight ``n_ij p_ij (1 - p_ij)`` on each compared pair (ties count as one
    judgment, as in the fit)."""
    theta = np.asarray(theta, dtype=np.float64)
    d = theta[table.left] - theta[table.right]
    c = table.total * bt._expit(d) * bt._expit(-d)
    return bt._laplacian(c, table.left, table.right, table.n_systems)


def covariance(information: np.ndarray, *, ridge: float = 1e-9) -> np.ndarray:
    """Covariance of the log-strengths in the sum-zero gauge: ``inv(I + 11ᵀ/K) - 11ᵀ/K``.

    Exact for a connected comparison graph; ``ridge`` (added to the diagonal) keeps a disconnected or
    empty graph finite — its variances are then huge, which is the honest answer.
    """
    k = information.shape[0]
    if k == 0:
        return np.zeros((0, 0))
    ones = np.full((k, k), 1.0 / k)
    return np.linalg.inv(information + ones + ridge * np.eye(k)) - ones


def score_sd(cov: np.ndarray, *, scale: float = bt.DEFAULT_SCALE) -> np.ndarray:
    """Standard deviation of each score on the arena scale (``scale / ln 10`` times that of theta)."""
    return scale / bt.LN10 * np.sqrt(np.maximum(np.diag(cov), 0.0))


@dataclass
class PairPlan:
    """Pair weights: ``weight`` (K, K) symmetric, zero diagonal, upper triangle summing to one (the share
    of the next judgments each unordered pair should get), and the two parts it mixes."""

    weight: np.ndarray
    interval_gain: np.ndarray
    rank_gain: np.ndarray
    rank_share: float
    challenge: float
    floor: float

    def pairs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(i, j, share)`` for every unordered pair ``i < j``."""
        i, j = np.triu_indices(self.weight.shape[0], 1)
        return i, j, self.weight[i, j]


def _normalised(m: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    m = np.where(allowed, np.maximum(m, 0.0), 0.0)
    total = np.triu(m, 1).sum()
    if total <= 0 or not np.isfinite(total):
        m = allowed.astype(np.float64)
        total = np.triu(m, 1).sum()
    return m / total if total > 0 else m


def pair_weights(
    theta: np.ndarray,
    cov: np.ndarray,
    *,
    floor: float = DEFAULT_FLOOR,
    rank_share: float = DEFAULT_RANK_SHARE,
    available: np.ndarray | None = None,
) -> PairPlan:
    """Weights for the next judgments over the system pairs, from the current fit (see the module docstring).

    ``theta`` (K,) natural-log strengths and ``cov`` (K, K) their covariance (`covariance` of
    `fisher_information`, or a bootstrap covariance). ``floor`` in [0, 1]: the share spread uniformly over
    the pairs (0 = fully adaptive, 1 = uniform). ``rank_share`` in [0, 1]: how much of the adaptive part
    goes to settling the top rank while it is contested. ``available`` (K, K) bool: pairs that can still be
    asked (e.g. not every comparison of the pair at its redundancy target); others get weight 0 and the
    rest is renormalised.
    """
    theta = np.asarray(theta, dtype=np.float64)
    cov = np.asarray(cov, dtype=np.float64)
    k = theta.size
    if cov.shape != (k, k):
        raise ValueError(f"cov must be ({k}, {k}) for {k} systems, got {cov.shape}")
    if not 0.0 <= floor <= 1.0 or not 0.0 <= rank_share <= 1.0:
        raise ValueError("floor and rank_share must lie in [0, 1]")
    allowed = (
        ~np.eye(k, dtype=bool) if available is None else (np.asarray(available, dtype=bool) & ~np.eye(k, dtype=bool))
    )
    allowed = allowed & allowed.T
    if k < 2 or not allowed.any():
        zero = np.zeros((k, k))
        return PairPlan(zero, zero, zero, 0.0, 0.0, floor)
    v = outcome_variance(theta)
    dg = np.diag(cov)
    q = np.maximum(dg[:, None] + dg[None, :] - 2.0 * cov, 0.0)  # Var(theta_i - theta_j)
    shrink = v / (1.0 + v * q)
    s2 = cov @ cov
    d2 = np.diag(s2)
    interval = shrink * np.maximum(d2[:, None] + d2[None, :] - 2.0 * s2, 0.0)
    # challengers of the leader: P(theta_k > theta_top) under the normal approximation
    top = int(np.argmax(theta))
    omega = _normal_cdf(-(theta[top] - theta) / np.sqrt(np.maximum(q[top], 1e-300)))
    omega[top] = 0.0
    challenge = float(omega.sum())
    # how much each contender's own interval matters: the leader's by how contested it is, a challenger's
    # by its chance of being the better one; gain = relative shrinkage of Var(theta_c) (its interval)
    importance = omega.copy()
    importance[top] = min(1.0, challenge)
    var_c = np.maximum(dg, 1e-300)
    g2 = (cov * (importance / var_c)[:, None]).T @ cov
    gd = np.diag(g2)
    rank = shrink * np.maximum(gd[:, None] + gd[None, :] - 2.0 * g2, 0.0)
    tau = rank_share * min(1.0, challenge / CHALLENGE_SCALE)
    adaptive = (1.0 - tau) * _normalised(interval, allowed) + tau * _normalised(rank, allowed)
    uniform = _normalised(np.ones((k, k)), allowed)
    weight = floor * uniform + (1.0 - floor) * adaptive
    return PairPlan(weight, interval, rank, tau, challenge, floor)


def uniform_plan(k: int, available: np.ndarray | None = None) -> np.ndarray:
    """(K, K) weights of today's uniform pairing: every (available) pair the same share."""
    allowed = (
        ~np.eye(k, dtype=bool) if available is None else np.asarray(available, dtype=bool) & ~np.eye(k, dtype=bool)
    )
    return _normalised(np.ones((k, k)), allowed & allowed.T)


def comparison_weights(pair_weight: np.ndarray, comparison_i: np.ndarray, comparison_j: np.ndarray) -> np.ndarray:
    """Per-Comparison weights (mean 1.0) that make the engine's weighted draw follow the pair weights.

    ``comparison_i`` / ``comparison_j`` (C,): the system indices of each regular Comparison's two outputs.
    Comparison c of pair (i, j) gets ``W_ij / n_ij`` (``n_ij`` comparisons of that pair), rescaled so the
    weights average 1.0 (``Comparison.weight``'s default): drawing comparisons in proportion to their weight
    then draws pair (i, j) with probability ``W_ij`` while all its comparisons are open; a pair whose
    comparisons have all reached their redundancy target drops out and the others share its draws.
    A pair with no comparison simply cannot be drawn.
    """
    ci = np.asarray(comparison_i, dtype=np.int64)
    cj = np.asarray(comparison_j, dtype=np.int64)
    if ci.shape != cj.shape:
        raise ValueError("comparison_i and comparison_j must have the same length")
    if ci.size == 0:
        return np.zeros(0)
    k = pair_weight.shape[0]
    if ci.min() < 0 or cj.min() < 0 or max(ci.max(), cj.max()) >= k:
        raise ValueError(f"system index out of range for {k} systems")
    lo, hi = np.minimum(ci, cj), np.maximum(ci, cj)
    key = lo * k + hi
    counts = np.bincount(key, minlength=k * k)
    w = pair_weight[lo, hi] / counts[key]
    total = w.sum()
    return w * (ci.size / total) if total > 0 else np.ones(ci.size)


def projected_covariance(information: np.ndarray, theta: np.ndarray, plan: np.ndarray, more: float) -> np.ndarray:
    """Covariance after ``more`` further judgments drawn by ``plan`` (K, K pair shares), outcomes at the
    current ``theta``: ``inv(I + more * sum_ij plan_ij v_ij e_ij e_ijᵀ)``."""
    v = outcome_variance(theta)
    c = np.triu(plan, 1) * v
    i, j = np.nonzero(c)
    added = bt._laplacian(c[i, j], i, j, theta.size)
    return covariance(information + more * added)


@dataclass
class MoreJudgments:
    """Projected judgments still needed under a plan (None: already met; -1: not within ``limit``)."""

    separate_top: int | None
    mean_width: int | None


def _first_reaching(ok, limit: int) -> int:
    """Smallest m in [1, limit] with ok(m) (ok monotone), or -1."""
    if not ok(limit):
        return -1
    lo, hi = 0, limit
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid
    return hi


def more_judgments(
    theta: np.ndarray,
    information: np.ndarray,
    plan: np.ndarray,
    *,
    target_width: float | None = None,
    scale: float = bt.DEFAULT_SCALE,
    width_ratio: np.ndarray | None = None,
    limit: int = 10_000_000,
) -> MoreJudgments:
    """How many more judgments, drawn by ``plan``, until (a) the top two systems' 95% intervals stop
    overlapping (the leaderboard's "distinguishable") and (b) the mean 95% interval width (points) is at most
    ``target_width``, assuming the current scores stay put.

    Intervals are projected from the information: half-width ``1.96 * sd``; ``width_ratio`` (K,) optionally
    rescales them to the bootstrap intervals actually shown (bootstrap half-width / Wald half-width now), so
    the projection starts from what the page shows. With ``plan`` equal to the pair mix of the judgments so
    far this is the leaderboard's square-root rule.
    """
    theta = np.asarray(theta, dtype=np.float64)
    k = theta.size
    ratio = np.ones(k) if width_ratio is None else np.asarray(width_ratio, dtype=np.float64)

    def half_widths(m: float) -> np.ndarray:
        return Z95 * ratio * score_sd(projected_covariance(information, theta, plan, m), scale=scale)

    sep: int | None = None
    if k >= 2:
        order = np.argsort(-theta)
        first, second = int(order[0]), int(order[1])
        gap = scale / bt.LN10 * (theta[first] - theta[second])

        def separated(m: float) -> bool:
            h = half_widths(m)
            return bool(gap > h[first] + h[second])

        if not separated(0):
            sep = _first_reaching(separated, limit) if gap > 1e-9 else -1
    width: int | None = None
    if target_width is not None and k >= 2:

        def narrow(m: float) -> bool:
            return bool(np.mean(2.0 * half_widths(m)) <= target_width)

        if not narrow(0):
            width = _first_reaching(narrow, limit)
    return MoreJudgments(separate_top=sep, mean_width=width)


def plan_from_table(
    table: bt.PairTable,
    theta: np.ndarray,
    *,
    available: np.ndarray | None = None,
    floor: float = DEFAULT_FLOOR,
    rank_share: float = DEFAULT_RANK_SHARE,
) -> tuple[PairPlan, np.ndarray]:
    """One call for the periodic job: the plan from the judgments so far (``table``) and the current fit's
    ``theta``; returns the `PairPlan` and the Fisher information (for `more_judgments`)."""
    information = fisher_information(theta, table)
    plan = pair_weights(theta, covariance(information), floor=floor, rank_share=rank_share, available=available)
    return plan, information
