"""Bradley-Terry ratings with bootstrap intervals, from aggregated pairwise counts.

Pure numpy: no Django import, so it can be tested and benchmarked alone.

Model (Bradley & Terry 1952; Hunter 2004, "MM algorithms for generalized
Bradley-Terry models"; Agresti 2002 §10.6): system i beats system j with
probability ``p_ij = 1 / (1 + exp(theta_j - theta_i))`` where ``theta`` are
natural-log strengths. Conventions, the same as Chatbot Arena / FastChat
(``fastchat/serve/monitor/rating_systems.py``) so numbers mean the same:

* a tie counts half a win for each side (outcome 0.5 in the log-likelihood
  ``w log p + (n - w) log(1 - p)``); callers decide whether "both bad" is a tie
  or dropped before calling;
* the reported score is ``1000 + 400 * log10(strength) = 1000 + 400 * theta / ln 10``;
  without an anchor the scores average 1000 (log-strengths sum to zero, which is
  what FastChat's optimiser also returns); with an anchor every score (point and
  bootstrap rounds) is shifted so the anchor system sits at ``anchor_score``.

Input is a table of *cells* ``(i, j, outcome, weight)``: system ``i`` met system
``j`` with ``outcome`` (1 = i won, 0.5 = tie, 0 = j won) ``weight`` times. Cells
are summed per unordered pair, which is all the likelihood depends on.

Prior rule (documented in docs/leaderboards.md and returned in the result):
the maximum-likelihood estimate exists iff the "got credit against" digraph
(edge i→j when i won or tied against j at least once) is strongly connected
(Zermelo 1929; Ford 1957; Hunter 2004 Assumption 1). When it exists we return
the exact MLE (no prior). When it does not (a system with no wins, one with no
losses, or a disconnected comparison graph) the MLE is infinite or not unique,
and we maximise the penalised likelihood ``loglik - (λ/2) Σ theta²`` with
``λ = prior_strength`` (default 0.01, a N(0, 10²) prior on natural-log
strengths): every score is finite, each connected component is centred on 1000
and scores across components are not comparable. Bootstrap rounds use the same
λ, or ``BOOTSTRAP_FLOOR`` (1e-4) when the point fit needed none, so a resample
that happens to break the condition stays finite (its far-out value then widens
that system's interval, which is the honest answer).

Fitting: Newton's method on the (K x K) Hessian; gauge fixed by the ``11ᵀ/K``
term when λ = 0. Bootstrap (Efron 1979; FastChat resamples the same way):
multinomial resampling of the cell counts, which is exactly resampling the
judgments with replacement; all rounds are solved at once by chord-Newton
iterations (the point fit's Hessian, factorised once, is reused for every
round, warm-started at the point estimate), with a full batched Newton
fallback for rounds that have not converged.
"""

from __future__ import annotations

import math
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np

LN10 = math.log(10.0)
DEFAULT_SCALE = 400.0
DEFAULT_INIT = 1000.0
DEFAULT_PRIOR = 0.01
BOOTSTRAP_FLOOR = 1e-4
DEFAULT_ROUNDS = 1000


@dataclass
class PairTable:
    """Counts per unordered pair ``left[p] < right[p]``: ``total`` battles, ``credit`` = wins of left + ties/2."""

    n_systems: int
    left: np.ndarray
    right: np.ndarray
    left_wins: np.ndarray
    ties: np.ndarray
    right_wins: np.ndarray

    @property
    def total(self) -> np.ndarray:
        return self.left_wins + self.ties + self.right_wins

    @property
    def credit(self) -> np.ndarray:
        return self.left_wins + 0.5 * self.ties


@dataclass
class BTFit:
    """A point fit. ``theta``: natural-log strengths (sum zero per component unless anchored)."""

    theta: np.ndarray
    scores: np.ndarray
    prior_strength: float
    mle_exists: bool
    n_components: int
    iterations: int
    converged: bool
    anchor: int | None = None
    anchor_score: float | None = None
    meta: dict = field(default_factory=dict)


def pair_table(
    i: np.ndarray, j: np.ndarray, outcome: np.ndarray, weight: np.ndarray | None = None, *, n_systems: int
) -> PairTable:
    """Sum cells ``(i, j, outcome, weight)`` into one row per unordered pair.

    ``outcome`` is i's result: 1 win, 0.5 tie, 0 loss. Self-pairs and zero weights are
    rejected/ignored; indices must lie in ``[0, n_systems)``.
    """
    i = np.asarray(i, dtype=np.int64).ravel()
    j = np.asarray(j, dtype=np.int64).ravel()
    outcome = np.asarray(outcome, dtype=np.float64).ravel()
    weight = np.ones(i.shape, dtype=np.float64) if weight is None else np.asarray(weight, dtype=np.float64).ravel()
    if not (i.shape == j.shape == outcome.shape == weight.shape):
        raise ValueError("i, j, outcome and weight must have the same length")
    if i.size and (i.min() < 0 or j.min() < 0 or i.max() >= n_systems or j.max() >= n_systems):
        raise ValueError("system index out of range")
    if np.any(i == j):
        raise ValueError("a system cannot be compared with itself (i == j)")
    if np.any(weight < 0) or not np.all(np.isfinite(weight)):
        raise ValueError("weights must be finite and non-negative")
    if not np.all(np.isin(outcome, (0.0, 0.5, 1.0))):
        raise ValueError("outcome must be 1 (i won), 0.5 (tie) or 0 (j won)")
    lo = np.minimum(i, j)
    hi = np.maximum(i, j)
    # outcome from the point of view of the lower index
    lo_outcome = np.where(i == lo, outcome, 1.0 - outcome)
    key = lo * n_systems + hi
    keys, inv = np.unique(key, return_inverse=True)
    m = keys.size
    lw = np.bincount(inv, weights=weight * (lo_outcome == 1.0), minlength=m)
    tw = np.bincount(inv, weights=weight * (lo_outcome == 0.5), minlength=m)
    rw = np.bincount(inv, weights=weight * (lo_outcome == 0.0), minlength=m)
    keep = (lw + tw + rw) > 0
    keys = keys[keep]
    return PairTable(n_systems, keys // n_systems, keys % n_systems, lw[keep], tw[keep], rw[keep])


def _reachable(adj: np.ndarray, start: int) -> np.ndarray:
    seen = np.zeros(adj.shape[0], dtype=bool)
    seen[start] = True
    frontier = seen.copy()
    while frontier.any():
        nxt = adj[frontier].any(axis=0) & ~seen
        seen |= nxt
        frontier = nxt
    return seen


def mle_exists(table: PairTable) -> bool:
    """True iff the digraph "i won or tied against j at least once" is strongly connected (Hunter 2004, A1)."""
    k = table.n_systems
    if k <= 1:
        return True
    adj = np.zeros((k, k), dtype=bool)
    credit_left = table.left_wins + table.ties > 0
    credit_right = table.right_wins + table.ties > 0
    adj[table.left[credit_left], table.right[credit_left]] = True
    adj[table.right[credit_right], table.left[credit_right]] = True
    return bool(_reachable(adj, 0).all() and _reachable(adj.T, 0).all())


def component_labels(table: PairTable) -> np.ndarray:
    """Label (0, 1, ...) of each system's connected component in the undirected comparison graph."""
    k = table.n_systems
    adj = np.zeros((k, k), dtype=bool)
    adj[table.left, table.right] = True
    adj[table.right, table.left] = True
    labels = np.full(k, -1, dtype=np.int64)
    count = 0
    while (labels < 0).any():
        start = int(np.flatnonzero(labels < 0)[0])
        labels[_reachable(adj, start)] = count
        count += 1
    return labels


def n_components(table: PairTable) -> int:
    """Number of connected components of the (undirected) comparison graph."""
    labels = component_labels(table)
    return int(labels.max()) + 1 if labels.size else 0


def _centering(labels: np.ndarray) -> np.ndarray:
    """(K, K) matrix M with θ - θ @ M = θ minus its component mean."""
    same = (labels[:, None] == labels[None, :]).astype(np.float64)
    return same / same.sum(axis=0, keepdims=True)


def _expit(x: np.ndarray) -> np.ndarray:
    """The logistic function, overflow-safe (exp of a large positive argument gives inf → 0)."""
    with np.errstate(over="ignore"):
        y = np.exp(-x)
    y += 1.0
    return np.reciprocal(y, out=y)


def _incidence(table: PairTable) -> np.ndarray:
    """Dense (pairs x systems) matrix with +1 at the left system and -1 at the right one."""
    b = np.zeros((table.left.size, table.n_systems))
    rows = np.arange(table.left.size)
    b[rows, table.left] = 1.0
    b[rows, table.right] = -1.0
    return b


def _gradient(theta: np.ndarray, pairs: tuple[np.ndarray, ...], lam) -> np.ndarray:
    """Gradient of the penalised log-likelihood for one (K,) or many (R, K) theta vectors."""
    left, right, total, credit = pairs
    d = theta[..., left] - theta[..., right]
    resid = credit - total * _expit(d)
    g = _scatter_pairs(resid, left, right, theta.shape[-1])
    return g - np.asarray(lam)[..., None] * theta if theta.ndim > 1 else g - lam * theta


def _scatter_pairs(values: np.ndarray, left: np.ndarray, right: np.ndarray, k: int) -> np.ndarray:
    """Per-system sums of per-pair ``values`` (P,) or (R, P): +value at the left system, -value at the right."""
    if values.ndim == 1:
        return np.bincount(left, weights=values, minlength=k) - np.bincount(right, weights=values, minlength=k)
    r = values.shape[0]
    offs = (np.arange(r) * k)[:, None]
    g = np.bincount((offs + left).ravel(), weights=values.ravel(), minlength=r * k) - np.bincount(
        (offs + right).ravel(), weights=values.ravel(), minlength=r * k
    )
    return g.reshape(r, k)


def _hessian(theta: np.ndarray, left: np.ndarray, right: np.ndarray, total: np.ndarray, lam) -> np.ndarray:
    """Negative Hessian (a weighted graph Laplacian + λI) for (K,) or (R, K) theta; gauge term added when λ = 0."""
    k = theta.shape[-1]
    c = total * _expit(theta[..., left] - theta[..., right]) * _expit(theta[..., right] - theta[..., left])
    h = _laplacian(c, left, right, k)
    idx = np.arange(k)
    diag = h[..., idx, idx]
    lam = np.asarray(lam, dtype=np.float64)
    h[..., idx, idx] = diag + lam[..., None] if lam.ndim else diag + lam
    gauge = np.where(lam > 0, 0.0, 1.0 / k)
    h += np.asarray(gauge)[..., None, None] if lam.ndim else gauge
    return h


def _laplacian(c: np.ndarray, left: np.ndarray, right: np.ndarray, k: int) -> np.ndarray:
    """(K, K) or (R, K, K) weighted graph Laplacian of per-pair weights ``c`` (P,) or (R, P)."""
    batch = c.shape[:-1]
    h = np.zeros((*batch, k * k))
    h[..., left * k + right] = -c
    h[..., right * k + left] = -c
    h = h.reshape(*batch, k, k)
    idx = np.arange(k)
    h[..., idx, idx] = -h.sum(axis=-1)
    return h


def _damped_newton(x, gradient_hessian, *, max_iter: int, tol: float) -> tuple[np.ndarray, int, bool]:
    """Newton's method on ``x`` (N,) or (R, N): ``gradient_hessian(x)`` returns the gradient and the negative
    Hessian of the objective; steps longer than 5 (max norm) are shortened to 5; stops when a step is < tol."""
    for it in range(1, max_iter + 1):
        g, h = gradient_hessian(x)
        step = np.linalg.solve(h, g[..., None])[..., 0]
        # damp huge steps (far from the optimum in the flat tails of the logistic)
        big = np.abs(step).max()
        if big > 5.0:
            step *= 5.0 / big
        x = x + step
        if big < tol:
            return x, it, True
    return x, max_iter, False


def _newton(theta, pairs: tuple[np.ndarray, ...], lam, *, max_iter: int, tol: float) -> tuple[np.ndarray, int, bool]:
    left, right, total, _ = pairs

    def gradient_hessian(th):
        return _gradient(th, pairs, lam), _hessian(th, left, right, total, lam)

    return _damped_newton(theta, gradient_hessian, max_iter=max_iter, tol=tol)


def to_scores(theta: np.ndarray, *, scale: float = DEFAULT_SCALE, init: float = DEFAULT_INIT) -> np.ndarray:
    """Natural-log strengths → the arena scale ``init + scale * log10(strength)``."""
    return init + scale * np.asarray(theta) / LN10


def fit_bradley_terry(
    table: PairTable,
    *,
    prior_strength: float = DEFAULT_PRIOR,
    force_prior: bool = False,
    anchor: int | None = None,
    anchor_score: float = DEFAULT_INIT,
    scale: float = DEFAULT_SCALE,
    init: float = DEFAULT_INIT,
    max_iter: int = 100,
    tol: float = 1e-10,
) -> BTFit:
    """Maximum-likelihood Bradley-Terry fit of a `PairTable` (see the module docstring for the prior rule).

    Returns a `BTFit`: ``theta`` natural-log strengths (sum zero when unanchored and connected),
    ``scores`` on the arena scale (anchored if ``anchor`` is a system index), and what prior was used.
    """
    k = table.n_systems
    exists = mle_exists(table)
    lam = float(prior_strength) if (force_prior or not exists) else 0.0
    theta = np.zeros(k)
    pairs = (table.left, table.right, table.total, table.credit)
    theta, iters, ok = _newton(theta, pairs, lam, max_iter=max_iter, tol=tol)
    scores = to_scores(theta, scale=scale, init=init)
    if anchor is not None:
        scores = scores + (anchor_score - scores[anchor])
    return BTFit(
        theta=theta,
        scores=scores,
        prior_strength=lam,
        mle_exists=exists,
        n_components=n_components(table),
        iterations=iters,
        converged=ok,
        anchor=anchor,
        anchor_score=anchor_score if anchor is not None else None,
    )


@dataclass
class _BootstrapProblem:
    """What every bootstrap chunk needs (small: pickled once per worker process)."""

    left: np.ndarray
    right: np.ndarray
    cell_pair: np.ndarray
    cell_credit: np.ndarray
    pvals: np.ndarray
    n_total: int
    theta0: np.ndarray
    h0_inv: np.ndarray
    center: np.ndarray
    inc_t: np.ndarray
    lam: float
    max_chord_iter: int
    tol: float


def _bootstrap_chunk(problem: _BootstrapProblem, seed: np.random.SeedSequence, r: int) -> np.ndarray:
    """Draw ``r`` multinomial resamples with their own seed and solve them together; returns theta (r, K)."""
    pr = problem
    n_pairs = pr.left.size
    counts = np.random.default_rng(seed).multinomial(pr.n_total, pr.pvals, size=r).astype(np.float64)
    flat = ((np.arange(r) * n_pairs)[:, None] + pr.cell_pair).ravel()
    total = np.bincount(flat, weights=counts.ravel(), minlength=r * n_pairs).reshape(r, n_pairs)
    credit = np.bincount(flat, weights=(counts * pr.cell_credit).ravel(), minlength=r * n_pairs).reshape(r, n_pairs)
    # Chord-Newton in float32 (twice the throughput) to a step < tol (2e-5 = 0.0035 points), far below the
    # bootstrap's own noise; a round that does not get there is refitted by float64 Newton.
    f32 = np.float32
    th_all = np.repeat(pr.theta0[None, :], r, axis=0).astype(f32)
    inc_t, h0, center = pr.inc_t.astype(f32), pr.h0_inv.astype(f32), pr.center.astype(f32)
    tot, cred, lam = total.astype(f32), credit.astype(f32), f32(pr.lam)
    active = np.ones(r, dtype=bool)
    for _ in range(pr.max_chord_iter):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        th = th_all[idx]
        resid = cred[idx] - tot[idx] * _expit(th @ inc_t)
        # (K x P) @ (P x R): this orientation is ~10x faster in BLAS than resid @ inc
        step = ((inc_t @ resid.T).T - lam * th) @ h0
        np.clip(step, -5.0, 5.0, out=step)
        step -= step @ center
        th_all[idx] += step
        active[idx] = np.abs(step).max(axis=1) >= pr.tol
    theta = th_all.astype(np.float64)
    idx = np.flatnonzero(active)
    if idx.size:
        pairs = (pr.left, pr.right, total[idx], credit[idx])
        theta[idx], _, _ = _newton(theta[idx], pairs, np.full(idx.size, pr.lam), max_iter=50, tol=pr.tol)
    return theta


_WORKER_PROBLEM: object | None = None
_WORKER_SOLVE = None


def _init_worker(problem: object, solve) -> None:
    global _WORKER_PROBLEM, _WORKER_SOLVE  # one problem per worker process, set by the pool initializer
    _WORKER_PROBLEM, _WORKER_SOLVE = problem, solve


def _worker_chunk(args: tuple[np.random.SeedSequence, int]):
    assert _WORKER_PROBLEM is not None and _WORKER_SOLVE is not None
    return _WORKER_SOLVE(_WORKER_PROBLEM, *args)


def bootstrap_bradley_terry(
    table: PairTable,
    fit: BTFit,
    *,
    rounds: int = DEFAULT_ROUNDS,
    seed: int | None = 0,
    chunk: int = 125,
    workers: int = 1,
    scale: float = DEFAULT_SCALE,
    init: float = DEFAULT_INIT,
    max_chord_iter: int = 30,
    tol: float = 2e-5,
) -> np.ndarray:
    """Bootstrap scores, shape ``(rounds, K)``, on the same scale/anchor as ``fit``.

    Each round draws the cell counts (pair × {left win, tie, right win}) from a
    multinomial with the observed total and observed cell frequencies — the same
    as resampling judgments with replacement (FastChat's ``compute_bootstrap_bt``
    does the same). Counts must be whole numbers for this to be a resample.
    Rounds are solved in chunks of ``chunk``: chord-Newton from the point
    estimate with the point Hessian (inverted once), then full Newton for any
    round left over.

    Seeding: chunk ``c`` draws from ``SeedSequence(seed).spawn(n_chunks)[c]``, so
    the result depends on ``seed`` and ``chunk`` only — not on ``workers``.
    ``workers > 1`` solves chunks in that many forked processes (like FastChat's
    pool); it falls back to one process where forking is not possible (e.g. inside
    a daemonic Celery prefork child).
    """
    k = table.n_systems
    lam = fit.prior_strength if fit.prior_strength > 0 else BOOTSTRAP_FLOOR
    cells = np.concatenate([table.left_wins, table.ties, table.right_wins])
    cell_pair = np.tile(np.arange(table.left.size), 3)
    cell_credit = np.repeat([1.0, 0.5, 0.0], table.left.size)
    keep = cells > 0
    cells, cell_pair, cell_credit = cells[keep], cell_pair[keep], cell_credit[keep]
    n_total = round(float(cells.sum()))
    if n_total == 0 or k == 0:
        return np.repeat(fit.scores[None, :], rounds, axis=0)
    # The optimum has zero mean within each connected component (the likelihood gradient sums to zero there
    # and the L2 prior pulls the mean to 0), so iterates are centred per component and the chord matrix gets a
    # per-component gauge term instead of the tiny λ in that direction (which float rounding would amplify).
    center = _centering(component_labels(table))
    h0 = _hessian(fit.theta, table.left, table.right, table.total, lam) + center
    problem = _BootstrapProblem(
        left=table.left,
        right=table.right,
        cell_pair=cell_pair,
        cell_credit=cell_credit,
        pvals=cells / cells.sum(),
        n_total=n_total,
        theta0=fit.theta,
        h0_inv=np.linalg.inv(h0),
        center=center,
        inc_t=np.ascontiguousarray(_incidence(table).T),
        lam=lam,
        max_chord_iter=max_chord_iter,
        tol=tol,
    )
    thetas = run_chunks(problem, chunk_jobs(rounds, chunk, seed), workers=workers)
    return rounds_to_scores(
        np.concatenate(thetas), anchor=fit.anchor, anchor_score=fit.anchor_score, scale=scale, init=init
    )


def rounds_to_scores(
    theta: np.ndarray, *, anchor: int | None, anchor_score: float | None, scale: float, init: float
) -> np.ndarray:
    """Bootstrap log-strengths (R, K) → scores on the arena scale, every round shifted so ``anchor`` sits at
    ``anchor_score`` (``init`` when None) if an anchor is set."""
    out = to_scores(theta, scale=scale, init=init)
    if anchor is not None:
        target = anchor_score if anchor_score is not None else init
        out += (target - out[:, anchor])[:, None]
    return out


def chunk_jobs(rounds: int, chunk: int, seed: int | None) -> list[tuple[np.random.SeedSequence, int]]:
    """Split ``rounds`` into chunks of ``chunk``; chunk ``c`` gets ``SeedSequence(seed).spawn(n_chunks)[c]``."""
    sizes = [min(chunk, rounds - start) for start in range(0, rounds, chunk)]
    return list(zip(np.random.SeedSequence(seed).spawn(len(sizes)), sizes, strict=True))


def run_chunks(problem, jobs: list, *, workers: int, solve=None) -> list:
    """``[solve(problem, seed, r) for seed, r in jobs]``, in ``workers`` forked processes when that is possible.

    ``solve`` is a module-level function (default: this module's Bradley-Terry chunk solver); ``problem`` is
    handed to each worker once. Results come back in job order, so they do not depend on ``workers``.
    Falls back to one process where forking is not possible (e.g. inside a daemonic Celery prefork child).
    """
    solve = _bootstrap_chunk if solve is None else solve
    if workers > 1 and len(jobs) > 1 and not multiprocessing.current_process().daemon:
        try:
            ctx = multiprocessing.get_context("fork")
        except ValueError:  # pragma: no cover - platforms without fork
            ctx = None
        if ctx is not None:
            with ProcessPoolExecutor(
                max_workers=min(workers, len(jobs)),
                mp_context=ctx,
                initializer=_init_worker,
                initargs=(problem, solve),
            ) as pool:
                return list(pool.map(_worker_chunk, jobs))
    return [solve(problem, seed, r) for seed, r in jobs]


def percentile_intervals(samples: np.ndarray, *, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bootstrap interval per column: the (1-level)/2 and (1+level)/2 quantiles."""
    lo = np.quantile(samples, (1.0 - level) / 2.0, axis=0)
    hi = np.quantile(samples, (1.0 + level) / 2.0, axis=0)
    return lo, hi


def arena_rank(lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Chatbot Arena's rank: 1 + the number of systems whose lower bound is above this one's upper bound."""
    lower = np.asarray(lower)
    upper = np.asarray(upper)
    return 1 + (lower[None, :] > upper[:, None]).sum(axis=1)


def predicted_win_rate(scores: np.ndarray, *, scale: float = DEFAULT_SCALE) -> np.ndarray:
    """BT-predicted probability that row beats column: ``1 / (1 + 10^((s_j - s_i)/scale))``; diagonal NaN."""
    s = np.asarray(scores, dtype=np.float64)
    p = 1.0 / (1.0 + np.power(10.0, (s[None, :] - s[:, None]) / scale))
    np.fill_diagonal(p, np.nan)
    return p


def average_win_rate(scores: np.ndarray, *, scale: float = DEFAULT_SCALE) -> np.ndarray:
    """Mean predicted win rate of each system against all others (uniform opponent), as arenas show it."""
    p = predicted_win_rate(scores, scale=scale)
    if p.shape[0] < 2:
        return np.full(p.shape[0], np.nan)
    return np.nanmean(p, axis=1)
