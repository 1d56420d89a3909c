"""Dawid–Skene with full confusion matrices, and a rater reliability that does not punish honest ties.

Pure numpy, no Django.

Model (Dawid & Skene 1979): every unit (one comparison × criterion) has a true class z in K categories
— for pairwise choices a / b / tie / both_bad — drawn from a class prior; rater w reports label l with
probability ``confusion[w, z, l]`` (a full K × K matrix per rater, each row summing to 1), independently
across raters and units given z. Fitted by EM from the majority-vote initialisation: the unit posteriors
start as each unit's vote shares; the M step sets the confusion rows to the expected label counts
(plus optional Dirichlet pseudo-counts, ``smoothing``); the E step recomputes the posteriors; it stops
when the log-likelihood per label gains less than ``tol``. With ``smoothing=0`` and
``symmetric=False`` it is the estimator of crowd-kit's ``DawidSkene`` (checked against it in the tests).

Why the full model and not the one-coin one (or GLAD / MACE): in a preference study "tie" is an answer,
not an error. A one-coin model counts every answer that differs from the estimated class as a miss, so a
rater who honestly says "tie" on close pairs loses weight for it (on real data the one-coin weight
correlated −0.76 with a judge's tie share). MACE (Hovy et al. 2013) attributes every answer that is not
the truth to "spamming", and GLAD (Whitehill et al. 2009) is a binary correct/incorrect model: both have
the same blind spot. The full confusion matrix learns *how* a rater answers when the truth is "a" —
mostly "a", sometimes "tie" — and the reliability below reads only what a rater's decisive answers say
about the decisive truth.

``symmetric=True`` ties the matrix to the arbitrary naming of the sides: what a rater answers when the
truth is "b" mirrors what they answer when it is "a" (``confusion[b, b] = confusion[a, a]``,
``confusion[b, tie] = confusion[a, tie]``, …) and the prior of "a" equals that of "b". Canonical sides
carry no meaning for a rater (the screen side is drawn at random), so this halves the free parameters
without losing anything; position preferences are the position rule's business.

Reliability (``side_reliability``): from rater w's matrix and the class prior, the accuracy on the
side when both the truth and the answer are decisive,
``q_w = Σ_{z∈{a,b}} prior_z · confusion[w, z, z] / Σ_{z∈{a,b}} prior_z · (confusion[w, z, a] + confusion[w, z, b])``,
and the reliability ``r_w = max(0, 2 q_w − 1)``: 0 for a rater whose side is a coin flip (a random
clicker, an always-left clicker, a speeder), 1 for one who never picks the worse side. How often a rater
says "tie" does not enter. As a leaderboard weight, r_w is proportional to the slope of a rater's
Bradley–Terry curve for small quality gaps (``2q − 1 ≈ E|Δ| · slope / 2``), which is the efficient
weight of a judgment in the Bradley–Terry score equations; ``leaderboard_weights`` scales it to average
1 over the judgments, so the total evidence is unchanged.

References
----------
- A. P. Dawid & A. M. Skene (1979). Maximum likelihood estimation of observer error-rates using the EM
  algorithm. Applied Statistics 28(1), 20–28.
- D. Ustalov et al. (2021–). Crowd-Kit: Computational Quality Control for Crowdsourcing — the
  ``DawidSkene`` reference implementation (majority-vote initialisation, ELBO stopping rule).
- D. Hovy et al. (2013). Learning whom to trust with MACE. NAACL. J. Whitehill et al. (2009). Whose vote
  should count more (GLAD). NIPS.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

#: Probability floor in the M step (the same as crowd-kit's), so a log never sees 0.
EPS = 1e-10
#: a ↔ b mirror of the pairwise categories a, b, tie, both_bad.
PAIRWISE_MIRROR = (1, 0, 2, 3)


@dataclass
class DawidSkeneFit:
    """An EM fit. Rows of ``posterior`` follow ``unit_ids``; ``confusion[w, z, l]`` follows ``coder_ids``."""

    unit_ids: np.ndarray
    coder_ids: np.ndarray
    posterior: np.ndarray
    class_prior: np.ndarray
    confusion: np.ndarray
    label_counts: np.ndarray
    log_likelihood: float
    iterations: int
    converged: bool


def _m_step(
    ui: np.ndarray,
    ci: np.ndarray,
    v: np.ndarray,
    posterior: np.ndarray,
    *,
    n_coders: int,
    k: int,
    smoothing: float,
    mirror: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Class prior and confusion matrices from unit posteriors (expected counts + pseudo-counts, normalised)."""
    key = ci * k + v
    counts = np.empty((n_coders, k, k))
    for z in range(k):
        counts[:, z, :] = np.bincount(key, weights=posterior[ui, z], minlength=n_coders * k).reshape(n_coders, k)
    prior = posterior.mean(axis=0)
    if mirror is not None:
        counts = 0.5 * (counts + counts[:, mirror][:, :, mirror])
        prior = 0.5 * (prior + prior[mirror])
    if smoothing > 0:
        # Dirichlet pseudo-counts shaped like the pooled matrix: a rater with few labels leans on the crowd.
        pooled = counts.sum(axis=0)
        pooled = pooled / np.maximum(pooled.sum(axis=1, keepdims=True), EPS)
        counts = counts + smoothing * pooled[None, :, :]
    counts = np.maximum(counts, EPS)
    confusion = counts / counts.sum(axis=2, keepdims=True)
    return np.maximum(prior, EPS), confusion


def _e_step(
    ui: np.ndarray, ci: np.ndarray, v: np.ndarray, prior: np.ndarray, confusion: np.ndarray, *, n_units: int
) -> tuple[np.ndarray, float]:
    """Unit posteriors and the marginal log-likelihood Σ_u log Σ_z prior_z Π_labels confusion[w, z, l]."""
    k = prior.size
    log_conf = np.log(confusion)
    log_post = np.empty((n_units, k))
    for z in range(k):
        log_post[:, z] = np.bincount(ui, weights=log_conf[ci, z, v], minlength=n_units)
    log_post += np.log(prior)[None, :]
    top = log_post.max(axis=1, keepdims=True)
    weights = np.exp(log_post - top)
    norm = weights.sum(axis=1, keepdims=True)
    return weights / norm, float((np.log(norm) + top).sum())


def dawid_skene(
    units: npt.ArrayLike,
    coders: npt.ArrayLike,
    values: npt.ArrayLike,
    *,
    n_categories: int,
    n_iter: int = 100,
    tol: float = 1e-7,
    smoothing: float = 0.0,
    symmetric: bool = False,
) -> DawidSkeneFit:
    """Fit Dawid–Skene by EM on (unit, coder, value) triples; value codes in ``[0, n_categories)``.

    ``smoothing``: Dirichlet pseudo-counts added to each confusion row, shaped like the crowd's pooled
    matrix (0 = maximum likelihood). ``symmetric``: tie the matrices to the a ↔ b mirror (the first two
    categories are the sides; see the module docstring). Stops after ``n_iter`` iterations or when the
    log-likelihood per label gains less than ``tol``. Raises ValueError on empty or malformed input.
    """
    u = np.asarray(units, dtype=np.int64).ravel()
    c = np.asarray(coders, dtype=np.int64).ravel()
    v = np.asarray(values, dtype=np.int64).ravel()
    k = int(n_categories)
    if not (u.shape == c.shape == v.shape):
        raise ValueError("units, coders and values must have the same length")
    if u.size == 0:
        raise ValueError("Dawid–Skene needs at least one label")
    if k < 2 or v.min() < 0 or v.max() >= k:
        raise ValueError(f"values must be category codes in [0, {k}) with n_categories >= 2")
    if smoothing < 0:
        raise ValueError("smoothing must be non-negative")
    mirror = None
    if symmetric:
        mirror = np.arange(k)
        mirror[:2] = (1, 0)
    unit_ids, ui = np.unique(u, return_inverse=True)
    coder_ids, ci = np.unique(c, return_inverse=True)
    n_units, n_coders = unit_ids.size, coder_ids.size
    label_counts = np.bincount(ui * k + v, minlength=n_units * k).reshape(n_units, k).astype(float)
    posterior = label_counts / label_counts.sum(axis=1, keepdims=True)
    prior, confusion = _m_step(ui, ci, v, posterior, n_coders=n_coders, k=k, smoothing=smoothing, mirror=mirror)
    previous = -np.inf
    loglik = -np.inf
    converged = False
    iterations = 0
    while iterations < n_iter:
        iterations += 1
        posterior, loglik = _e_step(ui, ci, v, prior, confusion, n_units=n_units)
        prior, confusion = _m_step(ui, ci, v, posterior, n_coders=n_coders, k=k, smoothing=smoothing, mirror=mirror)
        if (loglik - previous) / u.size < tol:
            converged = True
            break
        previous = loglik
    return DawidSkeneFit(
        unit_ids=unit_ids,
        coder_ids=coder_ids,
        posterior=posterior,
        class_prior=prior,
        confusion=confusion,
        label_counts=np.bincount(ci * k + v, minlength=n_coders * k).reshape(n_coders, k).astype(float),
        log_likelihood=loglik,
        iterations=iterations,
        converged=converged,
    )


def side_accuracy(fit: DawidSkeneFit) -> np.ndarray:
    """Per coder (``fit.coder_ids`` order): P(answer = truth | truth and answer are both a side).

    ``Σ_{z∈{a,b}} prior_z confusion[w,z,z] / Σ_{z∈{a,b}} prior_z (confusion[w,z,a] + confusion[w,z,b])``,
    with the sides the first two categories; NaN for a rater who never answers a side.
    """
    prior = fit.class_prior[:2]
    conf = fit.confusion[:, :2, :2]
    right = (prior[None, :] * conf[:, [0, 1], [0, 1]]).sum(axis=1)
    decisive = (prior[None, :, None] * conf).sum(axis=(1, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        out = right / decisive
    out[fit.label_counts[:, :2].sum(axis=1) == 0] = np.nan
    return out


def side_reliability(fit: DawidSkeneFit) -> np.ndarray:
    """Per coder: ``max(0, 2 q − 1)`` with q = ``side_accuracy``: 0 = a coin on the side, 1 = never wrong.

    NaN for a rater with no decisive answer. Independent of how often the rater says "tie" or "both bad".
    """
    q = side_accuracy(fit)
    return np.where(np.isfinite(q), np.clip(2.0 * q - 1.0, 0.0, 1.0), np.nan)


def leaderboard_weights(reliability: dict[int, float | None], judgments_per_rater: dict[int, int]) -> dict[int, float]:
    """Per-rater weights for a Bradley–Terry fit: reliability scaled so the judgments' weights average 1.

    ``reliability``: {rater: r in [0, 1] or None}; ``judgments_per_rater``: {rater: judgments that enter
    the fit}. A rater with no reliability (no decisive answers) gets the mean reliability of the others
    (no evidence either way). Each judgment of rater w then counts ``weight[w]`` times in
    ``bradley_terry.pair_table``; the weights sum to the number of judgments. All-zero reliability (no
    rater better than a coin) gives every rater weight 1: there is nothing to prefer.
    """
    known = {w: float(r) for w, r in reliability.items() if r is not None and np.isfinite(r)}
    fill = float(np.mean(list(known.values()))) if known else 1.0
    raw = {w: known.get(w, fill) for w in judgments_per_rater}
    total = sum(judgments_per_rater.values())
    mass = sum(raw[w] * n for w, n in judgments_per_rater.items())
    if total == 0:
        return {w: 1.0 for w in judgments_per_rater}
    if mass <= 0:
        return {w: 1.0 for w in judgments_per_rater}
    return {w: raw[w] * total / mass for w in judgments_per_rater}
