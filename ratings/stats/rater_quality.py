"""Rater-quality statistics: pure math (math + numpy), no Django.

References
----------
- E. B. Wilson (1927). Probable inference, the law of succession, and
  statistical inference. JASA 22 — the score interval for a proportion.
- The exact two-sided binomial test, "minimum likelihood" convention: sum the
  probabilities of every outcome no more likely than the observed one (as R's
  binom.test and scipy.stats.binomtest do).
- A. P. Dawid & A. M. Skene (1979). Maximum likelihood estimation of observer
  error-rates using the EM algorithm. Applied Statistics 28(1). The one-coin
  variant (one accuracy per worker, errors spread evenly over the other
  classes) as in crowd-kit's `OneCoinDawidSkene` — the weight before issue 15,
  kept as the comparison the tests and benchmarks hold the full model
  (`ratings.stats.dawid_skene`) against.

The rules themselves (tests with false-discovery control) live in
`ratings.stats.rater_flags`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt


def wilson_interval(successes: int, n: int, *, z: float = 1.959964) -> tuple[float, float]:
    """Wilson score interval for a proportion successes/n (default 95%). (nan, nan) when n = 0."""
    if n < 0 or successes < 0 or successes > n:
        raise ValueError(f"need 0 <= successes <= n, got successes={successes}, n={n}")
    if n == 0:
        return float("nan"), float("nan")
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def _binom_log_pmf(k: np.ndarray, n: int, p: float) -> np.ndarray:
    log_choose = np.array([math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) for i in k])
    with np.errstate(divide="ignore"):
        return log_choose + k * np.log(p) + (n - k) * np.log1p(-p)


def binomial_test(k: int, n: int, *, p: float = 0.5) -> float:
    """Exact two-sided binomial test p-value of k successes in n trials with success probability p.

    Sums P(X = i) over every i with P(X = i) ≤ P(X = k) · (1 + 1e-7), the
    convention of R's binom.test and scipy.stats.binomtest. Returns 1.0 for n = 0.
    """
    if n < 0 or k < 0 or k > n:
        raise ValueError(f"need 0 <= k <= n, got k={k}, n={n}")
    if not 0 <= p <= 1:
        raise ValueError(f"p must be in [0, 1], got {p}")
    if n == 0:
        return 1.0
    if p in (0.0, 1.0):
        return 1.0 if k == round(p * n) else 0.0
    support = np.arange(n + 1)
    log_pmf = _binom_log_pmf(support, n, p)
    threshold = log_pmf[k] + math.log1p(1e-7)
    pmf = np.exp(log_pmf[log_pmf <= threshold])
    return float(min(1.0, pmf.sum()))


def run_lengths(values: Sequence[object]) -> list[int]:
    """Lengths of the runs of identical consecutive values, in order ([] for no values)."""
    runs: list[int] = []
    previous: object = object()
    for value in values:
        if runs and value == previous:
            runs[-1] += 1
        else:
            runs.append(1)
        previous = value
    return runs


def straight_lining(values: Sequence[object]) -> dict[str, float]:
    """Straight-lining measures of answers in time order: longest run, mean run, share of the most common answer."""
    runs = run_lengths(values)
    if not runs:
        return {"longest_run": 0, "mean_run": float("nan"), "modal_share": float("nan")}
    _, counts = np.unique(np.asarray([str(v) for v in values]), return_counts=True)
    return {
        "longest_run": int(max(runs)),
        "mean_run": float(np.mean(runs)),
        "modal_share": float(counts.max() / len(values)),
    }


def speed_stats(seconds: npt.ArrayLike, *, fast_below: float) -> dict[str, float]:
    """Median seconds and the share of answers faster than `fast_below` seconds (strictly below)."""
    s = np.asarray(seconds, dtype=float)
    if s.size == 0:
        return {"median_seconds": float("nan"), "fast_share": float("nan")}
    return {"median_seconds": float(np.median(s)), "fast_share": float((s < fast_below).mean())}


def flip_choice(choice: str) -> str:
    """The same answer seen from the flipped comparison: a ↔ b; tie and both_bad stay."""
    return {"a": "b", "b": "a"}.get(choice, choice)


def self_consistency(pairs: Sequence[tuple[str, str]]) -> tuple[int, int]:
    """Consistent answers on repeat items: pairs of (original choice, repeat choice), the repeat in its own
    canonical sides (flipped). Returns (n_consistent, n_pairs)."""
    consistent = sum(1 for original, repeat in pairs if flip_choice(repeat) == original)
    return consistent, len(pairs)


def one_coin_dawid_skene(
    units: npt.ArrayLike,
    coders: npt.ArrayLike,
    values: npt.ArrayLike,
    *,
    n_categories: int,
    n_iter: int = 50,
    tol: float = 1e-6,
) -> dict[int, float]:
    """One-coin Dawid-Skene: each coder's accuracy, estimated jointly with the true labels by EM.

    Model: a coder reports the true class with probability acc_w, and each
    other class with (1 − acc_w)/(K − 1). Initialised from the majority vote.
    Returns {coder: accuracy}; accuracies are clipped to [1e-3, 1 − 1e-3].
    Reference: Dawid & Skene (1979); crowd-kit OneCoinDawidSkene.
    """
    u = np.asarray(units, dtype=np.int64)
    c = np.asarray(coders, dtype=np.int64)
    v = np.asarray(values, dtype=np.int64)
    if u.size == 0:
        return {}
    k = n_categories
    unit_ids, ui = np.unique(u, return_inverse=True)
    coder_ids, ci = np.unique(c, return_inverse=True)
    counts = np.bincount(ui * k + v, minlength=unit_ids.size * k).reshape(-1, k).astype(float)
    posterior = counts / counts.sum(axis=1, keepdims=True)
    accuracy = np.full(coder_ids.size, 0.7)
    for _ in range(n_iter):
        # M step: accuracy = expected share of a coder's labels that equal the true class.
        hits = np.bincount(ci, weights=posterior[ui, v], minlength=coder_ids.size)
        n_labels = np.bincount(ci, minlength=coder_ids.size)
        new_accuracy = np.clip(hits / n_labels, 1e-3, 1 - 1e-3)
        prior = np.clip(posterior.mean(axis=0), 1e-6, None)
        # E step: log P(true = j | labels) ∝ log prior_j + Σ_labels log P(label | j).
        log_right = np.log(new_accuracy)[ci]
        log_wrong = np.log((1 - new_accuracy) / max(k - 1, 1))[ci]
        wrong_sum = np.bincount(ui, weights=log_wrong, minlength=unit_ids.size)
        right_extra = np.bincount(ui * k + v, weights=log_right - log_wrong, minlength=unit_ids.size * k)
        log_post = np.log(prior)[None, :] + wrong_sum[:, None] + right_extra.reshape(-1, k)
        log_post -= log_post.max(axis=1, keepdims=True)
        posterior = np.exp(log_post)
        posterior /= posterior.sum(axis=1, keepdims=True)
        converged = np.abs(new_accuracy - accuracy).max() < tol
        accuracy = new_accuracy
        if converged:
            break
    return {int(cid): float(a) for cid, a in zip(coder_ids, accuracy, strict=True)}
