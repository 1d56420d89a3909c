"""N-way rankings (k items ranked at once, ties allowed), analysed with one ranking as one unit.

Pure numpy: no Django import, so it can be tested and benchmarked alone.

Two analyses of the same `Rankings`:

1. **Plackett-Luce with ties** (Plackett 1975; Luce 1959; the tie extension is the Davidson-Luce
   model of Firth, Kosmidis & Turner 2019, arXiv:1909.07123, as fitted by the PlackettLuce R
   package of Turner, van Etten, Firth & Kosmidis 2020, Computational Statistics 35). A ranking
   with rank levels ``G1 ≻ G2 ≻ … ≻ Gr`` (items in one level are tied) is the sequence of
   choices "level ``Gs`` is chosen, as a tie, from the items still unranked ``S = Gs ∪ … ∪ Gr``".
   The probability of choosing the set ``T`` (``|T| = d``) from ``S`` is

       δ_d · (∏_{i∈T} α_i)^(1/d)  /  Σ_{d'∈D} δ_d' Σ_{U⊆S, |U|=d'} (∏_{i∈U} α_i)^(1/d')

   with worths ``α_i = exp(θ_i)``, ``δ_1 = 1`` and one tie parameter ``δ_d`` per tie order ``d``
   observed in the data (``D``; an order never observed has the MLE ``δ_d = 0`` and is left out,
   as the PlackettLuce package does). Without ties this is the classical Plackett-Luce model
   (Hunter 2004, §5); for pairs (k = 2) it is Davidson's (1970) tie model. A choice from a single
   remaining item (the last place of an untied ranking) has probability 1 and is not a term; a tied
   last level is (it is a choice among the tie orders). The log-likelihood is that of a conditional
   logit over "which subset is chosen", so it is concave in ``(θ, log δ)`` and we maximise it by
   Newton's method with step halving (rather than Hunter's MM, which needs hundreds of iterations on
   weakly informative data; both reach the same maximum, tested against choix's ILSR/MM).

   Gauge and prior rule, the same as `ratings.stats.bradley_terry`: the MLE of ``θ`` exists iff
   the digraph "i was ranked above or tied with j in some ranking" is strongly connected (Hunter
   2004, Assumption 1, with ties as credit both ways). Then we return the exact MLE with
   ``Σ θ = 0``. Otherwise we maximise ``loglik − (λ/2) Σ θ²`` with ``λ = prior_strength``
   (default 0.01): finite scores, each connected component centred. Tie parameters: a tie order
   ``d`` whose ``log δ_d`` is plainly infinite (no choice from ≥ d items chose another order) gets
   the same penalty on ``log δ_d``; when the exact fit still does not converge to finite tie
   parameters (|log δ| > 20: orders that separate the data jointly), every ``log δ_d`` is refitted
   with that penalty. ``PLFit.tie_prior`` says which λ each tie order got.

2. **Rank-breaking** into pairwise cells for the existing Bradley-Terry code (Azari Soufiani,
   Parkes & Xia 2014, "Computing parametric ranking models via rank-breaking", ICML: the *full*
   breaking — every pair of a ranking — is consistent for Plackett-Luce; adjacent breaking is not).
   A ranking of k items gives its ``k(k−1)/2`` pairs: outcome 1 for the higher-ranked item, 0.5 for
   a tie (ties count half a win, the product's pairwise convention). Each cell carries the ranking
   as its ``cluster`` so that the bootstrap can resample whole rankings. Weighting ``"unit"``
   (default) gives each pair ``w / (k(k−1)/2)``, so a ranking weighs one unit however large k is,
   the same as one pairwise judgment; ``"pairs"`` gives each pair weight ``w`` (k(k−1)/2 units).
   With one k throughout both give the same point estimate.

Scores are on the product's scale, ``1000 + 400 · log10(strength) = 1000 + 400 θ / ln 10``
(`bradley_terry.to_scores`), averaging 1000 unless an anchor system is pinned at ``anchor_score``.

Bootstrap **by ranking**: each round draws the rankings with replacement (a multinomial count per
ranking, every stage of a ranking gets its ranking's count) and refits; percentile intervals and the
arena rank come from `bradley_terry.percentile_intervals` / `arena_rank`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from ratings.stats import bradley_terry as bt

#: Largest number of alternatives (subsets) a single choice may have; 2^k − 1 with every tie order.
MAX_ALTERNATIVES = 4096
WEIGHTINGS = ("unit", "pairs")
#: A fitted |log δ_d| beyond this (δ_d > 5e8 or < 2e-9) means the tie MLE is infinite: refit with the prior.
MAX_LOG_TIE = 20.0


@dataclass(frozen=True)
class Rankings:
    """Validated rankings in compact form.

    ``items[offsets[r]:offsets[r+1]]`` are the system indices of ranking ``r`` best first, ``levels``
    (same slices) their dense rank levels 0, 1, … (equal level = tied); ``weight[r]`` its weight;
    ``ranking_ids[r]`` the caller's id of ranking ``r``.
    """

    n_systems: int
    offsets: np.ndarray
    items: np.ndarray
    levels: np.ndarray
    weight: np.ndarray
    ranking_ids: np.ndarray

    @property
    def n_rankings(self) -> int:
        return int(self.offsets.size - 1)

    @property
    def sizes(self) -> np.ndarray:
        """k per ranking."""
        return np.diff(self.offsets)


def _label(value: object) -> str:
    """A ranking id as the user wrote it (numpy scalars unwrapped)."""
    return repr(value.item() if isinstance(value, np.generic) else value)


def rankings_from_long(
    ranking: npt.ArrayLike,
    item: npt.ArrayLike,
    rank: npt.ArrayLike,
    *,
    n_systems: int,
    weight: npt.ArrayLike | None = None,
) -> Rankings:
    """Build `Rankings` from long rows ``(ranking id, system index, rank)``, one row per ranked item.

    ``rank``: any numbers, lower is better, equal ranks are ties (1, 2, 2, 4 and 0, 1, 1, 2 are the
    same ranking). ``weight`` (optional, per row) must be the same on every row of a ranking.
    Rankings are kept in the order of their first row. Raises ValueError naming the row (0-based)
    and the ranking for: arrays of different lengths, a system index outside ``[0, n_systems)``,
    a rank that is not finite, a system ranked twice in one ranking, a ranking of fewer than two
    items, a weight that is negative, not finite or differs within a ranking.
    """
    rid = np.asarray(ranking).ravel()
    it = np.asarray(item).ravel()
    rk = np.asarray(rank, dtype=np.float64).ravel()
    w = np.ones(rid.shape, dtype=np.float64) if weight is None else np.asarray(weight, dtype=np.float64).ravel()
    if not (rid.shape == it.shape == rk.shape == w.shape):
        raise ValueError(
            f"ranking, item, rank and weight must have the same length, got {rid.size}, {it.size}, {rk.size}, {w.size}"
        )
    if it.size and not np.issubdtype(it.dtype, np.integer):
        raise ValueError(f"item must hold integer system indices, got dtype {it.dtype}")
    it = it.astype(np.int64)
    bad = np.flatnonzero((it < 0) | (it >= n_systems))
    if bad.size:
        r = int(bad[0])
        raise ValueError(f"row {r} (ranking {_label(rid[r])}): system index {it[r]} is outside 0..{n_systems - 1}")
    bad = np.flatnonzero(~np.isfinite(rk))
    if bad.size:
        r = int(bad[0])
        raise ValueError(f"row {r} (ranking {_label(rid[r])}): rank {rk[r]} is not a finite number")
    bad = np.flatnonzero(~np.isfinite(w) | (w < 0))
    if bad.size:
        r = int(bad[0])
        raise ValueError(f"row {r} (ranking {_label(rid[r])}): weight {w[r]} must be finite and non-negative")
    _, first, inverse = np.unique(rid, return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    order_of_first = np.argsort(np.argsort(first, kind="stable"), kind="stable")
    r_index = order_of_first[inverse]  # rankings numbered in order of first appearance
    n_rank = first.size
    rows = np.lexsort((np.arange(rid.size), rk, r_index))
    r_sorted, it_sorted, rk_sorted, w_sorted = r_index[rows], it[rows], rk[rows], w[rows]
    counts = np.bincount(r_sorted, minlength=n_rank)
    offsets = np.concatenate([[0], np.cumsum(counts)])
    small = np.flatnonzero(counts < 2)
    if small.size:
        r = int(small[0])
        row = int(first[np.flatnonzero(order_of_first == r)[0]])
        raise ValueError(f"row {row} (ranking {_label(rid[row])}): a ranking needs at least two items, got {counts[r]}")
    # a system twice in one ranking
    pair_key = r_sorted * n_systems + it_sorted
    key_sorted = np.sort(pair_key, kind="stable")
    dup = np.flatnonzero(key_sorted[1:] == key_sorted[:-1])
    if dup.size:
        key = key_sorted[dup[0]]
        row = int(np.flatnonzero(pair_key == key)[1])
        row = int(rows[row])
        raise ValueError(f"row {row} (ranking {_label(rid[row])}): system {it[row]} is ranked twice in one ranking")
    start = offsets[:-1]
    varying = np.flatnonzero(np.maximum.reduceat(w_sorted, start) != np.minimum.reduceat(w_sorted, start))
    if varying.size:
        r = int(varying[0])
        row = int(rows[offsets[r]])
        raise ValueError(f"row {row} (ranking {_label(rid[row])}): weight differs between rows of the same ranking")
    # dense levels per ranking: a new level starts where the rank increases
    new_level = np.ones(rk_sorted.size, dtype=np.int64)
    new_level[1:] = (rk_sorted[1:] != rk_sorted[:-1]) | (r_sorted[1:] != r_sorted[:-1])
    new_level[start] = 0
    levels = np.cumsum(new_level)
    levels -= np.repeat(levels[start], counts)
    ids = rid[first[np.argsort(first, kind="stable")]]
    return Rankings(
        n_systems=int(n_systems),
        offsets=offsets.astype(np.int64),
        items=it_sorted,
        levels=levels.astype(np.int64),
        weight=w_sorted[start].astype(np.float64),
        ranking_ids=ids,
    )


def rankings_from_orderings(
    orderings: Sequence[Sequence[int | Sequence[int]]],
    *,
    n_systems: int,
    weights: Sequence[float] | None = None,
) -> Rankings:
    """Build `Rankings` from orderings, best first; a tuple/list inside an ordering is a tied level.

    ``[[2, (0, 1), 3]]`` is one ranking: system 2 first, 0 and 1 tied second, 3 last. ``weights``:
    one per ordering. Ranking ids are 0, 1, … in the order given. Same errors as `rankings_from_long`.
    """
    rid: list[int] = []
    item: list[int] = []
    rank: list[int] = []
    w: list[float] = []
    if weights is not None and len(weights) != len(orderings):
        raise ValueError(f"weights has {len(weights)} entries for {len(orderings)} orderings")
    for r, ordering in enumerate(orderings):
        for level, group in enumerate(ordering):
            members = [group] if isinstance(group, int | np.integer) else list(group)
            for member in members:
                rid.append(r)
                item.append(int(member))
                rank.append(level)
                w.append(1.0 if weights is None else float(weights[r]))
    return rankings_from_long(
        np.array(rid, dtype=np.int64),
        np.array(item, dtype=np.int64),
        np.array(rank),
        n_systems=n_systems,
        weight=np.array(w),
    )


def sample_rankings(
    theta: npt.ArrayLike, *, n: int, k_range: tuple[int, int] = (3, 6), tie_rate: float = 0.0, seed: int | None = 0
) -> tuple[list[list[int | tuple[int, ...]]], list[list[int]]]:
    """Draw ``n`` rankings from Plackett-Luce with log-worths ``theta`` (for simulations and benchmarks).

    Each ranking shows k distinct systems (k uniform in ``k_range``, inclusive) and orders them by
    ``theta + Gumbel noise`` (Yellott 1977: exactly a Plackett-Luce draw); then each item is tied with
    the level above it with probability ``tie_rate`` (a simple tie mechanism, not the Davidson-Luce
    model). Returns ``(orderings, untied)``: the orderings in `rankings_from_orderings` form (tuples
    are tied levels) and the same orderings before ties were made.
    """
    th = np.asarray(theta, dtype=np.float64)
    rng = np.random.default_rng(seed)
    tied: list[list[int | tuple[int, ...]]] = []
    untied: list[list[int]] = []
    for _ in range(n):
        k = int(rng.integers(k_range[0], k_range[1] + 1))
        items = rng.choice(th.size, k, replace=False)
        order = [int(x) for x in items[np.argsort(-(th[items] + rng.gumbel(size=k)))]]
        groups: list[list[int]] = [[order[0]]]
        for x in order[1:]:
            if rng.random() < tie_rate:
                groups[-1].append(x)
            else:
                groups.append([x])
        untied.append(order)
        tied.append([g[0] if len(g) == 1 else tuple(g) for g in groups])
    return tied, untied


# --------------------------------------------------------------------------- rank-breaking


@dataclass(frozen=True)
class RankBrokenCells:
    """Pairwise cells from rank-breaking: ``i`` met ``j`` with ``outcome`` (i's result) and ``weight``.

    ``cluster[c]`` is the ranking (0-based index into `Rankings`) the cell came from: the unit a
    cluster bootstrap must resample whole. ``pair_table(cells.i, cells.j, cells.outcome, cells.weight,
    n_systems=...)`` feeds `bradley_terry.fit_bradley_terry`.
    """

    i: np.ndarray
    j: np.ndarray
    outcome: np.ndarray
    weight: np.ndarray
    cluster: np.ndarray
    n_systems: int


def rank_break(rankings: Rankings, *, weighting: str = "unit") -> RankBrokenCells:
    """Full rank-breaking: every pair of every ranking becomes one cell (higher-ranked item as ``i``).

    Outcome 1 when ``i`` is ranked above ``j``, 0.5 when they are tied. ``weighting="unit"``: each
    cell weighs ``w / (k(k−1)/2)``, so the cells of one ranking sum to its weight ``w``;
    ``"pairs"``: each cell weighs ``w``. Reference: Azari Soufiani, Parkes & Xia (2014).
    """
    if weighting not in WEIGHTINGS:
        raise ValueError(f"unknown weighting {weighting!r} (use one of {', '.join(WEIGHTINGS)})")
    sizes = rankings.sizes
    cells_i, cells_j, cells_o, cells_w, cells_c = [], [], [], [], []
    for k in np.unique(sizes):
        which = np.flatnonzero(sizes == k)
        base = rankings.offsets[which][:, None]
        p, q = np.triu_indices(int(k), 1)
        ii = rankings.items[base + p]
        jj = rankings.items[base + q]
        tied = rankings.levels[base + p] == rankings.levels[base + q]
        per_pair = 1.0 / p.size if weighting == "unit" else 1.0
        cells_i.append(ii.ravel())
        cells_j.append(jj.ravel())
        cells_o.append(np.where(tied, 0.5, 1.0).ravel())
        cells_w.append(np.repeat(rankings.weight[which] * per_pair, p.size))
        cells_c.append(np.repeat(which, p.size))
    order = np.argsort(np.concatenate(cells_c), kind="stable") if cells_c else np.zeros(0, dtype=np.int64)

    def cat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
        return np.concatenate(parts).astype(dtype)[order] if parts else np.zeros(0, dtype=dtype)

    return RankBrokenCells(
        i=cat(cells_i, np.int64),
        j=cat(cells_j, np.int64),
        outcome=cat(cells_o, np.float64),
        weight=cat(cells_w, np.float64),
        cluster=cat(cells_c, np.int64),
        n_systems=rankings.n_systems,
    )


def rank_broken_table(cells: RankBrokenCells, weight: np.ndarray | None = None) -> bt.PairTable:
    """`bradley_terry.PairTable` of the cells; ``weight`` overrides ``cells.weight`` (e.g. resampled)."""
    return bt.pair_table(
        cells.i, cells.j, cells.outcome, cells.weight if weight is None else weight, n_systems=cells.n_systems
    )


def fit_rank_breaking(rankings: Rankings, *, weighting: str = "unit", **fit_options) -> bt.BTFit:
    """Bradley-Terry fit of the rank-broken cells (`rank_break`); options go to `fit_bradley_terry`."""
    return bt.fit_bradley_terry(rank_broken_table(rank_break(rankings, weighting=weighting)), **fit_options)


def ranking_resample_counts(n_rankings: int, *, rounds: int, seed: int | None = 0) -> np.ndarray:
    """How often each ranking is drawn in each bootstrap round: ``(rounds, n_rankings)`` multinomial counts.

    Resampling ``n_rankings`` rankings with replacement, uniformly: the unit of the bootstrap is the
    ranking, never one of its pairs or stages. Round r is the r-th draw of
    ``numpy.random.default_rng(seed)`` (`_resample_rounds` yields the same rounds one at a time).
    """
    return np.array(list(_resample_rounds(n_rankings, rounds=rounds, seed=seed))).reshape(rounds, n_rankings)


def _resample_rounds(n_rankings: int, *, rounds: int, seed: int | None) -> Iterator[np.ndarray]:
    """One round of `ranking_resample_counts` at a time (memory O(n_rankings), not O(rounds · n_rankings))."""
    rng = np.random.default_rng(seed)
    p = np.full(n_rankings, 1.0 / n_rankings) if n_rankings else np.zeros(0)
    for _ in range(rounds):
        yield rng.multinomial(n_rankings, p).astype(np.float64) if n_rankings else np.zeros(0)


def bootstrap_rank_breaking(
    rankings: Rankings,
    fit: bt.BTFit,
    *,
    weighting: str = "unit",
    rounds: int = bt.DEFAULT_ROUNDS,
    seed: int | None = 0,
) -> np.ndarray:
    """Bootstrap scores ``(rounds, K)`` of the rank-broken BT fit, resampling whole rankings.

    Each round multiplies every cell's weight by its ranking's draw count
    (`ranking_resample_counts`) and refits with `fit_bradley_terry` (λ = the point fit's λ, or
    `BOOTSTRAP_FLOOR` when it needed none, as `bootstrap_bradley_terry` does), on the point fit's
    anchor. A direct loop of full fits: correct and simple, meant to be replaced by the cluster-aware
    `bootstrap_bradley_terry` (cluster = ``cells.cluster``) once that lands.
    """
    cells = rank_break(rankings, weighting=weighting)
    lam = fit.prior_strength if fit.prior_strength > 0 else bt.BOOTSTRAP_FLOOR
    out = np.empty((rounds, rankings.n_systems))
    for r, counts in enumerate(_resample_rounds(rankings.n_rankings, rounds=rounds, seed=seed)):
        table = rank_broken_table(cells, cells.weight * counts[cells.cluster])
        round_fit = bt.fit_bradley_terry(
            table,
            prior_strength=lam,
            force_prior=True,
            anchor=fit.anchor,
            anchor_score=fit.anchor_score if fit.anchor_score is not None else bt.DEFAULT_INIT,
        )
        out[r] = round_fit.scores
    return out


# --------------------------------------------------------------------------- Plackett-Luce with ties


@dataclass
class _SizeBlock:
    """All choice stages whose choice set has ``m`` items, aggregated by identical (set, chosen) pattern."""

    m: int
    items: np.ndarray  # (n_types, m) system indices, chosen items first
    chosen: np.ndarray  # (n_types,) index of the chosen alternative
    stage_type: np.ndarray  # (n_stages,) type of each stage
    stage_ranking: np.ndarray  # (n_stages,) ranking of each stage
    member: np.ndarray  # (n_alt, m) 1/d where position p is in alternative a of order d, else 0
    alt_tie: np.ndarray  # (n_alt, n_ties) one-hot: alternative's tie order (no column for d = 1)
    member_t: np.ndarray = field(init=False)
    pair_member: np.ndarray = field(init=False)
    pair_tie: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        n_alt = self.member.shape[0]
        # contiguous: BLAS on a transposed view of this thin matrix is ~50x slower
        self.member_t = np.ascontiguousarray(self.member.T)
        self.pair_member = (self.member[:, :, None] * self.member[:, None, :]).reshape(n_alt, -1)
        self.pair_tie = (self.member[:, :, None] * self.alt_tie[:, None, :]).reshape(n_alt, -1)


@dataclass
class _Design:
    n_systems: int
    tie_orders: tuple[int, ...]  # observed tie orders ≥ 2 (one parameter each)
    blocks: list[_SizeBlock]
    n_rankings: int


def _alternatives(m: int, orders: Sequence[int]) -> tuple[np.ndarray, np.ndarray, dict[int, int]]:
    """Subsets of m positions of every order in ``orders`` (1 first): membership 1/d, tie one-hot, first index per d."""
    ties = [d for d in orders if d >= 2]
    rows: list[np.ndarray] = []
    tie_rows: list[np.ndarray] = []
    first: dict[int, int] = {}
    for d in orders:
        if d > m:
            continue
        first[d] = len(rows)
        for combo in itertools.combinations(range(m), d):
            row = np.zeros(m)
            row[list(combo)] = 1.0 / d
            rows.append(row)
            one_hot = np.zeros(len(ties))
            if d >= 2:
                one_hot[ties.index(d)] = 1.0
            tie_rows.append(one_hot)
    if len(rows) > MAX_ALTERNATIVES:
        raise ValueError(
            f"a choice among {m} items with tie orders {list(orders)} has {len(rows)} alternatives "
            f"(limit {MAX_ALTERNATIVES}); rankings this long with ties this large are not supported"
        )
    return np.array(rows), np.array(tie_rows).reshape(len(rows), len(ties)), first


def _design(rankings: Rankings) -> _Design:
    """Turn rankings into choice stages grouped by choice-set size (see the module docstring)."""
    sizes = rankings.sizes
    # per choice-set size m: lists of (ranking indices, chosen sizes, (n, m) items chosen first)
    stage_parts: dict[int, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}
    orders_seen: set[int] = {1}
    for k in (int(x) for x in np.unique(sizes)):
        which = np.flatnonzero(sizes == k)
        base = rankings.offsets[which][:, None]
        items = rankings.items[base + np.arange(k)]  # (n, k) best first
        levels = rankings.levels[base + np.arange(k)]
        for level in range(k):
            in_level = levels == level
            has = in_level.any(axis=1)
            if not has.any():
                break
            start = np.argmax(in_level, axis=1)
            chosen_size = in_level.sum(axis=1)
            for s in (int(x) for x in np.unique(start[has])):
                sel = np.flatnonzero(has & (start == s))
                if k - s == 1:
                    continue  # one item left: probability 1, not a term
                orders_seen.update(int(c) for c in np.unique(chosen_size[sel]))
                stage_parts.setdefault(k - s, []).append((which[sel], chosen_size[sel], items[sel, s:]))
    tie_orders = tuple(sorted(d for d in orders_seen if d >= 2))
    orders = (1, *tie_orders)
    blocks = []
    for m in sorted(stage_parts):
        parts = stage_parts[m]
        member, alt_tie, first = _alternatives(m, orders)
        ranking_of = np.concatenate([p[0] for p in parts]).astype(np.int64)
        chosen_size = np.concatenate([p[1] for p in parts]).astype(np.int64)
        items = np.concatenate([p[2] for p in parts]).astype(np.int64)
        # canonical pattern: chosen items sorted, then the rest sorted; identical patterns are one type
        canon = np.empty_like(items)
        for c in (int(x) for x in np.unique(chosen_size)):
            sel = chosen_size == c
            canon[sel, :c] = np.sort(items[sel, :c], axis=1)
            canon[sel, c:] = np.sort(items[sel, c:], axis=1)
        key = np.concatenate([chosen_size[:, None], canon], axis=1)
        uniq, inverse = np.unique(key, axis=0, return_inverse=True)
        blocks.append(
            _SizeBlock(
                m=m,
                items=np.ascontiguousarray(uniq[:, 1:]),
                chosen=np.array([first[int(c)] for c in uniq[:, 0]], dtype=np.int64),
                stage_type=inverse.ravel(),
                stage_ranking=ranking_of,
                member=member,
                alt_tie=alt_tie,
            )
        )
    return _Design(rankings.n_systems, tie_orders, blocks, rankings.n_rankings)


def _type_weights(block: _SizeBlock, ranking_weight: np.ndarray) -> np.ndarray:
    return np.bincount(block.stage_type, weights=ranking_weight[block.stage_ranking], minlength=block.items.shape[0])


def _evaluate(
    beta: np.ndarray, design: _Design, type_w: list[np.ndarray], *, hessian: bool, tie_block: bool = False
) -> tuple[float, np.ndarray, np.ndarray | None]:
    """Log-likelihood, gradient and (optionally) the negative Hessian in ``beta = (θ, log δ)``.

    ``tie_block`` (with ``hessian=False``): return only the (cheap) tie-parameter block of the negative Hessian.
    """
    k = design.n_systems
    n_t = len(design.tie_orders)
    theta, eta = beta[:k], beta[k:]
    # every utility is a mean of θ's plus one log δ: below 300 in size, exp neither overflows nor underflows to 0
    bounded = float(np.abs(theta).max(initial=0.0) + np.abs(eta).max(initial=0.0)) < 300.0
    ll = 0.0
    grad = np.zeros(k + n_t)
    neg_h = np.zeros((k + n_t, k + n_t)) if hessian else None
    neg_h_tt = np.zeros((n_t, n_t)) if tie_block else None
    for block, block_w in zip(design.blocks, type_w, strict=True):
        live = block_w > 0
        if not live.any():
            continue
        items, chosen, w = block.items[live], block.chosen[live], block_w[live]
        m = block.m
        util = theta[items] @ block.member_t + block.alt_tie @ eta  # (n, n_alt)
        if bounded:
            top = np.zeros((items.shape[0], 1))
            expu = np.exp(util)
        else:  # shift by the row maximum only where exp could overflow (a slow reduction over short rows)
            top = util.max(axis=1, keepdims=True)
            expu = np.exp(util - top)
        z = expu @ np.ones((expu.shape[1], 1))
        prob = expu / z
        rows = np.arange(items.shape[0])
        ll += float(w @ (util[rows, chosen] - top[:, 0] - np.log(z[:, 0])))
        e_pos = prob @ block.member  # (n, m) expected θ-feature per position
        e_tie = prob @ block.alt_tie  # (n, n_t)
        grad[:k] += np.bincount(
            items.ravel(), weights=(w[:, None] * (block.member[chosen] - e_pos)).ravel(), minlength=k
        )
        grad[k:] += w @ (block.alt_tie[chosen] - e_tie)
        if neg_h_tt is not None:
            neg_h_tt += np.diag(w @ e_tie) - (w[:, None] * e_tie).T @ e_tie
        if neg_h is None:
            continue
        cov_pp = (prob @ block.pair_member).reshape(-1, m, m) - e_pos[:, :, None] * e_pos[:, None, :]
        flat = (items[:, :, None] * k + items[:, None, :]).ravel()
        neg_h[:k, :k] += np.bincount(flat, weights=(w[:, None, None] * cov_pp).ravel(), minlength=k * k).reshape(k, k)
        if n_t:
            cov_pt = (prob @ block.pair_tie).reshape(-1, m, n_t) - e_pos[:, :, None] * e_tie[:, None, :]
            flat_t = (items[:, :, None] * n_t + np.arange(n_t)[None, None, :]).ravel()
            block_pt = np.bincount(flat_t, weights=(w[:, None, None] * cov_pt).ravel(), minlength=k * n_t).reshape(
                k, n_t
            )
            neg_h[:k, k:] += block_pt
            neg_h[k:, :k] += block_pt.T
            neg_h[k:, k:] += np.diag(w @ e_tie) - (w[:, None] * e_tie).T @ e_tie
    return ll, grad, neg_h if neg_h_tt is None else neg_h_tt


def _component_centering(table: bt.PairTable) -> np.ndarray:
    """(K, K) matrix C with θ − θ @ C = θ minus its connected component's mean."""
    labels = bt.component_labels(table)
    same = (labels[:, None] == labels[None, :]).astype(np.float64)
    return same / same.sum(axis=0, keepdims=True)


def _penalised(
    beta: np.ndarray,
    design: _Design,
    type_w: list[np.ndarray],
    lam: np.ndarray,
    center: np.ndarray,
    *,
    hessian: bool,
    tie_block: bool = False,
) -> tuple[float, np.ndarray, np.ndarray | None]:
    """Penalised log-likelihood ``ll − ½ Σ λ β²``, its gradient and negative Hessian (+ the gauge term ``center``).

    The optimum has θ centred in every connected component (the likelihood is flat along a shift of a
    component, and λ pulls its mean to 0), so iterates stay centred and the Hessian gets ``center`` in
    that direction instead of the tiny λ (or 0), which would otherwise blow up rounding noise.
    """
    ll, g, h = _evaluate(beta, design, type_w, hessian=hessian, tie_block=tie_block)
    ll -= 0.5 * float(lam @ beta**2)
    g = g - lam * beta
    if tie_block and h is not None:
        return ll, g, h + np.diag(lam[design.n_systems :])
    if h is not None:
        k = design.n_systems
        h = h + np.diag(lam)
        h[:k, :k] += center
    return ll, g, h


def _newton_fit(
    beta: np.ndarray,
    design: _Design,
    type_w: list[np.ndarray],
    lam: np.ndarray,
    center: np.ndarray,
    *,
    max_iter: int,
    tol: float,
    chord_hessian: np.ndarray | None = None,
) -> tuple[np.ndarray, float, int, bool]:
    """Maximise the penalised log-likelihood from a centred ``beta`` by Newton's method with step halving.

    With ``chord_hessian`` (a bootstrap round, started at the point estimate): the θ blocks of the
    Hessian stay those of the point fit and only the small tie-parameter block is recomputed at each
    step — tie orders with few events have a strongly curved likelihood in log δ, where a fixed
    Hessian converges slowly, while θ converges in a few chord steps.
    """
    k = design.n_systems
    chord = chord_hessian is not None
    ll, g, h = _penalised(beta, design, type_w, lam, center, hessian=not chord, tie_block=chord)
    for it in range(1, max_iter + 1):
        assert h is not None
        if chord_hessian is not None:
            full = chord_hessian.copy()
            full[k:, k:] = h
            step = np.linalg.solve(full, g)
        else:
            step = np.linalg.solve(h, g)
        step[:k] -= step[:k] @ center
        big = float(np.abs(step).max())
        if big > 5.0:
            step *= 5.0 / big
        for _ in range(40):
            new = beta + step
            new_ll, new_g, new_h = _penalised(new, design, type_w, lam, center, hessian=not chord, tie_block=chord)
            if new_ll >= ll - 1e-12 * max(1.0, abs(ll)):
                break
            step *= 0.5
        beta, ll, g, h = new, new_ll, new_g, new_h
        if float(np.abs(step).max()) < tol:
            return beta, ll, it, True
    return beta, ll, max_iter, False


@dataclass
class PLFit:
    """A Plackett-Luce (Davidson-Luce ties) point fit.

    ``theta``: natural-log worths (sum zero per component unless anchored); ``scores`` on the arena
    scale; ``tie_orders`` the tie orders d ≥ 2 with a parameter and ``log_tie`` their ``log δ_d``;
    ``loglik`` the (unpenalised) log-likelihood at the fit; ``prior_strength`` λ on θ (0 = exact MLE);
    ``tie_prior`` the λ used on each ``log δ_d`` (0 = exact).
    """

    theta: np.ndarray
    scores: np.ndarray
    tie_orders: tuple[int, ...]
    log_tie: np.ndarray
    loglik: float
    prior_strength: float
    tie_prior: np.ndarray
    mle_exists: bool
    n_components: int
    n_rankings: int
    iterations: int
    converged: bool
    anchor: int | None = None
    anchor_score: float | None = None

    @property
    def tie_strength(self) -> dict[int, float]:
        """``{d: δ_d}`` for every tie order with a parameter."""
        return {d: float(math.exp(v)) for d, v in zip(self.tie_orders, self.log_tie, strict=True)}


def _tie_mle_missing(design: _Design) -> np.ndarray:
    """True for each tie order d whose log δ_d is +∞ at the MLE: no choice from ≥ d items chose another order."""
    missing = np.ones(len(design.tie_orders), dtype=bool)
    for block in design.blocks:
        chosen_order = np.array([int(np.count_nonzero(block.member[c])) for c in block.chosen])
        for t, d in enumerate(design.tie_orders):
            if block.m >= d and np.any(chosen_order != d):
                missing[t] = False
    return missing


def plackett_luce_loglik(rankings: Rankings, theta: np.ndarray, log_tie: np.ndarray | None = None) -> float:
    """Log-likelihood of the rankings at natural-log worths ``theta`` and tie parameters ``log_tie``.

    ``log_tie`` has one ``log δ_d`` per tie order observed in ``rankings`` (ascending d); omitted when
    there are no ties. Each ranking's term is weighted by its weight (the sum over rankings of
    ``w_r · log P(ranking r)``).
    """
    design = _design(rankings)
    eta = np.zeros(0) if log_tie is None else np.asarray(log_tie, dtype=np.float64)
    if eta.size != len(design.tie_orders):
        raise ValueError(f"log_tie needs {len(design.tie_orders)} values (tie orders {design.tie_orders})")
    beta = np.concatenate([np.asarray(theta, dtype=np.float64), eta])
    type_w = [_type_weights(b, rankings.weight) for b in design.blocks]
    return _evaluate(beta, design, type_w, hessian=False)[0]


def fit_plackett_luce(
    rankings: Rankings,
    *,
    prior_strength: float = bt.DEFAULT_PRIOR,
    force_prior: bool = False,
    anchor: int | None = None,
    anchor_score: float = bt.DEFAULT_INIT,
    scale: float = bt.DEFAULT_SCALE,
    init: float = bt.DEFAULT_INIT,
    max_iter: int = 200,
    tol: float = 1e-10,
) -> PLFit:
    """Maximum-likelihood Plackett-Luce fit with Davidson-Luce ties (see the module docstring).

    Inputs: `Rankings` (ranking weights multiply each ranking's log-likelihood term). Returns a
    `PLFit` with scores on ``init + scale · log10(worth)``, averaging ``init`` (or the anchor system
    at ``anchor_score``). The prior rule is that of `bradley_terry.fit_bradley_terry`.
    """
    design = _design(rankings)
    k = rankings.n_systems
    table = rank_broken_table(rank_break(rankings))
    exists = bt.mle_exists(table)
    lam_theta = float(prior_strength) if (force_prior or not exists) else 0.0
    tie_lam = np.where(_tie_mle_missing(design), float(prior_strength), 0.0)
    if force_prior:
        tie_lam[:] = float(prior_strength)
    lam = np.concatenate([np.full(k, lam_theta), tie_lam])
    type_w = [_type_weights(b, rankings.weight) for b in design.blocks]
    start = np.zeros(k + len(design.tie_orders))
    center = _component_centering(table)
    try:
        beta, _, iters, ok = _newton_fit(start, design, type_w, lam, center, max_iter=max_iter, tol=tol)
    except np.linalg.LinAlgError:
        beta, iters, ok = start, max_iter, False
    if not ok or not np.all(np.isfinite(beta)) or np.any(np.abs(beta[k:]) > MAX_LOG_TIE):
        # Some tie orders have no finite MLE jointly (e.g. each order is chosen exactly where the other
        # orders are impossible): the same penalty on every log δ_d keeps them finite.
        tie_lam[:] = float(prior_strength)
        lam = np.concatenate([np.full(k, lam_theta), tie_lam])
        beta, _, iters, ok = _newton_fit(start, design, type_w, lam, center, max_iter=max_iter, tol=tol)
    theta = beta[:k] - beta[:k] @ center
    scores = bt.to_scores(theta, scale=scale, init=init)
    if anchor is not None:
        scores = scores + (anchor_score - scores[anchor])
    loglik = _evaluate(np.concatenate([theta, beta[k:]]), design, type_w, hessian=False)[0]
    return PLFit(
        theta=theta,
        scores=scores,
        tie_orders=design.tie_orders,
        log_tie=beta[k:].copy(),
        loglik=loglik,
        prior_strength=lam_theta,
        tie_prior=tie_lam,
        mle_exists=exists,
        n_components=bt.n_components(table),
        n_rankings=rankings.n_rankings,
        iterations=iters,
        converged=ok,
        anchor=anchor,
        anchor_score=anchor_score if anchor is not None else None,
    )


def bootstrap_plackett_luce(
    rankings: Rankings,
    fit: PLFit,
    *,
    rounds: int = bt.DEFAULT_ROUNDS,
    seed: int | None = 0,
    scale: float = bt.DEFAULT_SCALE,
    init: float = bt.DEFAULT_INIT,
    tol: float = 2e-5,
    max_chord_iter: int = 50,
) -> np.ndarray:
    """Bootstrap scores ``(rounds, K)`` of the Plackett-Luce fit, resampling whole rankings.

    Round ``r`` weights every ranking by its draw count (`ranking_resample_counts` with ``seed``)
    times its own weight, and refits from the point estimate by chord-Newton (the point fit's θ
    Hessian, the tie block recomputed each step) to a step below ``tol`` (2e-5 natural-log units =
    0.0035 points, as `bootstrap_bradley_terry`: far below the bootstrap's own Monte Carlo noise),
    with full Newton for a round that has not converged after ``max_chord_iter`` steps. λ on θ is the
    point fit's, or `bradley_terry.BOOTSTRAP_FLOOR` when it needed none (a resample can break the
    existence condition); tie parameters keep the point fit's λ, or the floor. Scores are anchored
    like the point fit. Reference: Efron (1979); the unit is the ranking (cluster bootstrap).
    """
    design = _design(rankings)
    k = rankings.n_systems
    floor = bt.BOOTSTRAP_FLOOR
    lam = np.concatenate(
        [np.full(k, fit.prior_strength if fit.prior_strength > 0 else floor), np.maximum(fit.tie_prior, floor)]
    )
    beta0 = np.concatenate([fit.theta, fit.log_tie])
    point_w = [_type_weights(b, rankings.weight) for b in design.blocks]
    center = _component_centering(rank_broken_table(rank_break(rankings)))
    _, _, h0 = _penalised(beta0, design, point_w, lam, center, hessian=True)
    assert h0 is not None
    out = np.empty((rounds, k))
    for r, counts in enumerate(_resample_rounds(rankings.n_rankings, rounds=rounds, seed=seed)):
        weight = rankings.weight * counts
        type_w = [_type_weights(b, weight) for b in design.blocks]
        beta, _, _, ok = _newton_fit(
            beta0.copy(), design, type_w, lam, center, max_iter=max_chord_iter, tol=tol, chord_hessian=h0
        )
        if not ok:
            beta, _, _, _ = _newton_fit(beta, design, type_w, lam, center, max_iter=100, tol=tol)
        out[r] = bt.to_scores(beta[:k], scale=scale, init=init)
    if fit.anchor is not None:
        target = fit.anchor_score if fit.anchor_score is not None else init
        out += (target - out[:, fit.anchor])[:, None]
    return out
