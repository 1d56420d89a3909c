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

Fitting: Newton's method on the (K x K) Hessian with backtracking; gauge fixed by the ``11ᵀ/K`` term when
λ = 0.

Leaderboards with honest uncertainty (issue 15) go through `bradley_terry_intervals` on `Cells` — counts
that carry cluster ids (rater, prompt, ranking …) and optional fractional per-judgment weights:

* `comparison_groups` ranks only the largest strongly connected group, where the exact MLE exists; systems
  with only wins or only losses against it are *unbounded* and systems never ordered against it *not
  comparable* — they get no score and no rank instead of a number set by the prior;
* `bootstrap_cells` resamples single judgments (multinomial, as FastChat), whole clusters (Davison &
  Hinkley 1997 §3.8) or crossed clusterings with a product of independent multiplicities (Owen 2007,
  "The pigeonhole bootstrap"); a round weighs a cell ``count × weight × Π multiplicities``;
* the cluster bootstraps' spread is rescaled to the cluster-robust (sandwich) variance — for two-way the
  multiway variance of Cameron, Gelbach & Miller (2011), since the pigeonhole's counts the judgment-level
  variance up to three times — and widened by ``t_{G−1}/z`` for few clusters (`cluster_spread_factor`);
  bench/bench_coverage.py and docs/leaderboards.md show why;
* percentile score intervals and rank intervals (`rank_intervals`) from the same rounds.

Solving the rounds: all rounds of a block are solved together by chord-Newton (the point fit's Hessian,
inverted once, reused for every round and iteration, warm-started at the point estimate; a round stops when
its estimated remaining error is below the tolerance), on a sparse pair ↔ system incidence (gathers and
segment sums, never a dense pairs × systems matrix), with a float64 Newton fallback for rounds that do not
contract. Memory is bounded by working in blocks of rounds (`_BLOCK_ELEMENTS`), so 1,000 systems need no
dense (rounds × K × K) or (pairs × K) arrays.
"""

from __future__ import annotations

import math
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from statistics import NormalDist

import numpy as np

from ratings.stats.student_t import t_quantile

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


#: Up to this many possible pairs (K² ≤ 2²², K ≤ 2048) cells are counted into a dense pair index.
_DIRECT_PAIRS = 1 << 22


def _check_battles(i: np.ndarray, j: np.ndarray, outcome: np.ndarray, weight: np.ndarray, *, n_systems: int) -> None:
    """The checks every table of battles gets: equal lengths, indices in range, no self-pairs, outcomes."""
    if not (i.shape == j.shape == outcome.shape == weight.shape):
        raise ValueError("i, j, outcome and weight must have the same length")
    bad = np.flatnonzero((i < 0) | (j < 0) | (i >= n_systems) | (j >= n_systems))
    if bad.size:
        c = int(bad[0])
        raise ValueError(f"system index out of range: cell {c} has i={i[c]}, j={j[c]} (n_systems={n_systems})")
    bad = np.flatnonzero(i == j)
    if bad.size:
        raise ValueError(f"a system cannot be compared with itself (i == j): cell {int(bad[0])}, system {i[bad[0]]}")
    bad = np.flatnonzero(~np.isfinite(weight) | (weight < 0))
    if bad.size:
        raise ValueError(f"weights must be finite and non-negative: cell {int(bad[0])} has {weight[bad[0]]!r}")
    bad = np.flatnonzero(~np.isin(outcome, (0.0, 0.5, 1.0)))
    if bad.size:
        c = int(bad[0])
        raise ValueError(f"outcome must be 1 (i won), 0.5 (tie) or 0 (j won): cell {c} has {outcome[c]!r}")


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
    _check_battles(i, j, outcome, weight, n_systems=n_systems)
    lo = np.minimum(i, j)
    hi = np.maximum(i, j)
    # outcome from the point of view of the lower index
    lo_outcome = np.where(i == lo, outcome, 1.0 - outcome)
    key = lo * n_systems + hi
    if n_systems * n_systems <= _DIRECT_PAIRS:  # count straight into every possible pair: no sort
        keys, inv, m = np.arange(n_systems * n_systems), key, n_systems * n_systems
    else:
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


def _component_sums(x: np.ndarray, labels: np.ndarray, n: int) -> np.ndarray:
    """(R, K) → (R, n): each row's sum over the systems of each component."""
    if n == 1:
        return x.sum(axis=1, keepdims=True)
    out = np.zeros((x.shape[0], n), dtype=x.dtype)
    np.add.at(out.T, labels, x.T)
    return out


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
    """Dense (pairs x systems) matrix with +1 at the left system and -1 at the right one (the style-controlled
    fit's chord iterations use it; the plain bootstrap uses the sparse `_Incidence`)."""
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


def _objective(theta: np.ndarray, pairs: tuple[np.ndarray, ...], lam) -> np.ndarray:
    """The penalised log-likelihood of one (K,) or many (R, K) theta vectors."""
    left, right, total, credit = pairs
    d = theta[..., left] - theta[..., right]
    ll = -(credit * np.logaddexp(0.0, -d) + (total - credit) * np.logaddexp(0.0, d)).sum(axis=-1)
    return ll - 0.5 * np.asarray(lam) * (theta * theta).sum(axis=-1)


def _newton(theta, pairs: tuple[np.ndarray, ...], lam, *, max_iter: int, tol: float) -> tuple[np.ndarray, int, bool]:
    """Newton's method on the penalised log-likelihood, for one (K,) or many (R, K) theta vectors.

    Each row's step is capped at 5 (natural-log units) and halved until the objective does not decrease
    (backtracking; plain Newton can cycle far out in the logistic's flat tails). A row stops when its
    largest step is below ``tol``. Returns (theta, iterations, every row converged).
    """
    single = np.ndim(theta) == 1
    left, right, total, credit = pairs
    th = np.array(theta, dtype=np.float64, ndmin=2)
    r = th.shape[0]
    lam_all = np.broadcast_to(np.asarray(lam, dtype=np.float64), (r,)).copy()
    tot = np.broadcast_to(total, (r, left.size))
    cred = np.broadcast_to(credit, (r, left.size))
    active = np.ones(r, dtype=bool)
    it = 0
    while it < max_iter:
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        it += 1
        sub = (left, right, tot[idx], cred[idx])
        lam_i = lam_all[idx]
        t = th[idx]
        g = _gradient(t, sub, lam_i)
        h = _hessian(t, left, right, tot[idx], lam_i)
        step = np.linalg.solve(h, g[..., None])[..., 0]
        big = np.abs(step).max(axis=1)
        step *= np.minimum(1.0, 5.0 / np.maximum(big, 1e-300))[:, None]
        f0 = _objective(t, sub, lam_i)
        scale = np.ones(idx.size)
        for _ in range(40):
            worse = _objective(t + scale[:, None] * step, sub, lam_i) < f0 - 1e-12 * np.abs(f0)
            if not worse.any():
                break
            scale[worse] *= 0.5
        step *= scale[:, None]
        th[idx] = t + step
        active[idx] = np.abs(step).max(axis=1) >= tol
    ok = not active.any()
    return (th[0] if single else th), it, ok


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


# --------------------------------------------------------------------------------------------------------
# Cells that carry cluster ids


#: Named resampling schemes: which cluster ids a bootstrap round resamples (none = single judgments).
RESAMPLE_METHODS: dict[str, tuple[str, ...]] = {
    "judgment": (),
    "rater": ("rater",),
    "prompt": ("prompt",),
    "two_way": ("rater", "prompt"),
    "pigeonhole": ("rater", "prompt"),
}
#: Methods whose bootstrap spread is left as drawn (see `bradley_terry_intervals`); every other cluster
#: scheme gets the cluster-robust variance and the small-sample widening (`cluster_spread_factor`).
UNCORRECTED_METHODS = frozenset({"pigeonhole"})


@dataclass(frozen=True)
class Cells:
    """Judgment counts with the clusters they came from: cell ``c`` says system ``i[c]`` met ``j[c]`` with
    ``outcome[c]`` (1 = i won, 0.5 = tie, 0 = j won) ``count[c]`` times, each judgment weighing
    ``weight[c]`` (1 unless a weighting scheme says otherwise), inside cluster ``clusters[name][c]`` of each
    named clustering (e.g. ``"rater"``, ``"prompt"``, ``"ranking"``). Cluster ids are dense, ``0 ..
    n_clusters[name] - 1`` (`make_cells` renumbers them in sorted order of the ids given)."""

    n_systems: int
    i: np.ndarray
    j: np.ndarray
    outcome: np.ndarray
    count: np.ndarray
    weight: np.ndarray
    clusters: dict[str, np.ndarray]
    n_clusters: dict[str, int]

    @property
    def n_judgments(self) -> float:
        return float(self.count.sum())

    @cached_property
    def pair_sums(self) -> PairTable:
        """The per-pair sums the likelihood needs (each cell counts ``count × weight``), computed once."""
        return pair_table(self.i, self.j, self.outcome, self.count * self.weight, n_systems=self.n_systems)

    def table(self) -> PairTable:
        """The per-pair sums the likelihood needs (`pair_sums`)."""
        return self.pair_sums

    def subset(self, keep: np.ndarray) -> Cells:
        """The cells where ``keep`` is True, cluster ids renumbered densely over what is left."""
        keep = np.asarray(keep, dtype=bool)
        clusters, n_clusters = {}, {}
        for name, ids in self.clusters.items():
            clusters[name], n_clusters[name] = _dense_ids(ids[keep])
        return Cells(
            self.n_systems,
            self.i[keep],
            self.j[keep],
            self.outcome[keep],
            self.count[keep],
            self.weight[keep],
            clusters,
            n_clusters,
        )


def make_cells(
    i,
    j,
    outcome,
    count=None,
    *,
    n_systems: int,
    weight=None,
    clusters: dict[str, np.ndarray] | None = None,
) -> Cells:
    """Validate and build `Cells` from parallel arrays (one entry per cell).

    ``count`` defaults to 1 (one judgment per cell) and must be finite and non-negative (whole numbers if
    you resample single judgments); ``weight`` (default 1) is a finite, non-negative per-judgment weight
    that may be fractional (quality weights, rank-breaking weights). ``clusters`` maps a clustering name to
    one id per cell (any integers or strings). Cells with zero count or weight are dropped. Errors name the
    offending array and the first bad cell.
    """
    i = np.asarray(i, dtype=np.int64).ravel()
    n = i.size
    j = np.asarray(j, dtype=np.int64).ravel()
    outcome = np.asarray(outcome, dtype=np.float64).ravel()
    count = np.ones(n) if count is None else np.asarray(count, dtype=np.float64).ravel()
    weight = np.ones(n) if weight is None else np.asarray(weight, dtype=np.float64).ravel()
    arrays = {"j": j, "outcome": outcome, "count": count, "weight": weight}
    arrays.update({f"clusters[{name!r}]": np.asarray(ids).ravel() for name, ids in (clusters or {}).items()})
    for name, values in arrays.items():
        if values.size != n:
            raise ValueError(f"{name} has {values.size} entries; i has {n} (one per cell)")
    for name, values in (("count", count), ("weight", weight)):
        bad = np.flatnonzero(~np.isfinite(values) | (values < 0))
        if bad.size:
            raise ValueError(f"{name} must be finite and non-negative: cell {bad[0]} has {values[bad[0]]!r}")
    _check_battles(i, j, outcome, count * weight, n_systems=n_systems)
    keep = (count > 0) & (weight > 0)
    dense, sizes = {}, {}
    for name, ids in (clusters or {}).items():
        dense[name], sizes[name] = _dense_ids(np.asarray(ids).ravel()[keep])
    return Cells(n_systems, i[keep], j[keep], outcome[keep], count[keep], weight[keep], dense, sizes)


def resample_names(resample: str | tuple[str, ...] | list[str], cells: Cells | None = None) -> tuple[str, ...]:
    """The cluster names a resampling scheme resamples: a name of `RESAMPLE_METHODS` or a tuple of names."""
    if isinstance(resample, str):
        if resample not in RESAMPLE_METHODS:
            known = ", ".join(RESAMPLE_METHODS)
            raise ValueError(f"unknown resampling {resample!r}; expected one of {known} or a tuple of cluster names")
        names = RESAMPLE_METHODS[resample]
    else:
        names = tuple(resample)
    if len(set(names)) != len(names):
        raise ValueError(f"a cluster name appears twice in {names!r}")
    if cells is not None:
        missing = [name for name in names if name not in cells.clusters]
        if missing:
            have = ", ".join(cells.clusters) or "none"
            raise ValueError(f"cells carry no {missing[0]!r} cluster ids (they carry: {have})")
    return names


def method_label(names: tuple[str, ...], *, corrected: bool = True) -> str:
    """A stable label for a resampling scheme: its `RESAMPLE_METHODS` name, else the names joined by '+'
    (with ``+raw`` when a cluster scheme is left without the small-sample / multiway correction)."""
    raw = bool(names) and not corrected
    for label, value in RESAMPLE_METHODS.items():
        if value == names and (label in UNCORRECTED_METHODS) == raw:
            return label
    return "+".join(names) + ("+raw" if raw else "")


# --------------------------------------------------------------------------------------------------------
# Bootstrap engine: draw rounds, aggregate them per pair, solve them together

#: Float32 elements per working array: bounds the memory of a block of rounds (32 MiB per array).
_BLOCK_ELEMENTS = 1 << 23


@dataclass
class _Incidence:
    """Sparse pair ↔ system incidence: differences θ_left − θ_right and their transpose, for (R, ·) blocks."""

    n_systems: int
    left: np.ndarray
    right: np.ndarray
    left_sys: np.ndarray
    left_starts: np.ndarray
    left_counts: np.ndarray
    right_order: np.ndarray
    right_sys: np.ndarray
    right_starts: np.ndarray

    @classmethod
    def of(cls, left: np.ndarray, right: np.ndarray, n_systems: int) -> _Incidence:
        order = np.argsort(left, kind="stable")
        if not np.array_equal(order, np.arange(left.size)):
            raise ValueError("pairs must be sorted by their left system")  # pair_table guarantees it
        left_sys, left_starts = np.unique(left, return_index=True)
        right_order = np.argsort(right, kind="stable")
        right_sys, right_starts = np.unique(right[right_order], return_index=True)
        left_counts = np.diff(np.r_[left_starts, left.size])
        return cls(n_systems, left, right, left_sys, left_starts, left_counts, right_order, right_sys, right_starts)

    def diff(self, theta: np.ndarray) -> np.ndarray:
        # pairs are sorted by their left system: θ_left is a repeat (a sequential copy), θ_right a gather
        d = np.repeat(theta[:, self.left_sys], self.left_counts, axis=1)
        d -= np.take(theta, self.right, axis=1)
        return d

    def scatter_both(self, x: np.ndarray) -> np.ndarray:
        """(R, pairs) → (R, systems): + at both systems of each pair (e.g. each system's information)."""
        g = np.zeros((x.shape[0], self.n_systems), dtype=x.dtype)
        if x.shape[1] == 0:
            return g
        g[:, self.left_sys] = np.add.reduceat(x, self.left_starts, axis=1)
        g[:, self.right_sys] += np.add.reduceat(np.take(x, self.right_order, axis=1), self.right_starts, axis=1)
        return g

    def scatter(self, resid: np.ndarray) -> np.ndarray:
        """(R, pairs) → (R, systems): + at each pair's left system, − at its right one."""
        g = np.zeros((resid.shape[0], self.n_systems), dtype=resid.dtype)
        if resid.shape[1] == 0:
            return g
        g[:, self.left_sys] = np.add.reduceat(resid, self.left_starts, axis=1)
        g[:, self.right_sys] -= np.add.reduceat(np.take(resid, self.right_order, axis=1), self.right_starts, axis=1)
        return g


@dataclass
class _BootstrapProblem:
    """What every bootstrap chunk needs (pickled once per worker process).

    Units are what a round reweights: aggregated (pair, outcome) cells for per-judgment resampling, cells
    with their cluster ids otherwise; they are sorted by group ``outcome class · pairs + pair`` (class 0 =
    the left system won, 1 = tie, 2 = the right system won)."""

    inc: _Incidence
    n_pairs: int
    unit_group: np.ndarray
    group_present: np.ndarray
    group_starts: np.ndarray
    pair_starts: np.ndarray  # cluster units: sorted pair-major, each pair's first unit (every pair has one)
    unit_credit: np.ndarray  # cluster units: 1, 0.5 or 0 — the left system's credit per judgment
    unit_base: np.ndarray
    unit_base32: np.ndarray
    unit_base_is_one: bool
    draw: str  # "multinomial" | "uniform_index" | "clusters"
    pvals: np.ndarray
    n_total: int
    unit_of_judgment: np.ndarray
    factors: tuple[np.ndarray, ...]
    n_clusters: tuple[int, ...]
    theta0: np.ndarray
    pair_total32: np.ndarray
    h0_inv: np.ndarray
    center: np.ndarray
    component: np.ndarray
    lam: float
    max_chord_iter: int
    tol: float


def _cell_groups(cells: Cells, keys: np.ndarray) -> np.ndarray:
    """Each cell's group ``outcome class · P + pair`` (pairs by sorted key ``lo · K + hi``; class 0 = the lower
    index won, 1 = tie, 2 = the higher index won)."""
    k = cells.n_systems
    lo = np.minimum(cells.i, cells.j)
    hi = np.maximum(cells.i, cells.j)
    lo_outcome = np.where(cells.i == lo, cells.outcome, 1.0 - cells.outcome)
    if k * k <= _DIRECT_PAIRS:
        lookup = np.full(k * k, -1, dtype=np.int64)
        lookup[keys] = np.arange(keys.size)
        pair = lookup[lo * k + hi]
    else:
        pair = np.searchsorted(keys, lo * k + hi)
    cls = np.where(lo_outcome == 1.0, 0, np.where(lo_outcome == 0.5, 1, 2))
    return cls * keys.size + pair


def _combined_key(columns: list[np.ndarray], sizes: list[int]) -> np.ndarray:
    """One int64 per row that sorts like the columns lexicographically (column c takes values in [0, sizes[c]));
    renumbers densely whenever the next column would overflow 62 bits."""
    key = np.asarray(columns[0], dtype=np.int64)
    span = max(1, sizes[0])
    for col, col_size in zip(columns[1:], sizes[1:], strict=True):
        size = max(1, int(col_size))
        if span * size >= 1 << 62:
            uniq, key = np.unique(key, return_inverse=True)
            key, span = key.ravel().astype(np.int64), max(1, uniq.size)
        key = key * size + np.asarray(col, dtype=np.int64)
        span *= size
    return key


def _multiplicities(rng: np.random.Generator, n: int, r: int) -> np.ndarray:
    """(r, n) counts of n clusters drawn n times with replacement (a uniform multinomial), float32."""
    draws = rng.integers(0, n, size=(r, n)) + (np.arange(r) * n)[:, None]
    return np.bincount(draws.ravel(), minlength=r * n).reshape(r, n).astype(np.float32)


def _group_sums(pr: _BootstrapProblem, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unit weights of a block of rounds (R, units) → per-pair (total, credit), each (R, pairs) float32.

    Cluster units are sorted pair-major: two segment sums (``w`` is a work buffer and is overwritten).
    """
    if pr.pair_starts.size:
        total = np.add.reduceat(w, pr.pair_starts, axis=1)
        w *= pr.unit_credit
        return total, np.add.reduceat(w, pr.pair_starts, axis=1)
    if pr.group_starts.size == pr.unit_group.size:  # one unit per group: nothing to add up
        present = w
    else:
        present = np.add.reduceat(w, pr.group_starts, axis=1)
    p = pr.n_pairs
    sums = np.zeros((w.shape[0], 3 * p), dtype=np.float32)
    sums[:, pr.group_present] = present
    total = sums[:, :p] + sums[:, p : 2 * p] + sums[:, 2 * p :]
    credit = sums[:, :p] + np.float32(0.5) * sums[:, p : 2 * p]
    return total, credit


def _draw_block(
    pr: _BootstrapProblem, rng: np.random.Generator | None, size: int, mult: list[np.ndarray]
) -> np.ndarray:
    """Unit weights (size, units) of the next ``size`` rounds, float32 (clusters: from ``mult``)."""
    if pr.draw == "multinomial":
        assert rng is not None
        counts = rng.multinomial(pr.n_total, pr.pvals, size=size)
        return (counts * pr.unit_base).astype(np.float32)
    if pr.draw == "uniform_index":
        assert rng is not None
        n_units = pr.unit_base.size
        idx = rng.integers(0, pr.n_total, size=(size, pr.n_total))
        units = np.take(pr.unit_of_judgment, idx) + (np.arange(size) * n_units)[:, None]
        counts = np.bincount(units.ravel(), minlength=size * n_units).reshape(size, n_units)
        return (counts * pr.unit_base).astype(np.float32)
    # clusters: a cell's weight is its base times each clustering's multiplicity, in buffers kept per process
    # (fresh 30 MB arrays per block cost more in page faults than the gathers themselves)
    w, tmp = _buffers(size, pr.unit_base.size)
    np.take(mult[0], pr.factors[0], axis=1, out=w, mode="clip")
    for m, ids in zip(mult[1:], pr.factors[1:], strict=True):
        np.take(m, ids, axis=1, out=tmp, mode="clip")
        w *= tmp
    if not pr.unit_base_is_one:
        w *= pr.unit_base32
    return w


_BUFFERS: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}


def _buffers(rows: int, cols: int) -> tuple[np.ndarray, np.ndarray]:
    """Two reusable float32 (rows, cols) work arrays (one pair per shape and process; the last shape only)."""
    key = (rows, cols)
    if key not in _BUFFERS:
        _BUFFERS.clear()
        _BUFFERS[key] = (np.empty(key, dtype=np.float32), np.empty(key, dtype=np.float32))
    return _BUFFERS[key]


def _bootstrap_chunk(problem: _BootstrapProblem, seed: np.random.SeedSequence, r: int) -> np.ndarray:
    """Draw ``r`` rounds from their own seed and solve them; returns theta (r, K).

    Cluster multiplicities for all ``r`` rounds are drawn first (one (r, G) table per clustering, in the
    order of the scheme), then rounds are aggregated and solved in blocks sized to bound memory; the
    random stream does not depend on the block size.
    """
    rng = np.random.default_rng(seed)
    mult = [_multiplicities(rng, g, r) for g in problem.n_clusters] if problem.draw == "clusters" else []
    return _solve_weighted(problem, r, lambda d0, d1: _draw_block(problem, rng, d1 - d0, [m[d0:d1] for m in mult]))


def _solve_weighted(pr: _BootstrapProblem, r: int, unit_weights) -> np.ndarray:
    """Aggregate and solve ``r`` rounds whose unit weights ``unit_weights(d0, d1)`` gives, block by block."""
    per_draw = pr.n_total if pr.draw == "uniform_index" else max(1, pr.unit_base.size)
    draw_block = max(1, _BLOCK_ELEMENTS // max(1, per_draw))
    solve_block = max(1, min(r, _BLOCK_ELEMENTS // max(1, pr.n_pairs)))  # ~6 such float32 arrays in flight
    out = []
    for s0 in range(0, r, solve_block):
        s1 = min(r, s0 + solve_block)
        total = np.empty((s1 - s0, pr.n_pairs), dtype=np.float32)
        credit = np.empty_like(total)
        for d0 in range(s0, s1, draw_block):
            d1 = min(s1, d0 + draw_block)
            total[d0 - s0 : d1 - s0], credit[d0 - s0 : d1 - s0] = _group_sums(pr, unit_weights(d0, d1))
        out.append(_solve_rounds(pr, total, credit))
    _BUFFERS.clear()
    return np.concatenate(out) if out else np.zeros((0, pr.theta0.size))


def reweighted_fits(
    cells: Cells, fit: BTFit, names: tuple[str, ...], multiplicities: list[np.ndarray], *, tol: float = 2e-5
) -> np.ndarray:
    """Refit with given cluster multiplicities: round ``r`` weighs a cell ``count × weight × Π_f
    multiplicities[f][r, its cluster]``; returns theta (R, K), solved like bootstrap rounds (chord-Newton
    from ``fit``, λ = `BOOTSTRAP_FLOOR` unless ``fit`` used a prior). Used for split halves (weights 2 / 0)."""
    names = resample_names(names, cells)
    if not names or len(multiplicities) != len(names):
        raise ValueError("give one (rounds, n_clusters) multiplicity table per cluster name")
    r = int(multiplicities[0].shape[0])
    for name, m in zip(names, multiplicities, strict=True):
        if m.shape != (r, cells.n_clusters[name]):
            raise ValueError(f"multiplicities for {name!r} must have shape ({r}, {cells.n_clusters[name]})")
    table = cells.table()
    if table.left.size == 0:
        return np.repeat(fit.theta[None, :], r, axis=0)
    problem = _problem(cells, table, fit, names, max_chord_iter=60, tol=tol)
    mult = [np.asarray(m, dtype=np.float32) for m in multiplicities]
    return _solve_weighted(problem, r, lambda d0, d1: _draw_block(problem, None, d1 - d0, [m[d0:d1] for m in mult]))


def _solve_rounds(pr: _BootstrapProblem, total: np.ndarray, credit: np.ndarray) -> np.ndarray:
    """Fit every round of a block: chord-Newton in float32 from the point estimate, float64 Newton after.

    Chord-Newton reuses the point fit's Hessian (inverted once) for every round and iteration, to a step
    whose estimated remaining error is below ``tol`` (2e-5 = 0.0035 points, far below the bootstrap's own
    noise); a round that does not get
    there (a resample far from the data, e.g. one where a rare system never wins) is refitted by full
    Newton in float64, a few rounds at a time so the (rounds, K, K) Hessians stay small.
    """
    r = total.shape[0]
    f32 = np.float32
    th_all = np.repeat(pr.theta0[None, :], r, axis=0).astype(f32)
    h0, lam = pr.h0_inv.astype(f32), f32(pr.lam)
    labels, sizes = pr.component, np.bincount(pr.component).astype(f32)
    p0 = _expit(pr.inc.diff(th_all[:1]))  # every round starts at the point estimate
    # Jacobi-scaled chord: each round's information per system differs from the point fit's by its
    # multiplicities; scaling H0⁻¹ by S⁻¹ · S⁻¹ with S = sqrt(D_round / D_point) takes that out of the
    # contraction rate (about one iteration fewer at 1,000 systems)
    info = p0 * (1 - p0)
    d_point = pr.inc.scatter_both(pr.pair_total32[None, :] * info)
    d_round = pr.inc.scatter_both(total * info)
    scale = np.sqrt(np.where(d_point > 0, d_round / np.maximum(d_point, f32(1e-30)), f32(1.0)), dtype=f32)
    scale[scale <= 0] = 1.0
    # the rounds still iterating, compacted only when some finish (no fancy-index copies per iteration)
    idx, th, tot, cred = np.arange(r), th_all.copy(), total, credit
    previous = np.full(r, np.inf, dtype=f32)
    for iteration in range(pr.max_chord_iter):
        if idx.size == 0:
            break
        resid = tot * (p0 if iteration == 0 else _expit(pr.inc.diff(th)))
        np.subtract(cred, resid, out=resid)
        step = ((pr.inc.scatter(resid) - lam * th) / scale) @ h0
        step /= scale
        np.clip(step, -5.0, 5.0, out=step)
        step -= (_component_sums(step, labels, sizes.size) / sizes)[:, labels]  # centre per component
        th += step
        # Chord iterations contract linearly, at the rate ρ of successive steps; the error left after a step s
        # is about s·ρ/(1 − ρ), and a round stops when that is below tol. Far out in the logistic's flat
        # tails (a resample where a rare system never wins) ρ → 1, so such rounds go on to Newton.
        size = np.abs(step).max(axis=1)
        rate = np.where(np.isfinite(previous), size / np.maximum(previous, f32(1e-30)), f32(1.0))  # none yet: go on
        done = (rate < 0.5) & (size * rate < pr.tol * (1 - rate))
        previous = size
        if done.any():
            th_all[idx[done]] = th[done]
            keep = ~done
            idx, th, tot, cred, previous = idx[keep], th[keep], tot[keep], cred[keep], previous[keep]
            scale = scale[keep]
    th_all[idx] = th
    active = np.zeros(r, dtype=bool)
    active[idx] = True
    theta = th_all.astype(np.float64)
    idx = np.flatnonzero(active)
    k = pr.theta0.size
    batch = max(1, _BLOCK_ELEMENTS // 2 // max(1, k * k))
    for b0 in range(0, idx.size, batch):
        sel = idx[b0 : b0 + batch]
        pairs = (pr.inc.left, pr.inc.right, total[sel].astype(np.float64), credit[sel].astype(np.float64))
        start = np.repeat(pr.theta0[None, :], sel.size, axis=0)  # not the chord iterate, which may have wandered
        theta[sel], _, _ = _newton(start, pairs, np.full(sel.size, pr.lam), max_iter=100, tol=pr.tol)
    return theta


_WORKER_PROBLEM: object | None = None
_WORKER_SOLVE = None


def _init_worker(problem: object, solve) -> None:
    global _WORKER_PROBLEM, _WORKER_SOLVE  # one problem per worker process, set by the pool initializer
    _WORKER_PROBLEM, _WORKER_SOLVE = problem, solve


def _worker_chunk(args: tuple[np.random.SeedSequence, int]):
    assert _WORKER_PROBLEM is not None and _WORKER_SOLVE is not None
    return _WORKER_SOLVE(_WORKER_PROBLEM, *args)


def _problem(
    cells: Cells, table: PairTable, fit: BTFit, names: tuple[str, ...], *, max_chord_iter: int, tol: float
) -> _BootstrapProblem:
    k = table.n_systems
    n_pairs = table.left.size
    keys = table.left * k + table.right
    group = _cell_groups(cells, keys)
    if names:
        # units are the cells themselves (a database count per (pair, choice, rater, prompt) has no duplicates
        # to merge), sorted pair-major (pair, then outcome class) so that a round's per-pair total and credit
        # are two segment sums (a radix sort when the keys fit 16 bits)
        pair_major = (group % n_pairs) * 3 + group // n_pairs
        order = np.argsort(pair_major.astype(np.uint16) if 3 * n_pairs <= 1 << 16 else pair_major, kind="stable")
        unit_group = group[order]
        unit_base = (cells.count * cells.weight)[order]
        unit_ids = tuple(np.ascontiguousarray(cells.clusters[name][order]) for name in names)
        draw, pvals, n_total, unit_of_judgment = "clusters", np.zeros(0), 0, np.zeros(0, dtype=np.int64)
        n_clusters = tuple(cells.n_clusters[name] for name in names)
    else:
        if np.any(cells.count != np.round(cells.count)):
            raise ValueError(
                "resampling single judgments needs whole-number counts; resample clusters for fractional counts"
            )
        # a unit per distinct (group, weight): judgments that are interchangeable, sorted by group
        if np.all(cells.weight == cells.weight[0]):
            unit_count_all = np.bincount(group, weights=cells.count, minlength=3 * n_pairs)
            unit_group = np.flatnonzero(unit_count_all > 0)
            unit_count = unit_count_all[unit_group]
            unit_weight = np.full(unit_group.size, cells.weight[0])
        else:
            _, weight_id = np.unique(cells.weight, return_inverse=True)
            key = _combined_key([group, weight_id.ravel()], [3 * n_pairs, int(weight_id.max()) + 1])
            uniq_key, first, inverse = np.unique(key, return_index=True, return_inverse=True)
            unit_group, unit_weight = group[first], cells.weight[first]
            unit_count = np.bincount(inverse.ravel(), weights=cells.count, minlength=uniq_key.size)
        n_total = round(float(unit_count.sum()))
        pvals = unit_count / unit_count.sum()
        unit_base = unit_weight
        unit_ids, n_clusters = (), ()
        # numpy's multinomial costs one binomial per unit and round; with few judgments per unit, drawing the
        # judgments' indices is cheaper (the same distribution, another random stream)
        if unit_count.size > 4096 and unit_count.size * 8 > n_total:
            draw = "uniform_index"
            unit_of_judgment = np.repeat(np.arange(unit_count.size), unit_count.astype(np.int64))
        else:
            draw, unit_of_judgment = "multinomial", np.zeros(0, dtype=np.int64)
    if names:
        unit_pair = unit_group % n_pairs
        pair_starts = np.flatnonzero(np.r_[True, unit_pair[1:] != unit_pair[:-1]])
        unit_credit = np.array([1.0, 0.5, 0.0], dtype=np.float32)[unit_group // n_pairs]
        group_starts, group_present = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    else:
        pair_starts, unit_credit = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        group_starts = np.flatnonzero(np.r_[True, unit_group[1:] != unit_group[:-1]])
        group_present = unit_group[group_starts]
    lam = fit.prior_strength if fit.prior_strength > 0 else BOOTSTRAP_FLOOR
    # The optimum has zero mean within each connected component (the likelihood gradient sums to zero there
    # and the L2 prior pulls the mean to 0), so iterates are centred per component and the chord matrix gets a
    # per-component gauge term instead of the tiny λ in that direction (which float rounding would amplify).
    center = _centering(component_labels(table))
    h0 = _hessian(fit.theta, table.left, table.right, table.total, lam) + center
    return _BootstrapProblem(
        inc=_Incidence.of(table.left, table.right, k),
        n_pairs=n_pairs,
        unit_group=unit_group,
        group_present=group_present,
        group_starts=group_starts,
        pair_starts=pair_starts,
        unit_credit=unit_credit,
        unit_base=unit_base,
        unit_base32=unit_base.astype(np.float32),
        unit_base_is_one=bool(np.all(unit_base == 1.0)),
        draw=draw,
        pvals=pvals,
        n_total=n_total,
        unit_of_judgment=unit_of_judgment,
        factors=tuple(ids.astype(np.int32) if n < 2**31 else ids for ids, n in zip(unit_ids, n_clusters, strict=True)),
        n_clusters=n_clusters,
        theta0=fit.theta,
        pair_total32=table.total.astype(np.float32),
        h0_inv=np.linalg.inv(h0),
        center=center,
        component=component_labels(table),
        lam=lam,
        max_chord_iter=max_chord_iter,
        tol=tol,
    )


def bootstrap_cells(
    cells: Cells,
    fit: BTFit,
    *,
    resample: str | tuple[str, ...] = "judgment",
    rounds: int = DEFAULT_ROUNDS,
    seed: int | None = 0,
    chunk: int = 125,
    workers: int = 1,
    max_chord_iter: int = 30,
    tol: float = 2e-5,
) -> np.ndarray:
    """Bootstrap natural-log strengths, shape ``(rounds, K)``, resampling single judgments or whole clusters.

    ``fit`` is the point fit of ``cells.table()`` (its theta is the warm start; its prior, or
    `BOOTSTRAP_FLOOR` when it needed none, is every round's λ). ``resample`` is a name of
    `RESAMPLE_METHODS` or a tuple of cluster names:

    * ``()`` / ``"judgment"``: judgments with replacement — the cell counts are one multinomial draw with
      the observed total and frequencies (Efron 1979; FastChat's ``compute_bootstrap_bt``). Counts must be
      whole numbers; each judgment keeps its weight.
    * one name, e.g. ``("rater",)``: the cluster bootstrap (Davison & Hinkley 1997 §3.8; Field & Welsh
      2007): each round draws G of the G clusters with replacement; a cell weighs ``count × weight ×``
      its cluster's multiplicity.
    * several names, e.g. ``("rater", "prompt")``: the pigeonhole / product bootstrap for crossed
      clusterings (Owen 2007, "The pigeonhole bootstrap", Ann. Appl. Stat. 1(2); Owen & Eckles 2012):
      independent multiplicities per clustering, a cell weighs ``count × weight × U_rater × V_prompt``.
      Owen shows its variance is conservative (it counts the cell-level variance up to three times);
      see docs/leaderboards.md for when that matters.

    Seeding: chunk ``c`` of ``chunk`` rounds draws from ``SeedSequence(seed).spawn(n_chunks)[c]`` — first
    the (chunk, G) multiplicity tables, one per clustering in ``resample`` order (each row: G uniform
    integers in [0, G) counted), or the multinomial cell counts — so the result depends on ``seed`` and
    ``chunk`` only, not on ``workers``. ``workers > 1`` solves chunks in forked processes (one process
    inside a daemonic Celery child).
    """
    names = resample_names(resample, cells)
    table = cells.table()
    k = table.n_systems
    if table.left.size == 0 or k == 0:
        return np.repeat(fit.theta[None, :], rounds, axis=0)
    problem = _problem(cells, table, fit, names, max_chord_iter=max_chord_iter, tol=tol)
    return np.concatenate(run_chunks(problem, chunk_jobs(rounds, chunk, seed), workers=workers))


def cells_from_table(table: PairTable) -> Cells:
    """The (pair, outcome) cells of a `PairTable` as `Cells` without cluster ids (left wins, ties, right wins)."""
    p = table.left.size
    count = np.concatenate([table.left_wins, table.ties, table.right_wins])
    keep = count > 0
    return Cells(
        table.n_systems,
        np.tile(table.left, 3)[keep],
        np.tile(table.right, 3)[keep],
        np.repeat([1.0, 0.5, 0.0], p)[keep],
        count[keep],
        np.ones(int(keep.sum())),
        {},
        {},
    )


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
    """Bootstrap scores over single judgments, shape ``(rounds, K)``, on the same scale/anchor as ``fit``.

    Each round draws the cell counts (pair × {left win, tie, right win}) from a multinomial with the
    observed total and observed cell frequencies — the same as resampling judgments with replacement
    (FastChat's ``compute_bootstrap_bt`` does the same). Counts must be whole numbers. This is
    `bootstrap_cells` with ``resample="judgment"`` on the table's cells, converted to scores; see there
    for the solver and the seeding (chunk ``c`` draws from ``SeedSequence(seed).spawn(n_chunks)[c]``).
    """
    if round(float(table.total.sum())) == 0 or table.n_systems == 0:
        return np.repeat(fit.scores[None, :], rounds, axis=0)
    theta = bootstrap_cells(
        cells_from_table(table),
        fit,
        rounds=rounds,
        seed=seed,
        chunk=chunk,
        workers=workers,
        max_chord_iter=max_chord_iter,
        tol=tol,
    )
    return rounds_to_scores(theta, anchor=fit.anchor, anchor_score=fit.anchor_score, scale=scale, init=init)


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


# --------------------------------------------------------------------------------------------------------
# Which systems can be ranked: the strongly connected "got credit against" graph


#: Status of a system in `comparison_groups` / `bradley_terry_intervals`.
STATUSES: tuple[str, ...] = ("ranked", "unbounded_above", "unbounded_below", "not_comparable", "no_data")


def _credit_adjacency(table: PairTable) -> np.ndarray:
    k = table.n_systems
    adj = np.zeros((k, k), dtype=bool)
    credit_left = table.left_wins + table.ties > 0
    credit_right = table.right_wins + table.ties > 0
    adj[table.left[credit_left], table.right[credit_left]] = True
    adj[table.right[credit_right], table.left[credit_right]] = True
    return adj


def _reach_from(adj: np.ndarray, start: np.ndarray, within: np.ndarray) -> np.ndarray:
    """Systems reachable from the set ``start`` along ``adj`` edges, staying inside ``within``."""
    seen = start & within
    frontier = seen.copy()
    while frontier.any():
        nxt = adj[frontier].any(axis=0) & within & ~seen
        seen |= nxt
        frontier = nxt
    return seen


def strong_components(table: PairTable) -> np.ndarray:
    """Label of each system's strongly connected component in the digraph "i won or tied against j".

    Forward-backward decomposition (Fleischer, Hendrickson & Pinar 2000): a pivot's component is what it
    reaches and what reaches it; the rest splits into the forward-only, backward-only and unreached parts,
    which are decomposed in turn. Systems without judgments get their own singleton labels.
    """
    k = table.n_systems
    adj = _credit_adjacency(table)
    labels = np.full(k, -1, dtype=np.int64)
    pending = [np.ones(k, dtype=bool)]
    count = 0
    while pending:
        part = pending.pop()
        if not part.any():
            continue
        pivot = np.zeros(k, dtype=bool)
        pivot[int(np.flatnonzero(part)[0])] = True
        fwd = _reach_from(adj, pivot, part)
        bwd = _reach_from(adj.T, pivot, part)
        scc = fwd & bwd
        labels[scc] = count
        count += 1
        pending.extend([fwd & ~scc, bwd & ~scc, part & ~fwd & ~bwd])
    return labels


@dataclass
class ComparisonGroups:
    """Which systems a leaderboard can rank (`comparison_groups`).

    ``status[k]`` in `STATUSES`: ``ranked`` — in the main group, a strongly connected set of systems where
    the exact maximum-likelihood fit exists; ``unbounded_above`` — it has credit (a win or tie) against the
    main group, directly or through others, and the main group has none against it, so its maximum-likelihood
    score is +∞ (e.g. a system that only ever won); ``unbounded_below`` — the reverse (only lost);
    ``not_comparable`` — no chain of judgments orders it against the main group (an island that only played
    among itself, or both above and below nothing of the main group); ``no_data`` — never judged.
    ``component[k]``: strongly connected component label (systems with the same label can be fitted together).
    """

    status: np.ndarray
    component: np.ndarray
    main: np.ndarray  # boolean mask of the ranked systems

    @property
    def ranked(self) -> np.ndarray:
        return np.flatnonzero(self.main)


def comparison_groups(table: PairTable) -> ComparisonGroups:
    """Split systems into the main ranked group and the ones a Bradley-Terry score cannot place.

    The main group is the largest strongly connected component of the "won or tied against" digraph
    (ties broken by the number of judgments, then by the lowest index). Within it the MLE exists and is
    finite (Zermelo 1929; Ford 1957; Hunter 2004, Assumption 1); comparisons between it and other systems
    carry no information about its internal scores at the MLE (they are won with probability → 1), so the
    main group is fitted on its own judgments. See `ComparisonGroups` for the statuses.
    """
    k = table.n_systems
    battles = np.bincount(table.left, weights=table.total, minlength=k) + np.bincount(
        table.right, weights=table.total, minlength=k
    )
    judged = battles > 0
    labels = strong_components(table)
    status = np.full(k, "no_data", dtype="<U15")
    main = np.zeros(k, dtype=bool)
    if judged.any():
        comps = np.unique(labels[judged])
        size = np.array([np.sum(labels == c) for c in comps])
        weight = np.array([battles[labels == c].sum() for c in comps])
        first = np.array([np.flatnonzero(labels == c)[0] for c in comps])
        best = comps[np.lexsort((first, -weight, -size))[0]]
        main = labels == best
        adj = _credit_adjacency(table)
        everything = np.ones(k, dtype=bool)
        below = _reach_from(adj, main, everything) & ~main  # the main group has credit against them
        above = _reach_from(adj.T, main, everything) & ~main  # they have credit against the main group
        status[judged] = "not_comparable"
        status[above & ~below & judged] = "unbounded_above"
        status[below & ~above & judged] = "unbounded_below"
        status[main] = "ranked"
    return ComparisonGroups(status=status, component=labels, main=main)


# --------------------------------------------------------------------------------------------------------
# The leaderboard's numbers: scores, score intervals, rank intervals, on the ranked group only


#: Default resampling of `bradley_terry_intervals` (chosen by bench/bench_coverage.py, docs/leaderboards.md).
DEFAULT_RESAMPLE = "two_way"


@dataclass
class BTIntervals:
    """Scores with intervals for one leaderboard (`bradley_terry_intervals`). Arrays have one entry per system.

    ``scores``, ``lower``, ``upper``: arena scale, NaN for systems that are not ranked (see ``status``);
    ``rank``: Chatbot Arena's rank within the ranked group (1 + systems whose lower bound is above this
    one's upper bound), 0 when not ranked; ``rank_lower``/``rank_upper``: the ``(1 ∓ level)/2`` quantiles of
    the system's rank (1 = best, by score) over bootstrap rounds, 0 when not ranked; ``status``: see
    `ComparisonGroups`; ``method``: the resampling label (`method_label`), ``resample`` its cluster names,
    ``n_clusters`` how many clusters each clustering had in the ranked group; ``scale``: ``"centred"``
    (ranked systems average ``init``) or ``"anchored"`` (``anchor`` at ``anchor_score``);
    ``samples``: (rounds, K) bootstrap scores (NaN columns for unranked systems).
    """

    scores: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    rank: np.ndarray
    rank_lower: np.ndarray
    rank_upper: np.ndarray
    status: np.ndarray
    method: str
    resample: tuple[str, ...]
    n_clusters: dict[str, int]
    level: float
    rounds: int
    scale: str
    anchor: int | None
    anchor_score: float | None
    fit: BTFit
    samples: np.ndarray

    @property
    def ranked(self) -> np.ndarray:
        return np.flatnonzero(self.status == "ranked")


def ranks_by_score(scores: np.ndarray) -> np.ndarray:
    """Competition ranks, 1 = highest score, per row of a (rounds, K) or (K,) array (ties share the best rank):
    1 + the number of strictly higher scores. O(K log K) per row."""
    s = np.asarray(scores, dtype=np.float64)
    rows = s.reshape(-1, s.shape[-1]) if s.ndim else s.reshape(1, 1)
    out = np.empty(rows.shape, dtype=np.int64)
    for r, row in enumerate(rows):
        ordered = np.sort(row)
        out[r] = 1 + row.size - np.searchsorted(ordered, row, side="right")
    return out.reshape(s.shape)


def rank_intervals(samples: np.ndarray, *, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Per system, the ``(1 − level)/2`` and ``(1 + level)/2`` quantiles of its rank over bootstrap rounds.

    ``samples``: (rounds, K) scores of the systems being ranked together. Ranks are competition ranks
    (1 = best) within each round; quantiles use the inverted empirical CDF, so bounds are whole ranks.
    This is the rank interval of public arenas' "rank (UB)" family, computed from the joint bootstrap
    rather than from overlapping marginal intervals (cf. Hall & Miller 2009, "Using the bootstrap to
    quantify the authority of an empirical ranking", Ann. Statist. 37(6B)).
    """
    ranks = ranks_by_score(samples)
    lo = np.quantile(ranks, (1.0 - level) / 2.0, axis=0, method="inverted_cdf")
    hi = np.quantile(ranks, (1.0 + level) / 2.0, axis=0, method="inverted_cdf")
    return lo.astype(np.int64), hi.astype(np.int64)


def ranked_cells(cells: Cells, main: np.ndarray) -> Cells:
    """The cells between systems of ``main`` (a boolean mask), systems renumbered 0 .. main.sum() − 1 in order
    and cluster ids renumbered densely; ``cells`` itself when every system is in ``main``."""
    if main.all():
        return cells
    sub = cells.subset(main[cells.i] & main[cells.j])
    position = np.cumsum(main) - 1  # system index → its index among the ranked systems
    return Cells(
        int(main.sum()),
        position[sub.i],
        position[sub.j],
        sub.outcome,
        sub.count,
        sub.weight,
        sub.clusters,
        sub.n_clusters,
    )


def bradley_terry_intervals(
    cells: Cells,
    *,
    resample: str | tuple[str, ...] = DEFAULT_RESAMPLE,
    rounds: int = DEFAULT_ROUNDS,
    seed: int | None = 0,
    level: float = 0.95,
    anchor: int | None = None,
    anchor_score: float = DEFAULT_INIT,
    scale: float = DEFAULT_SCALE,
    init: float = DEFAULT_INIT,
    workers: int = 1,
    chunk: int = 125,
    correct: bool | None = None,
) -> BTIntervals:
    """The leaderboard's Bradley-Terry numbers from clustered cells: scores, score and rank intervals.

    1. `comparison_groups` picks the systems that can be ranked (the main strongly connected group);
       the others get NaN scores, rank 0 and a status saying why (only wins, only losses, never compared).
    2. The exact MLE of the main group's judgments (no prior: it exists there).
    3. ``rounds`` bootstrap rounds by ``resample`` (`bootstrap_cells`), percentile score intervals and
       rank intervals (`rank_intervals`) at ``level``.
    4. When clusters are resampled, unless ``correct`` is False or the method is ``"pigeonhole"``: each
       system's bootstrap deviations from the point estimate (centred log-strengths) are multiplied by
       `cluster_spread_factor` — the rounds keep their shape and their correlations between systems; their
       spread becomes the cluster-robust variance (for two-way, the multiway variance of Cameron, Gelbach &
       Miller 2011 instead of the pigeonhole's, which counts the judgment-level variance up to three times,
       Owen 2007), widened by ``t_df / z`` for few clusters. The coverage study (bench/bench_coverage.py,
       docs/leaderboards.md) is why.

    Scale: centred — the ranked systems' scores average ``init`` (each interval is then the uncertainty
    of that system against the average of the ranked group) — unless ``anchor`` (a system index) is
    ranked, in which case every round is shifted so the anchor sits at ``anchor_score`` (intervals are
    then against the anchor, whose own interval has width 0). An anchor outside the ranked group is an error.
    """
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must lie strictly between 0 and 1, not {level!r}")
    if rounds < 1:
        raise ValueError("rounds must be at least 1")
    names = resample_names(resample, cells)
    if correct is None:
        correct = not (isinstance(resample, str) and resample in UNCORRECTED_METHODS)
    correct = bool(correct) and len(names) > 0
    k = cells.n_systems
    groups = comparison_groups(cells.table())
    main = groups.main
    if anchor is not None and not (0 <= anchor < k and main[anchor]):
        raise ValueError(f"anchor system {anchor} is not in the ranked group (status {groups.status[anchor]!r})")
    idx = np.flatnonzero(main)
    sub = ranked_cells(cells, main)
    # a clustering with a single cluster (one prompt, one rater) cannot be resampled: it is left out, and the
    # method label says what was done
    names = tuple(name for name in names if sub.n_clusters[name] >= 2)
    correct = correct and len(names) > 0
    table = sub.table()
    fit = fit_bradley_terry(table, prior_strength=0.0)
    theta_b = bootstrap_cells(sub, fit, resample=names, rounds=rounds, seed=seed, workers=workers, chunk=chunk)
    theta_pt = fit.theta - fit.theta.mean()
    theta_b = theta_b - theta_b.mean(axis=1, keepdims=True)
    if correct and idx.size > 1:
        theta_b = theta_pt + (theta_b - theta_pt) * cluster_spread_factor(sub, fit, names, level=level)
    pt = to_scores(theta_pt, scale=scale, init=init)
    bs = to_scores(theta_b, scale=scale, init=init)
    if anchor is not None:
        a = int(np.searchsorted(idx, anchor))
        pt = pt + (anchor_score - pt[a])
        bs = bs + (anchor_score - bs[:, a])[:, None]
    nan = np.full(k, np.nan)
    scores, lower, upper = nan.copy(), nan.copy(), nan.copy()
    samples = np.full((rounds, k), np.nan)
    rank = np.zeros(k, dtype=np.int64)
    rank_lo, rank_hi = rank.copy(), rank.copy()
    scores[idx] = pt
    samples[:, idx] = bs
    lower[idx], upper[idx] = percentile_intervals(bs, level=level)
    rank[idx] = arena_rank(lower[idx], upper[idx])
    rank_lo[idx], rank_hi[idx] = rank_intervals(bs, level=level)
    fit.scores = scores
    full_theta = np.full(k, np.nan)
    full_theta[idx] = theta_pt
    fit.theta = full_theta
    fit.anchor, fit.anchor_score = anchor, (anchor_score if anchor is not None else None)
    return BTIntervals(
        scores=scores,
        lower=lower,
        upper=upper,
        rank=rank,
        rank_lower=rank_lo,
        rank_upper=rank_hi,
        status=groups.status,
        method=method_label(names, corrected=correct),
        resample=names,
        n_clusters={name: sub.n_clusters[name] for name in names},
        level=level,
        rounds=rounds,
        scale="anchored" if anchor is not None else "centred",
        anchor=anchor,
        anchor_score=anchor_score if anchor is not None else None,
        fit=fit,
        samples=samples,
    )


# --------------------------------------------------------------------------------------------------------
# Cluster-robust (sandwich) covariances, for the two-way correction


def cluster_meat(cells: Cells, theta: np.ndarray, ids: np.ndarray, n_clusters: int) -> np.ndarray:
    """``Σ_g S_g S_gᵀ`` (K, K): the outer products of each cluster's score (log-likelihood gradient) at ``theta``.

    A cell adds ``r = count · weight · (outcome − p_ij)`` times ``(e_i − e_j)`` to its cluster's score
    ``S_g``; ``ids`` are dense cluster ids in ``[0, n_clusters)``. Two exact ways, whichever is cheaper:
    clusters as dense (block of clusters × K) rows multiplied through BLAS (few clusters, e.g. raters or
    prompts), or the cells' own outer products plus the cross products of cell pairs that share a
    cluster (many small clusters, e.g. rater × prompt).
    """
    k = cells.n_systems
    ids = np.asarray(ids, dtype=np.int64)
    r = cells.count * cells.weight * (cells.outcome - _expit(theta[cells.i] - theta[cells.j]))
    sizes = np.bincount(ids, minlength=n_clusters)
    cross_pairs = float(np.sum(sizes.astype(np.float64) * (sizes - 1)))
    m = np.zeros((k, k))
    if cross_pairs <= _BLOCK_ELEMENTS and cross_pairs * 4.0 <= float(n_clusters) * k * k:
        # Σ_c s_c s_cᵀ: each cell's own (e_i − e_j)(e_i − e_j)ᵀ r²
        i, j, r2 = cells.i, cells.j, r * r
        m += np.bincount(i * k + i, weights=r2, minlength=k * k).reshape(k, k)
        m += np.bincount(j * k + j, weights=r2, minlength=k * k).reshape(k, k)
        off = np.bincount(i * k + j, weights=r2, minlength=k * k).reshape(k, k)
        m -= off + off.T
        if cross_pairs:
            # Σ_{c ≠ c' in one cluster} s_c s_c'ᵀ, pair by pair
            multi = np.flatnonzero(sizes[ids] > 1)
            order = multi[np.argsort(ids[multi], kind="stable")]
            run = sizes[ids[order]]
            starts = np.cumsum(run) - run  # where each cell's run of partners starts in the expanded arrays
            first = np.empty(order.size, dtype=np.int64)
            if order.size:
                new_run = np.r_[True, ids[order][1:] != ids[order][:-1]]
                run_start = np.flatnonzero(new_run)
                first = np.repeat(run_start, np.diff(np.r_[run_start, order.size]))
            a = np.repeat(np.arange(order.size), run)
            offset = np.arange(a.size) - np.repeat(starts, run)
            b = np.repeat(first, run) + offset
            keep = a != b
            ca, cb = order[a[keep]], order[b[keep]]
            rr = r[ca] * r[cb]
            for sa, sb, sign in (
                (cells.i, cells.i, 1.0),
                (cells.j, cells.j, 1.0),
                (cells.i, cells.j, -1.0),
                (cells.j, cells.i, -1.0),
            ):
                m += sign * np.bincount(sa[ca] * k + sb[cb], weights=rr, minlength=k * k).reshape(k, k)
        return m
    # dense rows of S, a block of clusters at a time
    block = max(1, _BLOCK_ELEMENTS // max(1, k))  # 64 MiB of float64 rows at a time
    order = np.argsort(ids, kind="stable") if n_clusters > block else np.arange(ids.size)
    sorted_ids = ids[order]
    for g0 in range(0, n_clusters, block):
        g1 = min(n_clusters, g0 + block)
        lo, hi = np.searchsorted(sorted_ids, [g0, g1])
        sel = order[lo:hi]
        rows = ids[sel] - g0
        size = (g1 - g0) * k
        dense = np.bincount(rows * k + cells.i[sel], weights=r[sel], minlength=size)
        dense -= np.bincount(rows * k + cells.j[sel], weights=r[sel], minlength=size)
        dense = dense.reshape(g1 - g0, k).astype(np.float32)  # float32 halves the BLAS time; ample for a variance
        m += (dense.T @ dense).astype(np.float64)
    return m


def _intersection_ids(cells: Cells, names: tuple[str, ...]) -> tuple[np.ndarray, int]:
    """Dense ids of the intersection clusters (e.g. rater × prompt) of the named clusterings."""
    if len(names) == 1:
        return cells.clusters[names[0]], cells.n_clusters[names[0]]
    key = _combined_key([cells.clusters[n] for n in names], [cells.n_clusters[n] for n in names])
    return _dense_ids(key)


def _dense_ids(values: np.ndarray) -> tuple[np.ndarray, int]:
    """Renumber values 0 .. n−1 in sorted order: a bincount remap when they are small non-negative integers,
    else `np.unique`."""
    values = np.asarray(values)
    if values.size == 0:
        return np.zeros(0, dtype=np.int64), 0
    if np.issubdtype(values.dtype, np.integer) and values.min() >= 0 and values.max() < 4 * values.size + 1024:
        present = np.bincount(values) > 0
        remap = np.cumsum(present) - 1
        return remap[values].astype(np.int64), int(present.sum())
    uniq, inverse = np.unique(values, return_inverse=True)
    return inverse.ravel().astype(np.int64), int(uniq.size)


def _sandwich_bread(table: PairTable, theta: np.ndarray) -> np.ndarray:
    """``Q = P H⁻¹`` (P = I − 11ᵀ/K; H the Fisher information at ``theta`` with the gauge term)."""
    h_inv = np.linalg.inv(_hessian(theta, table.left, table.right, table.total, 0.0))
    return h_inv - h_inv.mean(axis=0, keepdims=True)


def centred_covariance(table: PairTable, theta: np.ndarray, meat: np.ndarray) -> np.ndarray:
    """Sandwich covariance ``P H⁻¹ M H⁻¹ P`` of centred log-strengths (P = I − 11ᵀ/K; H the Fisher information
    at ``theta`` with the gauge term; Huber 1967, White 1982)."""
    q = _sandwich_bread(table, theta)
    return q @ meat @ q.T


def multiway_variances(cells: Cells, fit: BTFit, names: tuple[str, ...]) -> dict:
    """Per-system variances of centred log-strengths under clustering by ``names``, by the sandwich formula.

    Returns ``target``: the multiway cluster-robust variance of Cameron, Gelbach & Miller (2011, "Robust
    inference with multiway clustering", JBES 29(2)) — by inclusion–exclusion over the clusterings and their
    intersections (two-way: ``V_rater + V_prompt − V_rater∩prompt``), each term with its small-sample factor
    ``G/(G − 1)``, floored at the largest one-way variance (one clustering: ``G/(G − 1) · V``);
    ``bootstrap``: the first-order variance of the product bootstrap over the same clusterings with
    multinomial multiplicities, ``Σ_S Π_{f∉S} (1 − 1/G_f) · V_S`` over non-empty subsets S (for two
    clusterings: Owen 2007, "The pigeonhole bootstrap", §3; for one: ``V``); ``one_way``: each clustering's
    variance with its factor; ``df``: ``G − 1`` of the smallest clustering whose own variance is at least
    half of ``target`` (Cameron & Miller 2015, §VI.C, recommend t(min G − 1) for multiway clustering;
    restricting it to clusterings that carry the variance keeps a small but irrelevant clustering from
    widening every interval). A Satterthwaite combination of the one-way terms was tried first and
    undercovered with 8 prompts (about 93%, docs/leaderboards.md): with so few clusters their sums are far
    from normal.
    """
    table = cells.table()
    k = cells.n_systems
    subsets = [tuple(n for b, n in enumerate(names) if mask >> b & 1) for mask in range(1, 1 << len(names))]
    target = np.zeros(k)
    boot = np.zeros(k)
    one_way: dict[str, np.ndarray] = {}
    q = _sandwich_bread(table, fit.theta)
    for subset in subsets:
        ids, n = _intersection_ids(cells, subset)
        v = np.einsum("ij,ij->i", q @ cluster_meat(cells, fit.theta, ids, n), q)  # diag(Q M Qᵀ)
        small_sample = n / (n - 1.0) if n > 1 else 1.0  # CGM's G/(G − 1), per clustering
        if len(subset) == 1:
            one_way[subset[0]] = small_sample * v
        term = (-1.0) ** (len(subset) + 1) * small_sample * v
        target += term
        boot += math.prod(1.0 - 1.0 / cells.n_clusters[f] for f in names if f not in subset) * v
    stacked = np.stack(list(one_way.values()))
    floor = stacked.max(axis=0)
    total = np.maximum(target, floor)
    # Degrees of freedom: G − 1 of the smallest clustering among those whose own variance is at least half
    # the total (at least one is: the total is at most the sum of the two largest one-way terms) — Cameron
    # & Miller's min(G) − 1, restricted to clusterings that matter.
    sizes = np.array([cells.n_clusters[name] - 1.0 for name in one_way])[:, None]
    df = np.where(stacked >= 0.5 * total, sizes, np.inf).min(axis=0)
    return {"target": np.maximum(target, floor), "bootstrap": boot, "one_way": one_way, "df": df}


def cluster_spread_factor(cells: Cells, fit: BTFit, names: tuple[str, ...], *, level: float) -> np.ndarray:
    """Per system, what to multiply a cluster bootstrap's deviations by (centred log-strengths).

    ``sqrt(target / bootstrap)`` from `multiway_variances` — the bootstrap's spread becomes the
    cluster-robust variance (for two-way, instead of the pigeonhole's, which counts the judgment-level
    variance up to three times) — times ``t_{df}((1 + level)/2) / z((1 + level)/2)``, the small-sample
    widening for few clusters (the df of `multiway_variances`; Cameron & Miller 2015, §VI). With many clusters of
    every kind the factor tends to 1 for one clustering.
    """
    v = multiway_variances(cells, fit, names)
    q = (1.0 + level) / 2.0
    z = NormalDist().inv_cdf(q)
    widen = np.array([t_quantile(q, d) / z if d > 0 else math.inf for d in v["df"]])
    return np.sqrt(v["target"] / np.maximum(v["bootstrap"], 1e-300)) * widen
