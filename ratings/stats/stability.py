"""Ranking stability: would another crowd produce the same leaderboard? Pure numpy, no Django.

Split-half reliability of a leaderboard (the psychometric split-half idea, Spearman 1910 / Brown 1910,
applied to system rankings as in information-retrieval evaluation, Voorhees 2000, "Variations in
relevance judgments and the measurement of retrieval effectiveness", IP&M 36(5)): the raters are split
at random into two disjoint halves, a Bradley-Terry leaderboard is fitted on each half, and the two are
compared by Kendall's τ-b (`ratings.stats.rank_correlation.kendall_tau_b`). Repeated over many random
splits, this gives the typical agreement between two independent crowds of half the size and its spread.
A full crowd agrees with another full crowd at least as well, so the verdict built on it is conservative.

Kendall's τ has a plain reading: with no ties, ``(1 − τ) / 2`` is the share of pairs of systems that the two
halves order differently ("swap"). The bands below are in those terms:

==================  ===========  ==========================================================================
band                τ (median)   what it means
==================  ===========  ==========================================================================
``stable``          ≥ 0.9        at most 1 pair of systems in 20 swaps; IR evaluation treats rankings this
                                 close as equivalent (Voorhees 2001, "Evaluation by highly relevant
                                 documents", SIGIR)
``mostly_stable``   ≥ 0.7        at most 1 pair in 7 swaps: the broad order holds, close neighbours may swap
``partly_stable``   ≥ 0.5        up to 1 pair in 4 swaps: top and bottom hold, the middle is not settled
``unstable``        < 0.5        more than 1 pair in 4 swaps: another crowd could rank quite differently
==================  ===========  ==========================================================================

Krippendorff's alpha answers another question — how often two raters give the same answer on one item —
and is low for pairwise preference even when the ranking is clear: many pairs are close calls that a
careful rater could judge either way. Crowd pairwise-preference and machine-translation ranking studies
typically report inter-rater agreement around 0.2–0.45 (e.g. WMT's relative-ranking κ, Bojar et al.,
Findings of WMT 2013–2016); the simulated demo crowd sits at about 0.3. So the agreement verdict
(`agreement_verdict`) comes from ranking stability, with alpha shown as context.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ratings.stats import bradley_terry as bt
from ratings.stats.rank_correlation import kendall_tau_b

#: Lower τ bounds of the bands (see the module docstring), best first.
STABILITY_BANDS: tuple[tuple[str, float], ...] = (
    ("stable", 0.9),
    ("mostly_stable", 0.7),
    ("partly_stable", 0.5),
    ("unstable", -math.inf),
)
#: Plain words per band (English; the page translates them).
STABILITY_WORDS: dict[str, str] = {
    "stable": "Another crowd would very likely rank the systems the same way; only near-ties may swap.",
    "mostly_stable": "The broad order holds; neighbours whose intervals overlap may swap places.",
    "partly_stable": "The top and bottom are likely to hold; the middle of the table is not settled yet.",
    "unstable": "Another crowd could rank these systems quite differently: collect more judgments first.",
    "unknown": "Too few raters or systems to check whether the ranking would hold with another crowd.",
}
#: Typical Krippendorff's alpha of crowd pairwise preference (see the module docstring).
TYPICAL_PAIRWISE_ALPHA = (0.2, 0.45)
#: Fewest clusters (raters) for a split-half check: two in each half.
MIN_CLUSTERS = 4
#: Fewest ranked systems for a rank correlation to say something.
MIN_SYSTEMS = 3


@dataclass
class RankingStability:
    """Result of `split_half_stability`.

    ``tau``: median Kendall τ-b between the two halves' leaderboards over ``n_splits`` random splits of the
    ``by`` clusters; ``tau_low``/``tau_high``: the 2.5% and 97.5% points of τ over the splits (how much two
    actual half-crowds can disagree); ``swap_share``: ``(1 − tau) / 2``; ``pearson_half``: median Pearson
    correlation of the halves' scores and ``pearson_full`` its Spearman–Brown step-up to full size
    (``2r / (1 + r)``, assuming half the data doubles the score noise — an estimate, not used for the band);
    ``band`` and ``words``: the plain reading; ``n_systems``: systems compared (ranked in the full fit and
    bounded in both halves, median over splits); ``taus``: every split's τ.
    """

    by: str
    n_clusters: int
    n_splits: int
    n_systems: int
    tau: float
    tau_low: float
    tau_high: float
    swap_share: float
    pearson_half: float
    pearson_full: float
    band: str
    words: str
    taus: np.ndarray

    def as_dict(self) -> dict:
        return {
            "by": self.by,
            "n_clusters": self.n_clusters,
            "n_splits": self.n_splits,
            "n_systems": self.n_systems,
            "tau": _finite(self.tau),
            "tau_interval": [_finite(self.tau_low), _finite(self.tau_high)],
            "swap_share": _finite(self.swap_share),
            "pearson_half": _finite(self.pearson_half),
            "pearson_full": _finite(self.pearson_full),
            "band": self.band,
            "words": self.words,
        }


def _finite(x: float) -> float | None:
    return round(float(x), 4) if math.isfinite(x) else None


def stability_band(tau: float) -> str:
    """The band of a median split-half τ (`STABILITY_BANDS`); ``unknown`` for NaN."""
    if not math.isfinite(tau):
        return "unknown"
    return next(name for name, bound in STABILITY_BANDS if tau >= bound)


def _unknown(by: str, n_clusters: int, n_splits: int, n_systems: int) -> RankingStability:
    nan = math.nan
    return RankingStability(
        by, n_clusters, n_splits, n_systems, nan, nan, nan, nan, nan, nan, "unknown", STABILITY_WORDS["unknown"],
        np.zeros(0),
    )  # fmt: skip


def split_half_stability(
    cells: bt.Cells, *, by: str = "rater", n_splits: int = 100, seed: int | None = 0
) -> RankingStability:
    """Split-half stability of the Bradley-Terry leaderboard of ``cells`` (see the module docstring).

    Each split puts a random half of the ``by`` clusters (⌊G/2⌋ of them) in half A and the rest in half B;
    each half is fitted from the full fit with its clusters' judgments counted twice (so its Hessian is
    close to the full one; doubling does not move a maximum-likelihood fit). Only systems ranked in the
    full fit (`bradley_terry.comparison_groups`) that have both credit (a win or tie) and a loss in *both*
    halves are compared, since the others have no finite score there. Fewer than `MIN_CLUSTERS` clusters
    or `MIN_SYSTEMS` comparable systems give band ``unknown``.
    """
    if n_splits < 1:
        raise ValueError("n_splits must be at least 1")
    if by not in cells.clusters:
        have = ", ".join(cells.clusters) or "none"
        raise ValueError(f"cells carry no {by!r} cluster ids (they carry: {have})")
    groups = bt.comparison_groups(cells.table())
    main = groups.main
    idx = np.flatnonzero(main)
    sub = bt.ranked_cells(cells, main)
    g = sub.n_clusters.get(by, 0)
    if g < MIN_CLUSTERS or idx.size < MIN_SYSTEMS:
        return _unknown(by, g, n_splits, int(idx.size))
    fit = bt.fit_bradley_terry(sub.table(), prior_strength=0.0)
    rng = np.random.default_rng(seed)
    mult = np.zeros((2 * n_splits, g), dtype=np.float32)
    for s in range(n_splits):
        half = rng.permutation(g) < g // 2
        mult[2 * s, half] = 2.0
        mult[2 * s + 1, ~half] = 2.0
    theta = bt.reweighted_fits(sub, fit, (by,), [mult])
    # which systems have finite scores in each half: credit and a loss there
    ids = sub.clusters[by]
    w = sub.count * sub.weight
    k = idx.size
    credit_i = np.bincount(ids * k + sub.i, weights=w * sub.outcome, minlength=g * k).reshape(g, k)
    credit_j = np.bincount(ids * k + sub.j, weights=w * (1 - sub.outcome), minlength=g * k).reshape(g, k)
    loss_i = np.bincount(ids * k + sub.i, weights=w * (sub.outcome < 1), minlength=g * k).reshape(g, k)
    loss_j = np.bincount(ids * k + sub.j, weights=w * (sub.outcome > 0), minlength=g * k).reshape(g, k)
    credit = mult @ (credit_i + credit_j)
    losses = mult @ (loss_i + loss_j)
    bounded = (credit > 0) & (losses > 0)
    taus, pearsons, sizes = [], [], []
    for s in range(n_splits):
        a, b = theta[2 * s], theta[2 * s + 1]
        both = bounded[2 * s] & bounded[2 * s + 1]
        sizes.append(int(both.sum()))
        if both.sum() < MIN_SYSTEMS:
            continue
        taus.append(kendall_tau_b(a[both], b[both]))
        pearsons.append(float(np.corrcoef(a[both], b[both])[0, 1]))
    taus_arr = np.array([t for t in taus if math.isfinite(t)])
    if taus_arr.size == 0:
        return _unknown(by, g, n_splits, int(np.median(sizes)))
    tau = float(np.median(taus_arr))
    r_half = float(np.median(pearsons))
    r_full = 2 * r_half / (1 + r_half) if r_half > -1 else math.nan
    band = stability_band(tau)
    return RankingStability(
        by=by,
        n_clusters=g,
        n_splits=n_splits,
        n_systems=int(np.median(sizes)),
        tau=tau,
        tau_low=float(np.quantile(taus_arr, 0.025)),
        tau_high=float(np.quantile(taus_arr, 0.975)),
        swap_share=(1 - tau) / 2,
        pearson_half=r_half,
        pearson_full=r_full,
        band=band,
        words=STABILITY_WORDS[band],
        taus=taus_arr,
    )


#: Badge colour of each band (the agreement badge's ok / warn / bad classes).
BAND_LEVEL = {"stable": "ok", "mostly_stable": "ok", "partly_stable": "warn", "unstable": "bad", "unknown": "unknown"}


def agreement_verdict(*, stability: RankingStability | None, alpha: float | None) -> dict:
    """The agreement badge's verdict: from ranking stability, with alpha as context (never alone).

    Returns ``{"level": ok|warn|bad|unknown, "band", "verdict_from": "ranking_stability"|"none",
    "stability": as_dict() or None, "alpha": alpha, "alpha_context": "low_typical"|"typical"|"high"|
    "near_chance"|"unknown", "words": [plain sentences]}``. Alpha's context: below 0.05 raters agree
    barely more than chance (said, whatever the stability); 0.05 – the top of `TYPICAL_PAIRWISE_ALPHA` is
    typical of pairwise preference; above it, high. When stability cannot be measured (too few raters or
    systems) the level is ``unknown`` — alpha does not decide it.
    """
    band = stability.band if stability is not None else "unknown"
    level = BAND_LEVEL[band]
    if alpha is None or not math.isfinite(alpha):
        context = "unknown"
    elif alpha < 0.05:
        context = "near_chance"
    elif alpha < TYPICAL_PAIRWISE_ALPHA[0]:
        context = "low_typical"
    elif alpha <= TYPICAL_PAIRWISE_ALPHA[1]:
        context = "typical"
    else:
        context = "high"
    words = [STABILITY_WORDS[band]]
    low, high = TYPICAL_PAIRWISE_ALPHA
    if context == "near_chance":
        words.append(
            f"Raters agree barely more than chance on single items (alpha {alpha:.2f}); check the rater flags."
        )
    elif context in ("low_typical", "typical"):
        words.append(
            f"Alpha {alpha:.2f}: pairwise preference crowds typically reach {low:.2f}–{high:.2f}, because many"
            " pairs are close calls; alpha measures agreement on single items, not whether the ranking holds."
        )
    elif context == "high":
        words.append(f"Alpha {alpha:.2f}: raters agree on single items more than is typical for pairwise preference.")
    return {
        "level": level,
        "band": band,
        "verdict_from": "ranking_stability" if band != "unknown" else "none",
        "stability": stability.as_dict() if stability is not None else None,
        "alpha": alpha,
        "alpha_context": context,
        "words": words,
    }
