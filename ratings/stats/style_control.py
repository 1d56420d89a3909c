"""Style-controlled Bradley-Terry: system strengths with answer-style covariates, and bootstrap intervals.

Pure numpy: no Django import. Reference: LMSYS, "Does style matter? Disentangling style and substance in
Chatbot Arena" (Aug 2024) and FastChat's ``compute_style_control`` / ``compute_bootstrap_style_control``
(``fastchat/serve/monitor/rating_systems.py``), whose conventions we keep so numbers mean the same:

* features of a battle: for each style count (length, headers, lists, bold, code blocks; see
  ``ratings/stats/style.py``) the *normalised difference* ``(a - b) / (a + b + 1)`` of answer a's and answer
  b's counts, then standardised over all judgments (minus the mean, divided by the population standard
  deviation) — FastChat's ``preprocess_for_style`` with ``apply_ratio=[1, 1, 1, 1]`` and ``add_one=True``;
  a feature that does not vary (standard deviation 0) is left out of the fit and reported with no
  coefficient (FastChat would divide by zero);
* model: a beats b with probability ``expit(theta_a - theta_b + x · beta)``; a tie counts half a win; scores
  are ``1000 + 400 * theta / ln 10`` (mean 1000 unless anchored), exactly as in ``bradley_terry.py``;
* a coefficient ``beta_f`` is in natural-log odds per standard deviation of feature ``f``; in arena points
  that is ``400 * beta_f / ln 10``: "a battle whose length difference is one standard deviation above the
  mean moves the odds as much as N points of strength would" (`StyleFit.points_per_sd`).

Prior (penalty ``lam_theta/2 * |theta|² + lam_beta/2 * |beta|²``): ``lam_theta`` follows the rule of
``bradley_terry.py`` — 0 when the plain Bradley-Terry MLE exists (the "got credit against" digraph is
strongly connected), else ``prior_strength``; ``lam_beta`` is ``coef_prior`` (default 1e-4, negligible
against any real amount of data, there so a feature that perfectly separates wins from losses stays finite).
FastChat's ``reg=0.5`` on log10 ratings and coefficients is ``prior_strength = 0.5 / ln(10)²``,
``force_prior=True``, ``coef_prior = 0.5``.

Input cells: one row per distinct (pair, outcome, features, cluster) with a ``weight`` (how many judgments).
Rows are oriented so that the lower system index comes first (outcome flipped and features negated when
a row is turned round, which leaves the model unchanged) and sorted by pair, so per-pair sums are
contiguous ``np.add.reduceat`` segments.

Fitting: Newton's method on the (K + F) system — the strength block is the weighted graph Laplacian of
``bradley_terry.py``, built per pair from the cells; the same damped-Newton loop. Bootstrap: a round is a
vector of weights over the cells (`resample_weights`): judgment-level multinomial resampling by default
(Efron 1979; FastChat resamples battles the same way), or, when the cells carry cluster ids, clusters drawn
with replacement (one-way; with several id columns, each dimension resampled independently and the weights
multiplied — Owen 2007's pigeonhole bootstrap). All rounds of a chunk are solved together by chord-Newton in
float32 (the point fit's Hessian, inverted once, for every round), with float64 Newton for any round that has
not converged, in ``workers`` processes like ``bootstrap_bradley_terry``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ratings.stats import bradley_terry as bt
from ratings.stats.bradley_terry import (
    BOOTSTRAP_FLOOR,
    DEFAULT_INIT,
    DEFAULT_PRIOR,
    DEFAULT_ROUNDS,
    DEFAULT_SCALE,
    LN10,
)

DEFAULT_COEF_PRIOR = 1e-4


@dataclass
class StyleCells:
    """Aggregated, oriented, pair-sorted cells of a style-controlled fit (build them with `style_cells`).

    ``left < right`` per cell; ``outcome`` is left's result; ``features`` (N, F) the standardised normalised
    differences from left's point of view; ``weight`` the number of judgments; ``clusters`` (N, D) integer
    cluster codes (0..C_d-1 per column) or None; ``pair`` the cell's index into ``pair_left``/``pair_right``
    (sorted), ``pair_start`` where each pair's cells begin. ``feature_names`` / ``feature_mean`` /
    ``feature_std`` describe the active features (constant ones dropped into ``dropped_features``).
    """

    n_systems: int
    left: np.ndarray
    right: np.ndarray
    outcome: np.ndarray
    features: np.ndarray
    weight: np.ndarray
    clusters: np.ndarray | None
    pair: np.ndarray
    pair_left: np.ndarray
    pair_right: np.ndarray
    pair_start: np.ndarray
    feature_names: tuple[str, ...]
    feature_mean: np.ndarray
    feature_std: np.ndarray
    dropped_features: tuple[str, ...] = ()

    @property
    def n_features(self) -> int:
        return self.features.shape[1]

    def pair_table(self) -> bt.PairTable:
        """The plain Bradley-Terry counts of the same judgments (features ignored)."""
        return bt.pair_table(self.left, self.right, self.outcome, self.weight, n_systems=self.n_systems)


@dataclass
class StyleFit:
    """A style-controlled point fit. ``theta``: natural-log strengths; ``beta``: natural-log odds per SD."""

    theta: np.ndarray
    beta: np.ndarray
    scores: np.ndarray
    feature_names: tuple[str, ...]
    feature_std: np.ndarray
    prior_strength: float
    coef_prior: float
    mle_exists: bool
    iterations: int
    converged: bool
    anchor: int | None = None
    anchor_score: float | None = None
    scale: float = DEFAULT_SCALE
    meta: dict = field(default_factory=dict)

    @property
    def points_per_sd(self) -> dict[str, float]:
        """Each coefficient in arena points: what one standard deviation of that feature is worth."""
        return dict(zip(self.feature_names, (self.scale * self.beta / LN10).tolist(), strict=True))


@dataclass
class StyleBootstrap:
    """Bootstrap rounds: ``scores`` (R, K) on the fit's scale/anchor, ``beta`` (R, F) natural-log odds per SD."""

    scores: np.ndarray
    beta: np.ndarray
    scale: float = DEFAULT_SCALE

    @property
    def points_per_sd(self) -> np.ndarray:
        """(R, F) coefficients in arena points per standard deviation."""
        return self.scale * self.beta / LN10


def normalised_differences(counts_a: np.ndarray, counts_b: np.ndarray, *, add_one: bool = True) -> np.ndarray:
    """``(a - b) / (a + b + 1)`` per battle and feature (FastChat's ratio, ``add_one=True``); inputs (N, F)."""
    a = np.asarray(counts_a, dtype=np.float64)
    b = np.asarray(counts_b, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 2:
        raise ValueError(f"style counts of a and b must both be (N, F) arrays, got {a.shape} and {b.shape}")
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))) or np.any(a < 0) or np.any(b < 0):
        bad = int(np.flatnonzero(~(np.isfinite(a) & np.isfinite(b) & (a >= 0) & (b >= 0)).all(axis=1))[0])
        raise ValueError(f"style counts must be finite and non-negative (row {bad})")
    return (a - b) / (a + b + (1.0 if add_one else 0.0))


def style_cells(
    i: np.ndarray,
    j: np.ndarray,
    outcome: np.ndarray,
    counts_i: np.ndarray,
    counts_j: np.ndarray,
    *,
    n_systems: int,
    weight: np.ndarray | None = None,
    clusters: np.ndarray | None = None,
    feature_names: Sequence[str] | None = None,
) -> StyleCells:
    """Standardise the style features of judgments and aggregate them into `StyleCells`.

    ``i``, ``j`` (N,): system indices of answers a and b; ``outcome``: a's result (1 win, 0.5 tie, 0 loss);
    ``counts_i`` / ``counts_j`` (N, F): the raw style counts of each side (`style.feature_vector`);
    ``weight`` (N,): judgments per row (default 1); ``clusters`` (N,) or (N, D): any hashable-as-integer ids
    (rater, prompt, …) the bootstrap resamples instead of judgments; ``feature_names``: F names
    (default ``feature_0``…). Standardisation is over judgments (weighted), in the a/b orientation given,
    exactly as FastChat standardises over battles.
    """
    i = np.asarray(i, dtype=np.int64).ravel()
    j = np.asarray(j, dtype=np.int64).ravel()
    outcome = np.asarray(outcome, dtype=np.float64).ravel()
    n = i.size
    w = np.ones(n) if weight is None else np.asarray(weight, dtype=np.float64).ravel()
    diff = normalised_differences(counts_i, counts_j)
    if not (j.shape == outcome.shape == w.shape == (n,)) or diff.shape[0] != n:
        raise ValueError("i, j, outcome, weight and the style counts must have the same number of rows")
    # the same checks (and messages) as the plain fit: index range, self-pairs, outcomes, weights
    bt.pair_table(i, j, outcome, w, n_systems=n_systems)
    names = tuple(feature_names) if feature_names is not None else tuple(f"feature_{f}" for f in range(diff.shape[1]))
    if len(names) != diff.shape[1]:
        raise ValueError(f"{len(names)} feature names for {diff.shape[1]} features")
    cl = None
    if clusters is not None:
        cl = np.asarray(clusters)
        cl = cl.reshape(n, -1) if cl.ndim == 1 else cl
        if cl.shape[0] != n:
            raise ValueError(f"clusters must have one row per judgment ({n}), got {cl.shape[0]}")
        cl = np.column_stack([np.unique(cl[:, d], return_inverse=True)[1].ravel() for d in range(cl.shape[1])])
    keep = w > 0
    i, j, outcome, w, diff = i[keep], j[keep], outcome[keep], w[keep], diff[keep]
    cl = cl[keep] if cl is not None else None
    total = w.sum()
    if total > 0:
        mean = (w @ diff) / total
        std = np.sqrt(np.maximum((w @ (diff - mean) ** 2) / total, 0.0))
    else:
        mean = np.zeros(diff.shape[1])
        std = np.zeros(diff.shape[1])
    active = std > 1e-12
    dropped = tuple(name for name, on in zip(names, active, strict=True) if not on)
    x = (diff[:, active] - mean[active]) / std[active]
    # orient each row so the lower index comes first
    flip = i > j
    lo = np.where(flip, j, i)
    hi = np.where(flip, i, j)
    y = np.where(flip, 1.0 - outcome, outcome)
    x = np.where(flip[:, None], -x, x)
    key = lo * n_systems + hi
    columns = [key.astype(np.float64), y]
    if cl is not None:
        columns += [cl[:, d].astype(np.float64) for d in range(cl.shape[1])]
    rows = np.column_stack([*columns, x])
    agg_w: np.ndarray
    if rows.shape[0]:
        uniq, inv = np.unique(rows, axis=0, return_inverse=True)
        inv = inv.ravel()
        agg_w = np.bincount(inv, weights=w, minlength=uniq.shape[0])
    else:
        uniq, agg_w = rows, w
    ukey = uniq[:, 0].astype(np.int64)
    pair_keys, pair_start, pair = np.unique(ukey, return_index=True, return_inverse=True)
    n_cl = 0 if cl is None else cl.shape[1]
    return StyleCells(
        n_systems=n_systems,
        left=ukey // n_systems,
        right=ukey % n_systems,
        outcome=uniq[:, 1].copy(),
        features=np.ascontiguousarray(uniq[:, 2 + n_cl :]),
        weight=agg_w,
        clusters=None if cl is None else uniq[:, 2 : 2 + n_cl].astype(np.int64),
        pair=pair.ravel(),
        pair_left=pair_keys // n_systems,
        pair_right=pair_keys % n_systems,
        pair_start=pair_start,
        feature_names=tuple(name for name, on in zip(names, active, strict=True) if on),
        feature_mean=mean[active],
        feature_std=std[active],
        dropped_features=dropped,
    )


def _gradient_hessian(params: np.ndarray, cells: StyleCells, w: np.ndarray, lam_theta: float, lam_beta: float):
    """Gradient and negative Hessian of the penalised log-likelihood at ``params = [theta, beta]`` (float64)."""
    k = cells.n_systems
    theta, beta = params[:k], params[k:]
    x = cells.features
    eta = theta[cells.left] - theta[cells.right] + x @ beta
    p = bt._expit(eta)
    resid = w * (cells.outcome - p)
    s = w * p * (1.0 - p)
    pl, pr = cells.pair_left, cells.pair_right
    starts = cells.pair_start
    g_theta = bt._scatter_pairs(np.add.reduceat(resid, starts), pl, pr, k) - lam_theta * theta
    g_beta = x.T @ resid - lam_beta * beta
    f = beta.size
    h = np.zeros((k + f, k + f))
    h[:k, :k] = bt._laplacian(np.add.reduceat(s, starts), pl, pr, k)
    if f:
        q = np.add.reduceat(s[:, None] * x, starts, axis=0)  # (P, F)
        cross = np.zeros((k, f))
        np.add.at(cross, pl, q)
        np.subtract.at(cross, pr, q)
        h[:k, k:] = cross
        h[k:, :k] = cross.T
        h[k:, k:] = (x * s[:, None]).T @ x
    idx = np.arange(k + f)
    h[idx, idx] += np.concatenate([np.full(k, lam_theta), np.full(f, lam_beta)])
    if lam_theta == 0.0 and k:
        h[:k, :k] += 1.0 / k  # gauge: the likelihood does not change when every theta moves together
    return np.concatenate([g_theta, g_beta]), h


def _solve(cells: StyleCells, w: np.ndarray, start: np.ndarray, *, lam_theta: float, lam_beta: float, max_iter, tol):
    if cells.left.size == 0:
        return start.copy(), 0, True
    return bt._damped_newton(
        start,
        lambda params: _gradient_hessian(params, cells, w, lam_theta, lam_beta),
        max_iter=max_iter,
        tol=tol,
    )


def fit_style_control(
    cells: StyleCells,
    *,
    prior_strength: float = DEFAULT_PRIOR,
    force_prior: bool = False,
    coef_prior: float = DEFAULT_COEF_PRIOR,
    anchor: int | None = None,
    anchor_score: float = DEFAULT_INIT,
    scale: float = DEFAULT_SCALE,
    init: float = DEFAULT_INIT,
    max_iter: int = 100,
    tol: float = 1e-10,
) -> StyleFit:
    """Maximum-(penalised-)likelihood style-controlled Bradley-Terry fit of `StyleCells`.

    Returns a `StyleFit`: ``theta`` (K,) natural-log strengths (sum zero when unanchored and connected),
    ``scores`` on the arena scale (anchored if ``anchor`` is given), ``beta`` (F,) coefficients of the
    active features (natural-log odds per SD; `StyleFit.points_per_sd` in points) and the prior used (see
    the module docstring for the rule).
    """
    k = cells.n_systems
    exists = bt.mle_exists(cells.pair_table())
    lam_theta = float(prior_strength) if (force_prior or not exists) else 0.0
    params, iters, ok = _solve(
        cells,
        cells.weight,
        np.zeros(k + cells.n_features),
        lam_theta=lam_theta,
        lam_beta=float(coef_prior),
        max_iter=max_iter,
        tol=tol,
    )
    theta, beta = params[:k], params[k:]
    scores = bt.to_scores(theta, scale=scale, init=init)
    if anchor is not None:
        scores = scores + (anchor_score - scores[anchor])
    return StyleFit(
        theta=theta,
        beta=beta,
        scores=scores,
        feature_names=cells.feature_names,
        feature_std=cells.feature_std,
        prior_strength=lam_theta,
        coef_prior=float(coef_prior),
        mle_exists=exists,
        iterations=iters,
        converged=ok,
        anchor=anchor,
        anchor_score=anchor_score if anchor is not None else None,
        scale=scale,
    )


def expand_judgments(weight: np.ndarray) -> np.ndarray:
    """The cell of every judgment: ``np.repeat(arange(N), weight)`` (weights must be whole numbers)."""
    w = np.asarray(weight, dtype=np.float64)
    whole = np.rint(w)
    if np.any(np.abs(w - whole) > 1e-9):
        raise ValueError("judgment-level resampling needs whole-number weights (judgment counts per cell)")
    dtype = np.int32 if w.size < 2**31 else np.int64
    return np.repeat(np.arange(w.size, dtype=dtype), whole.astype(np.int64))


def resample_weights(
    rng: np.random.Generator,
    weight: np.ndarray,
    rounds: int,
    clusters: np.ndarray | None = None,
    *,
    expanded: np.ndarray | None = None,
    dtype=np.float64,
) -> np.ndarray:
    """Bootstrap weights over cells, shape (rounds, N): one resample of the data per row.

    Without ``clusters``: the judgments are resampled with replacement — ``sum(weight)`` judgments drawn
    uniformly, counted per cell, i.e. a multinomial draw with probabilities ``weight / sum(weight)``
    (``weight`` must be whole numbers; ``expanded`` = `expand_judgments` (weight) may be passed to save
    recomputing it). With ``clusters`` (N,) or (N, D) integer codes ``0..C_d-1``: in each column the C_d
    clusters are drawn with replacement and a cell's weight is its ``weight`` times the draw count of its
    cluster, multiplied over the columns (one column: the cluster bootstrap; two, e.g. rater and prompt:
    Owen's pigeonhole bootstrap for crossed effects). A judgment-level round is the special case of one
    cluster per judgment.
    """
    w = np.asarray(weight, dtype=np.float64)
    n = w.size
    out = np.empty((rounds, n), dtype=dtype)
    if clusters is None:
        cell_of = expand_judgments(w) if expanded is None else expanded
        n_total = cell_of.size
        identity = n_total == n  # one judgment per cell: the draw is the cell
        draw_type = np.int32 if n_total < 2**31 else np.int64
        for row in range(rounds):
            if n_total == 0:
                out[row] = 0.0
                continue
            draw = rng.integers(0, n_total, n_total, dtype=draw_type)
            out[row] = np.bincount(draw if identity else cell_of[draw], minlength=n)
        return out
    cl = np.asarray(clusters, dtype=np.int64)
    cl = cl.reshape(n, -1) if cl.ndim == 1 else cl
    out[:] = w
    for d in range(cl.shape[1]):
        n_clusters = int(cl[:, d].max()) + 1 if n else 0
        for row in range(rounds):
            draws = np.bincount(rng.integers(0, n_clusters, n_clusters), minlength=n_clusters) if n_clusters else None
            if draws is not None:
                out[row] *= draws[cl[:, d]]
    return out


def _pair_blocks(pair_start: np.ndarray, n_cells: int, target: int) -> list[tuple[int, int, int, int]]:
    """Split the pair-sorted cells into blocks of whole pairs of about ``target`` cells:
    ``(first pair, end pair, first cell, end cell)``."""
    blocks = []
    n_pairs = pair_start.size
    p0 = 0
    while p0 < n_pairs:
        c0 = int(pair_start[p0])
        p1 = int(np.searchsorted(pair_start, c0 + target, side="right"))
        p1 = min(max(p1, p0 + 1), n_pairs)
        c1 = int(pair_start[p1]) if p1 < n_pairs else n_cells
        blocks.append((p0, p1, c0, c1))
        p0 = p1
    return blocks


def _expit_inplace(x: np.ndarray) -> np.ndarray:
    """``x`` overwritten by the logistic function of itself (overflow-safe: exp(+big) = inf gives 0)."""
    np.negative(x, out=x)
    with np.errstate(over="ignore"):
        np.exp(x, out=x)
    x += 1.0
    return np.reciprocal(x, out=x)


@dataclass
class _StyleProblem:
    """What every bootstrap chunk needs (handed to each worker process once)."""

    cells: StyleCells
    params0: np.ndarray
    h0_inv32: np.ndarray
    center32: np.ndarray
    inc32_t: np.ndarray
    x32: np.ndarray
    x32_t: np.ndarray
    y32: np.ndarray
    expanded: np.ndarray | None
    pair_counts: np.ndarray
    blocks: list[tuple[int, int, int, int]]
    lam_theta: float
    lam_beta: float
    max_chord_iter: int
    tol: float


def _style_chunk(problem: _StyleProblem, seed: np.random.SeedSequence, r: int) -> np.ndarray:
    """Draw ``r`` rounds of cell weights and solve them together; returns params (r, K + F).

    Arrays are (rounds, cells), so per-pair sums are ``np.add.reduceat`` along contiguous rows. The observed
    side of the gradient (``w * y`` summed per pair and against the features) is fixed within a round and
    computed once; each iteration only needs the expected side ``w * p``. Every round takes every
    iteration until all have a step below ``tol`` (cheaper than gathering the unsettled ones).
    """
    pr = problem
    cells = pr.cells
    k = cells.n_systems
    w = resample_weights(
        np.random.default_rng(seed), cells.weight, r, cells.clusters, expanded=pr.expanded, dtype=np.float32
    )
    x, x_t = pr.x32, pr.x32_t
    inc_t, h0, center = pr.inc32_t, pr.h0_inv32, pr.center32
    starts = cells.pair_start
    lam = np.concatenate([np.full(k, pr.lam_theta), np.full(x.shape[1], pr.lam_beta)]).astype(np.float32)
    wy = w * pr.y32
    observed = np.concatenate([np.add.reduceat(wy, starts, axis=1) @ inc_t.T, wy @ x], axis=1)  # (r, K + F)
    del wy
    params = np.repeat(pr.params0[None, :], r, axis=0).astype(np.float32)  # (r, K + F)
    settled = np.zeros(r, dtype=bool)
    previous = np.zeros(r, dtype=np.float32)  # no rate before the second step
    f = x.shape[1]
    for _ in range(pr.max_chord_iter):
        diff = params[:, :k] @ inc_t  # (r, P): theta_left - theta_right per pair
        beta = params[:, k:]
        pair_sums = np.empty((r, inc_t.shape[1]), dtype=np.float32)
        x_sums = np.zeros((r, f), dtype=np.float32)
        # blocks of whole pairs, small enough to stay in cache while the five passes run over them
        for p0, p1, c0, c1 in pr.blocks:
            eta = beta @ x_t[:, c0:c1]
            eta += np.repeat(diff[:, p0:p1], pr.pair_counts[p0:p1], axis=1)
            _expit_inplace(eta)
            eta *= w[:, c0:c1]
            pair_sums[:, p0:p1] = np.add.reduceat(eta, starts[p0:p1] - c0, axis=1)
            x_sums += eta @ x[c0:c1]
        expected = np.concatenate([pair_sums @ inc_t.T, x_sums], axis=1)
        grad = observed - expected - lam * params
        step = grad @ h0
        np.clip(step, -5.0, 5.0, out=step)
        step[:, :k] -= step[:, :k] @ center
        params += step
        # chord-Newton converges linearly: the error left after a step is about step * rate/(1 - rate), the
        # rate estimated by the ratio of successive steps (doubled for safety)
        size = np.abs(step).max(axis=1)
        rate = np.minimum(np.divide(2.0 * size, previous, out=np.ones_like(size), where=previous > 0), 1.0)
        settled = (size < pr.tol) | (size * rate < pr.tol * (1.0 - rate))
        previous = size
        if settled.all():
            break
    out = params.astype(np.float64)
    for row in np.flatnonzero(~settled):  # rare: a round the chord iterations did not settle
        out[row], _, _ = _solve(
            cells,
            w[row].astype(np.float64),
            out[row],
            lam_theta=pr.lam_theta,
            lam_beta=pr.lam_beta,
            max_iter=50,
            tol=pr.tol,
        )
    return out


def bootstrap_style_control(
    cells: StyleCells,
    fit: StyleFit,
    *,
    rounds: int = DEFAULT_ROUNDS,
    seed: int | None = 0,
    chunk: int = 32,
    workers: int = 1,
    scale: float = DEFAULT_SCALE,
    init: float = DEFAULT_INIT,
    max_chord_iter: int = 30,
    tol: float = 2e-5,
    block_cells: int = 1 << 17,
) -> StyleBootstrap:
    """Bootstrap rounds of the style-controlled fit: scores (rounds, K) and coefficients (rounds, F).

    Each round reweights the cells with `resample_weights` (judgments by default; clusters when the cells
    carry cluster ids) and refits: chord-Newton from the point estimate with the point Hessian (float32, to
    a step < ``tol`` = 0.0035 points), then float64 Newton for any round left over. Prior as in the point
    fit, or ``BOOTSTRAP_FLOOR`` on strengths when the point fit needed none (as ``bootstrap_bradley_terry``).

    Seeding: chunk ``c`` draws from ``SeedSequence(seed).spawn(n_chunks)[c]``, so results depend on
    ``seed`` and ``chunk``, not on ``workers``. Memory: a few (chunk × cells) float32 arrays per worker.
    """
    k = cells.n_systems
    f = cells.n_features
    if cells.left.size == 0 or k == 0:
        return StyleBootstrap(np.repeat(fit.scores[None, :], rounds, axis=0), np.repeat(fit.beta[None, :], rounds, 0))
    lam_theta = fit.prior_strength if fit.prior_strength > 0 else BOOTSTRAP_FLOOR
    params0 = np.concatenate([fit.theta, fit.beta])
    _, h0 = _gradient_hessian(params0, cells, cells.weight, lam_theta, fit.coef_prior)
    ones, zeros = np.ones(cells.pair_left.size), np.zeros(cells.pair_left.size)
    table = bt.PairTable(k, cells.pair_left, cells.pair_right, ones, zeros, zeros)  # only the graph is used
    center = bt._centering(bt.component_labels(table))
    h0[:k, :k] += center
    problem = _StyleProblem(
        cells=cells,
        params0=params0,
        h0_inv32=np.linalg.inv(h0).astype(np.float32),
        center32=center.astype(np.float32),
        inc32_t=np.ascontiguousarray(bt._incidence(table).T, dtype=np.float32),
        x32=np.ascontiguousarray(cells.features, dtype=np.float32),
        x32_t=np.ascontiguousarray(cells.features.T, dtype=np.float32),
        y32=cells.outcome.astype(np.float32),
        expanded=None if cells.clusters is not None else expand_judgments(cells.weight),
        pair_counts=np.diff(np.append(cells.pair_start, cells.left.size)),
        blocks=_pair_blocks(cells.pair_start, cells.left.size, max(1, block_cells // max(chunk, 1))),
        lam_theta=lam_theta,
        lam_beta=fit.coef_prior,
        max_chord_iter=max_chord_iter,
        tol=tol,
    )
    params = np.concatenate(
        bt.run_chunks(problem, bt.chunk_jobs(rounds, chunk, seed), workers=workers, solve=_style_chunk)
    )
    scores = bt.rounds_to_scores(
        params[:, :k], anchor=fit.anchor, anchor_score=fit.anchor_score, scale=scale, init=init
    )
    return StyleBootstrap(scores=scores, beta=params[:, k : k + f], scale=scale)


def style_summary(
    fit: StyleFit, boot: StyleBootstrap, *, names: list[str], level: float = 0.95, digits: int = 2
) -> dict:
    """JSON-ready summary of a style-controlled fit, for the leaderboard snapshot and API.

    ``systems``: one row per system, best first — ``system``, ``score``, ``lower``, ``upper`` (percentile
    interval at ``level``), ``rank`` (arena rule, as the plain board); ``coefficients``: one row per active
    feature — ``feature``, ``points_per_sd`` with its ``lower``/``upper`` interval, and ``sd`` (the
    standard deviation of that feature's normalised difference ``(a - b)/(a + b + 1)``, the unit of "per SD");
    plus ``fit`` (prior, convergence, rounds).
    """
    lower, upper = bt.percentile_intervals(boot.scores, level=level)
    rank = bt.arena_rank(lower, upper)
    order = np.argsort(-fit.scores, kind="stable")
    empty = np.zeros(0)
    clo, chi = bt.percentile_intervals(boot.points_per_sd, level=level) if fit.beta.size else (empty, empty)
    points = fit.points_per_sd
    return {
        "systems": [
            {
                "system": names[p],
                "score": round(float(fit.scores[p]), digits),
                "lower": round(float(lower[p]), digits),
                "upper": round(float(upper[p]), digits),
                "rank": int(rank[p]),
            }
            for p in order
        ],
        "coefficients": [
            {
                "feature": name,
                "points_per_sd": round(points[name], digits),
                "lower": round(float(clo[f]), digits),
                "upper": round(float(chi[f]), digits),
                "sd": round(float(fit.feature_std[f]), 4),
            }
            for f, name in enumerate(fit.feature_names)
        ],
        "fit": {
            "prior_strength": fit.prior_strength,
            "coef_prior": fit.coef_prior,
            "mle_exists": fit.mle_exists,
            "iterations": fit.iterations,
            "converged": fit.converged,
            "bootstrap_rounds": int(boot.scores.shape[0]),
            "model": "P(a beats b) = expit(theta_a - theta_b + sum_f beta_f x_f); x_f standardised (a-b)/(a+b+1)",
        },
    }
