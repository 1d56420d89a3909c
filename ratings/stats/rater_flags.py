"""Fair rater flags: tests that stay valid when a rater's judgments are dependent, with FDR control.

Pure math (math + numpy), no Django. Every rule asks one question about one rater — "is this rater
confidently worse than the owner's threshold?" — and answers it with a p-value that is valid under the
dependence the data really has; the study's p-values (every rater × every rule) then go through
Benjamini–Hochberg, so that of the flags a study raises, at most the chosen share (5% by default) are
expected to be false.

Which dependence, and how it is handled:

- **Proportions** (gold accuracy, self-consistency on repeats, agreement with the others' majority) are
  judged on judgments grouped into *clusters* — the prompt, since one prompt yields several pairs whose
  difficulty is shared (the share of too-fast answers is a property of the rater, not of the prompt: each
  judgment is its own unit there). The count is deflated by the Rao–Scott design
  effect (Rao & Scott 1992): ``x̃ = x / d``, ``ñ = n / d`` with ``d`` the ratio of the cluster-robust
  variance of the proportion to the binomial one, and then tested exactly against the threshold with the
  binomial distribution (continuous in ``ñ`` through the regularised incomplete beta function). With one
  judgment per cluster ``d = 1`` and the test is the exact binomial test. ``d`` is never below 1; with
  fewer than ``MIN_CLUSTERS_FOR_DEFF`` clusters it cannot be estimated and the worst case is assumed
  (every cluster counts as one judgment: ``d = n / clusters``).
- **Position bias** is judged on *randomisation units*: one assignment (the left side is drawn afresh for
  every assignment), or one ranking when several pairs come from one screen. The rule asks whether the
  rater's share of one screen side is confidently above ``max_side_share`` (two one-sided Rao–Scott
  binomial tests, doubled), not whether it differs from ½ at all: honest people have small side
  preferences, and with thousands of judgments any of them would be "significant".
- **Straight-lining**: the longest run of one on-screen answer, in the order the rater saw the items, is
  compared with the longest run an independent sequence of the same length and the rater's own answer
  shares produces: the exact probability ``P(longest run ≥ observed)`` by dynamic programming over the
  run-length Markov chain (Feller 1968, §XIII.7; Schilling 1990 for its size).

References
----------
- Y. Benjamini & Y. Hochberg (1995). Controlling the false discovery rate: a practical and powerful
  approach to multiple testing. JRSS B 57(1) — the step-up procedure and adjusted p-values (q-values).
- J. N. K. Rao & A. J. Scott (1992). A simple method for the analysis of clustered binary data.
  Biometrics 48(2) — design-effect adjustment of clustered proportions.
- W. H. Press et al. (2007). Numerical Recipes, 3rd ed., §6.4 — the incomplete beta function by Lentz's
  continued fraction.
- M. F. Schilling (1990). The longest run of heads. College Math. J. 21(3).
- R. E. Tarone (1990). A modified Bonferroni method for discrete data. Biometrics 46(2); P. B. Gilbert
  (2005). A modified false discovery rate multiple-comparisons procedure for discrete data. Applied
  Statistics 54(1) — leaving out tests that cannot reach the level.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ratings.stats.agreement import majority_hits

#: Below this many clusters the design effect is not estimated: every cluster counts as one judgment.
MIN_CLUSTERS_FOR_DEFF = 10


# --- distributions ------------------------------------------------------------------------------


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz; Numerical Recipes §6.4)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 10_000):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return h


def regularized_beta(a: float, b: float, x: float) -> float:
    """The regularised incomplete beta function I_x(a, b) for a, b > 0 and 0 ≤ x ≤ 1.

    Numerical Recipes (3rd ed.) §6.4: the continued fraction, on whichever of I_x(a, b) and
    1 − I_{1−x}(b, a) converges fast. Relative accuracy about 1e-13 (checked against scipy in the tests).
    """
    if a <= 0 or b <= 0:
        raise ValueError(f"a and b must be positive, got a={a}, b={b}")
    if not 0.0 <= x <= 1.0:
        raise ValueError(f"x must be in [0, 1], got {x}")
    if x in {0.0, 1.0}:
        return x
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _betacf(a, b, x) / a
    return 1.0 - math.exp(log_front) * _betacf(b, a, 1.0 - x) / b


def binomial_cdf(k: float, n: float, p: float) -> float:
    """P(X ≤ k) for X ~ Binomial(n, p), continuous in k and n (for design-effect-adjusted counts).

    For integers it is the binomial distribution function; in general ``I_{1−p}(n − k, k + 1)``
    (the identity of the binomial tail with the incomplete beta function), 1 for k ≥ n, 0 for k < 0.
    """
    if n < 0 or not 0.0 <= p <= 1.0:
        raise ValueError(f"need n >= 0 and 0 <= p <= 1, got n={n}, p={p}")
    if k < 0:
        return 0.0
    if k >= n:
        return 1.0
    if p == 0.0:
        return 1.0
    if p == 1.0:
        return 0.0
    return regularized_beta(n - k, k + 1.0, 1.0 - p)


def binomial_sf_inclusive(k: float, n: float, p: float) -> float:
    """P(X ≥ k) for X ~ Binomial(n, p), continuous in k and n: ``I_p(k, n − k + 1)``; 1 for k ≤ 0."""
    if n < 0 or not 0.0 <= p <= 1.0:
        raise ValueError(f"need n >= 0 and 0 <= p <= 1, got n={n}, p={p}")
    if k <= 0:
        return 1.0
    if k > n:
        return 0.0
    if p == 0.0:
        return 0.0
    if p == 1.0:
        return 1.0
    return regularized_beta(k, n - k + 1.0, p)


# --- multiple testing ---------------------------------------------------------------------------

#: Conditional BH: p-values above this are set aside, the others rescaled by it (Zhao, Small & Su 2019).
DISCARD_ABOVE = 0.5


def benjamini_hochberg(p_values: npt.ArrayLike) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (q-values) of a family of tests; NaN entries are not tests.

    ``q_(i) = min_{j ≥ i} m · p_(j) / j`` over the m finite p-values sorted ascending, capped at 1; rejecting
    every test with ``q ≤ α`` is the BH (1995) step-up procedure at FDR level α (valid for independent or
    positively dependent tests). NaN stays NaN and does not count in m.
    """
    p = np.asarray(p_values, dtype=float)
    q = np.full(p.shape, np.nan)
    finite = np.isfinite(p)
    if not finite.any():
        return q
    if np.any((p[finite] < 0) | (p[finite] > 1)):
        raise ValueError("p-values must lie in [0, 1]")
    values = p[finite]
    m = values.size
    order = np.argsort(values, kind="stable")
    scaled = values[order] * m / np.arange(1, m + 1)
    adjusted = np.minimum.accumulate(scaled[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(adjusted, 1.0)
    q[finite] = out
    return q


def conditional_benjamini_hochberg(p_values: npt.ArrayLike, *, lam: float = DISCARD_ABOVE) -> np.ndarray:
    """Benjamini–Hochberg after discarding: q-values of the p-values ≤ ``lam`` from BH on ``p / lam``; 1 for the rest.

    Valid when the null p-values are *uniformly conservative* — P(p ≤ τ·t | p ≤ τ) ≤ t, true of exact
    tests and of one-sided tests of a composite null in a monotone-likelihood-ratio family such as the
    binomial (Zhao, Small & Su 2019, JASA 114, "Multiple testing when many p-values are uniformly
    conservative"). Rejecting q ≤ α then controls the FDR at α. NaN stays NaN and is not a test;
    ``lam = 1`` is plain `benjamini_hochberg`.
    """
    if not 0 < lam <= 1:
        raise ValueError(f"lam must be in (0, 1], got {lam}")
    p = np.asarray(p_values, dtype=float)
    q = np.where(np.isfinite(p), 1.0, np.nan)
    kept = np.isfinite(p) & (p <= lam)
    if kept.any():
        q[kept] = benjamini_hochberg(p[kept] / lam)
    return q


# --- clustered proportions ----------------------------------------------------------------------


@dataclass(frozen=True)
class ProportionTest:
    """A clustered proportion judged against a threshold.

    ``estimate`` = successes / n; ``n_clusters`` independent units; ``design_effect`` (≥ 1) the Rao–Scott
    factor by which the count was deflated; ``p_value`` one-sided, of H0 "the rater's true proportion is
    on the acceptable side of ``threshold``".
    """

    successes: int
    n: int
    n_clusters: int
    estimate: float
    design_effect: float
    threshold: float
    p_value: float


def design_effect(successes: npt.ArrayLike, trials: npt.ArrayLike) -> float:
    """Rao–Scott design effect of a proportion from per-cluster successes and trials (Rao & Scott 1992, eq. 2).

    ``d = v_cluster / v_binomial`` with ``v_cluster = G/(G−1) · Σ (x_c − p̂ n_c)² / n²`` and
    ``v_binomial = p̂ (1 − p̂) / n``; floored at 1. Exactly 1 when every cluster holds one trial (the
    trials are then the independent units) or when p̂ is 0 or 1 (no variation to inflate). With fewer than
    ``MIN_CLUSTERS_FOR_DEFF`` clusters the ratio cannot be estimated and the worst case ``n / G`` (every
    cluster as one trial) is returned.
    """
    x = np.asarray(successes, dtype=float)
    t = np.asarray(trials, dtype=float)
    keep = t > 0
    x, t = x[keep], t[keep]
    g = t.size
    n = float(t.sum())
    if g == 0 or t.max() <= 1:
        return 1.0
    if g < MIN_CLUSTERS_FOR_DEFF:
        return max(1.0, n / g)
    p = float(x.sum()) / n
    if p <= 0.0 or p >= 1.0:
        return 1.0
    v_cluster = g / (g - 1) * float(((x - p * t) ** 2).sum()) / (n * n)
    return max(1.0, v_cluster / (p * (1.0 - p) / n))


def _cluster_totals(hits: npt.ArrayLike, clusters: npt.ArrayLike | None) -> tuple[np.ndarray, np.ndarray]:
    h = np.asarray(hits, dtype=float).ravel()
    if clusters is None:
        return h, np.ones_like(h)
    c = np.asarray(clusters).ravel()
    if c.shape != h.shape:
        raise ValueError(f"hits and clusters must have the same length, got {h.size} and {c.size}")
    _, inverse = np.unique(c, return_inverse=True)
    return np.bincount(inverse, weights=h), np.bincount(inverse).astype(float)


def proportion_test(
    hits: npt.ArrayLike, clusters: npt.ArrayLike | None = None, *, threshold: float, alternative: str
) -> ProportionTest:
    """Is the rater's proportion confidently below (``alternative="less"``) or above (``"greater"``) a threshold?

    ``hits``: one 0/1 entry per judgment (1 = success: right on gold, consistent, agreed, too fast);
    ``clusters``: an id per judgment for the independent units (None = every judgment its own unit).
    The count is deflated by the Rao–Scott design effect (``design_effect``) and tested with the exact
    binomial tail at ``threshold``: for "less", p = P(X ≤ x̃ | ñ, threshold); for "greater",
    p = P(X ≥ x̃ | ñ, threshold). NaN p-value for no judgments.
    """
    if alternative not in ("less", "greater"):
        raise ValueError(f"alternative must be 'less' or 'greater', not {alternative!r}")
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold must be in [0, 1], got {threshold}")
    x_c, n_c = _cluster_totals(hits, clusters)
    if np.any((x_c < 0) | (x_c > n_c)):
        raise ValueError("hits must be 0 or 1")
    n = int(np.rint(n_c.sum()))
    successes = int(np.rint(x_c.sum()))
    if n == 0:
        return ProportionTest(0, 0, 0, float("nan"), 1.0, threshold, float("nan"))
    d = design_effect(x_c, n_c)
    x_eff, n_eff = successes / d, n / d
    if alternative == "less":
        p = binomial_cdf(x_eff, n_eff, threshold)
    else:
        p = binomial_sf_inclusive(x_eff, n_eff, threshold)
    return ProportionTest(successes, n, int(n_c.size), successes / n, d, threshold, float(min(1.0, p)))


def side_share_test(
    chose_left: npt.ArrayLike, units: npt.ArrayLike | None = None, *, max_share: float
) -> ProportionTest:
    """Position bias: is the share of one screen side confidently above ``max_share`` (in ½ … 1)?

    ``chose_left``: 1 when a decisive answer picked the side shown left, 0 for the right; ``units``: the
    randomisation unit of each answer (None = every answer its own unit, as when the left side is drawn per
    assignment). H0: ``1 − max_share ≤ P(left) ≤ max_share``; p = 2 · min(P(X ≥ x̃ | max_share),
    P(X ≤ x̃ | 1 − max_share)) on the Rao–Scott-deflated count, capped at 1. With ``max_share = ½`` this is
    the exact two-sided binomial test of no side preference. The returned ``threshold`` is ``max_share``
    and ``estimate`` the left share.
    """
    if not 0.5 <= max_share <= 1.0:
        raise ValueError(f"max_share must be in [0.5, 1], got {max_share}")
    high = proportion_test(chose_left, units, threshold=max_share, alternative="greater")
    if high.n == 0:
        return high
    low = proportion_test(chose_left, units, threshold=1.0 - max_share, alternative="less")
    p = min(1.0, 2.0 * min(high.p_value, low.p_value))
    return ProportionTest(high.successes, high.n, high.n_clusters, high.estimate, high.design_effect, max_share, p)


# --- straight-lining ----------------------------------------------------------------------------


def longest_run(values: Sequence[object]) -> int:
    """Length of the longest run of identical consecutive values (0 for none)."""
    best = current = 0
    previous: object = object()
    for value in values:
        current = current + 1 if current and value == previous else 1
        best = max(best, current)
        previous = value
    return best


#: Above this many draws the longest-run tail uses the Poisson clumping approximation, not the exact chain.
EXACT_RUN_MAX_N = 5000


def _check_run_args(n: int, probabilities: npt.ArrayLike, run: int) -> np.ndarray:
    p = np.asarray(probabilities, dtype=float).ravel()
    if n < 0 or run < 0:
        raise ValueError(f"n and run must be non-negative, got n={n}, run={run}")
    if p.size == 0 or np.any(p < 0) or abs(p.sum() - 1.0) > 1e-9:
        raise ValueError("probabilities must be non-negative and sum to 1")
    return p[p > 0]


def longest_run_sf_exact(n: int, probabilities: npt.ArrayLike, run: int) -> float:
    """P(the longest run of one category is ≥ ``run``) in ``n`` independent draws with these probabilities.

    Exact, by the run-length Markov chain: the state is (category, length of the current run < ``run``);
    each draw extends the run with that category's probability or starts a run of another category;
    reaching ``run`` is absorbing (Feller 1968, §XIII.7). O(n · K · run) time. ``probabilities`` must sum
    to 1; categories with probability 0 never occur.
    """
    p = _check_run_args(n, probabilities, run)
    if run == 0:
        return 1.0
    if run > n:
        return 0.0
    if run == 1:
        return 1.0
    # state[c, l - 1] = P(no run of length `run` yet, the current run is category c of length l)
    state = np.zeros((p.size, run - 1))
    state[:, 0] = p
    new = np.empty_like(state)
    for _ in range(n - 1):
        alive_in = state.sum(axis=1)
        new[:, 0] = p * (alive_in.sum() - alive_in)
        np.multiply(p[:, None], state[:, :-1], out=new[:, 1:])
        state, new = new, state
    return float(min(1.0, max(0.0, 1.0 - state.sum())))


def longest_run_sf_poisson(n: int, probabilities: npt.ArrayLike, run: int) -> float:
    """The Poisson clumping approximation of ``longest_run_sf_exact``: ``1 − exp(−λ)``.

    ``λ = Σ_c p_c^run · ((n − run) (1 − p_c) + 1)`` is the expected number of runs of length ≥ ``run``
    (a run starts at the first draw, or after a draw of another category). Accurate in the tail, which
    is where a flag is decided (Schilling 1990; compared with the exact chain in the tests).
    """
    p = _check_run_args(n, probabilities, run)
    if run == 0:
        return 1.0
    if run > n:
        return 0.0
    with np.errstate(under="ignore"):
        lam = float(np.sum(np.exp(run * np.log(p)) * ((n - run) * (1.0 - p) + 1.0)))
    return float(-math.expm1(-lam))


def longest_run_sf(n: int, probabilities: npt.ArrayLike, run: int) -> float:
    """P(longest run ≥ ``run``): exact up to ``EXACT_RUN_MAX_N`` draws, the Poisson approximation above."""
    if n <= EXACT_RUN_MAX_N:
        return longest_run_sf_exact(n, probabilities, run)
    return longest_run_sf_poisson(n, probabilities, run)


def expected_longest_run(n: int, probabilities: npt.ArrayLike) -> float:
    """About E[longest run] in ``n`` independent draws: Σ_{L ≥ 1} P(longest ≥ L) with the Poisson tail
    (for display: "a run of about this length is expected"), summed until the tail is below 1e-4."""
    _check_run_args(n, probabilities, 0)
    if n <= 0:
        return 0.0
    total, length = 1.0, 2
    while length <= n:
        tail = longest_run_sf_poisson(n, probabilities, length)
        total += tail
        if tail < 1e-4:
            break
        length += 1
    return total


@dataclass(frozen=True)
class RunTest:
    """Straight-lining: the longest run in viewing order, its expectation and exceedance probability."""

    n: int
    longest_run: int
    expected_longest_run: float
    p_value: float


def straight_lining_test(answers_in_order: Sequence[object]) -> RunTest:
    """Is the rater's longest run of one on-screen answer longer than their volume and answer shares explain?

    ``answers_in_order``: the on-screen answers (e.g. left / right / tie / both_bad) in the order the rater
    saw the items. Null model: independent draws with the rater's own answer shares (plug-in). Returns
    ``P(longest run ≥ observed)`` under it (``longest_run_sf``) and the expected longest run. A rater who
    always answers "left" is not a straight-liner by this rule (such runs are what their shares predict):
    the position rule judges them.
    """
    n = len(answers_in_order)
    if n == 0:
        return RunTest(0, 0, 0.0, float("nan"))
    _, counts = np.unique(np.asarray([str(v) for v in answers_in_order]), return_counts=True)
    shares = counts / n
    observed = longest_run(answers_in_order)
    return RunTest(n, observed, expected_longest_run(n, shares), longest_run_sf(n, shares, observed))


# --- the rules: per-rater tests, then one Benjamini–Hochberg family per study ----------------------

#: Rule names, in the order reasons are listed.
RULES: tuple[str, ...] = (
    "gold_accuracy",
    "too_fast",
    "position_bias",
    "self_consistency",
    "majority_agreement",
    "straight_lining",
)
#: Default false-discovery rate of a study's flags.
DEFAULT_FDR = 0.05


@dataclass
class RaterEvidence:
    """What one rater's rules are judged on. Each ``*_hits`` list holds 0/1 per observation, with the
    independent unit of each observation in the matching ``*_clusters`` / ``side_units`` list.

    - gold: 1 = every criterion of a gold item answered as the owner's answer; clusters = prompts.
    - repeat: 1 = a repeat answered consistently with the original (sides flipped back); clusters = prompts.
    - majority: 1 = the answer equals the other raters' unique most frequent answer; clusters = prompts.
    - fast: 1 = faster than the threshold, only judgments whose seconds are known; clusters = judgments.
    - side_left: decisive answers, 1 = the side shown on the left; side_units = the randomisation unit
      (the assignment, or the ranking a pair came from).
    - screen: on-screen answers (left / right / tie / both_bad) in the order the rater saw the items.
    """

    gold_hits: list[int]
    gold_clusters: list[int]
    repeat_hits: list[int]
    repeat_clusters: list[int]
    majority_hits: list[int]
    majority_clusters: list[int]
    fast_hits: list[int]
    fast_clusters: list[int]
    side_left: list[int]
    side_units: list[int]
    screen: list[str]

    @classmethod
    def empty(cls) -> RaterEvidence:
        return cls([], [], [], [], [], [], [], [], [], [], [])


def _off(threshold: object, *, below: bool) -> bool:
    return threshold is None or threshold is False or (below and threshold == 0)


def _proportion_entry(test: ProportionTest, judged: bool, *, min_p: float) -> dict:
    return {
        "judged": judged,
        "p": test.p_value if judged and math.isfinite(test.p_value) else None,
        "min_p": min_p,
        "estimate": test.estimate if test.n else None,
        "n": test.n,
        "units": test.n_clusters,
        "design_effect": round(test.design_effect, 3),
        "threshold": test.threshold,
    }


def rater_tests(evidence: RaterEvidence, rules: dict) -> dict[str, dict]:
    """Every rule's test for one rater: {rule: {"judged", "p", "n", "units", "estimate", "threshold", …}}.

    A rule is *judged* only when its threshold is set and the minimum evidence is there:
    ``min_gold_items`` gold items, ``min_repeat_items`` repeats, ``min_judgments`` decisive answers
    (position), timed answers (speed), majority items, or answers in order (straight-lining). Unjudged
    rules carry ``p = None`` and never enter the study's FDR family. One-sided p-values of H0 "the rater
    is on the acceptable side of the threshold": gold accuracy / self-consistency / majority agreement
    ≥ their minimum; fast share ≤ ``max_fast_share``; the share of one screen side ≤ ``max_side_share``
    (``side_share_test``); and for straight-lining P(longest run ≥ observed) for the rater's volume and
    answer shares (``straight_lining_test``). ``min_p`` is the smallest p-value the test's number of
    observations could give (see `study_flags`).
    """
    r = dict(rules or {})
    min_judgments = int(r.get("min_judgments") or 0)
    out: dict[str, dict] = {}
    specs = (
        ("gold_accuracy", evidence.gold_hits, evidence.gold_clusters, "min_gold_accuracy", "min_gold_items", "less"),
        ("too_fast", evidence.fast_hits, evidence.fast_clusters, "max_fast_share", "min_judgments", "greater"),
        ("self_consistency", evidence.repeat_hits, evidence.repeat_clusters, "min_self_consistency",
         "min_repeat_items", "less"),
        ("majority_agreement", evidence.majority_hits, evidence.majority_clusters, "min_majority_agreement",
         "min_judgments", "less"),
    )  # fmt: skip
    for name, hits, clusters, threshold_key, evidence_key, alternative in specs:
        threshold = r.get(threshold_key)
        off = _off(threshold, below=alternative == "less")
        level = 0.5 if off or threshold is None else float(threshold)
        test = proportion_test(hits, clusters, threshold=level, alternative=alternative)
        judged = not off and test.n > 0 and test.n >= int(r.get(evidence_key) or 0)
        # the smallest p-value this many observations can give (every one on the flagged side)
        min_p = (1.0 - level) ** test.n if alternative == "less" else level**test.n
        out[name] = _proportion_entry(test, judged, min_p=min_p)
    side_threshold = r.get("max_side_share")
    side_off = _off(side_threshold, below=False) or ("position_bias_p" in r and r["position_bias_p"] is None)
    side_share = 0.5 if side_off or side_threshold is None else float(side_threshold)
    side = side_share_test(evidence.side_left, evidence.side_units, max_share=side_share)
    side_judged = not side_off and side.n > 0 and side.n >= min_judgments
    out["position_bias"] = _proportion_entry(side, side_judged, min_p=min(1.0, 2.0 * side_share**side.n))
    floor = r.get("max_straight_run")
    run = straight_lining_test(evidence.screen)
    run_judged = not _off(floor, below=False) and run.n > 0 and run.n >= min_judgments
    out["straight_lining"] = {
        "judged": run_judged,
        "p": run.p_value if run_judged else None,
        "min_p": 0.0,
        "n": run.n,
        "longest_run": run.longest_run,
        "expected_longest_run": round(run.expected_longest_run, 1) if run.n else None,
        "threshold": floor,
    }
    return out


def _fdr_level(rules: dict) -> float:
    level = (rules or {}).get("fdr", DEFAULT_FDR)
    if isinstance(level, bool) or not isinstance(level, int | float) or not 0 < level < 1:
        return DEFAULT_FDR
    return float(level)


def study_flags(tests_by_rater: dict[int, dict[str, dict]], rules: dict) -> dict[int, list[tuple[str, str]]]:
    """Decide a study's flags: one false-discovery-rate family over the study's (rater, rule) tests.

    ``tests_by_rater``: {rater: ``rater_tests(...)``}. The family is every judged test whose smallest
    attainable p-value (``min_p``, from its number of observations alone) could still be a discovery — a
    test that could not reach the level even if every observation went against the rater would only
    dilute the others (Tarone 1990; Gilbert 2005 for the FDR). The family goes through
    `conditional_benjamini_hochberg` at level ``rules["fdr"]``: honest raters sit deep inside the null
    of every rule (gold accuracy far above the minimum, …), so their p-values are near 1, and leaving them
    out (p > ``DISCARD_ABOVE``) and rescaling the rest keeps the FDR while the family shrinks to the tests
    that look anything like a problem. Each test in the family gets its ``"q"`` written in place, others
    ``None``. A
    rule fires when q ≤ the level and the estimate lies beyond the threshold (for straight-lining: the
    run is longer than ``max_straight_run``). Returns {rater: [(rule, reason)]} in ``RULES`` order, empty
    lists for raters nothing fires for. Of the flags a study raises, at most the level's share are
    expected to be false (BH 1995, for independent or positively dependent tests).
    """
    level = _fdr_level(rules)
    keys = []
    for w, tests in tests_by_rater.items():
        for name in RULES:
            test = tests.get(name)
            if test is None:
                continue
            test["q"] = None
            if test["p"] is not None and test.get("min_p", 0.0) <= DISCARD_ABOVE * level:
                keys.append((w, name))
    p = np.array([tests_by_rater[w][name]["p"] for w, name in keys], dtype=float)
    q = conditional_benjamini_hochberg(p, lam=DISCARD_ABOVE) if p.size else p
    fired: dict[int, list[tuple[str, str]]] = {w: [] for w in tests_by_rater}
    for (w, name), q_value in zip(keys, q, strict=True):
        test = tests_by_rater[w][name]
        test["q"] = float(q_value)
        if q_value <= level and _beyond(name, test):
            fired[w].append((name, _reason(name, test, m=len(keys))))
    for reasons in fired.values():
        reasons.sort(key=lambda item: RULES.index(item[0]))
    return fired


def _beyond(name: str, test: dict) -> bool:
    """The estimate itself lies on the flagged side of the threshold (a small p implies it; say it anyway)."""
    if name == "straight_lining":
        floor = test["threshold"]
        return test["longest_run"] > int(floor or 0)
    estimate, threshold = test["estimate"], test["threshold"]
    if estimate is None:
        return False
    if name in ("too_fast",):
        return estimate > threshold
    if name == "position_bias":
        return max(estimate, 1 - estimate) > threshold
    return estimate < threshold


def _reason(name: str, t: dict, *, m: int) -> str:
    stats = f"p = {t['p']:.2g}, q = {t['q']:.2g} over {m} tests"
    if name == "gold_accuracy":
        return f"gold accuracy {t['estimate']:.0%} on {t['n']} gold items is below {t['threshold']:.0%} ({stats})"
    if name == "too_fast":
        return (
            f"{t['estimate']:.0%} of {t['n']} timed answers were faster than the threshold "
            f"(allowed: {t['threshold']:.0%}; {stats})"
        )
    if name == "position_bias":
        side = "left" if t["estimate"] >= 0.5 else "right"
        share = t["estimate"] if side == "left" else 1 - t["estimate"]
        return (
            f"chose the {side} side in {share:.0%} of {t['n']} decisive answers "
            f"(allowed: up to {t['threshold']:.0%} on one side; {stats})"
        )
    if name == "self_consistency":
        return (
            f"answered {t['estimate']:.0%} of {t['n']} repeated items consistently "
            f"(minimum {t['threshold']:.0%}; {stats})"
        )
    if name == "majority_agreement":
        return (
            f"agreed with the other raters' majority on {t['estimate']:.0%} of {t['n']} items "
            f"(minimum {t['threshold']:.0%}; {stats})"
        )
    return (
        f"gave the same on-screen answer {t['longest_run']} times in a row; about "
        f"{t['expected_longest_run']:g} is expected from {t['n']} answers with the same shares ({stats})"
    )


# --- from one row per judgment to each rater's evidence ------------------------------------------

#: Judgment kinds in a `JudgmentTable` (as `Comparison.kind`).
REGULAR, GOLD, REPEAT = 0, 1, 2
#: On-screen answers for straight-lining: the side shown left, the right one, tie, both bad.
SCREEN_ANSWERS: tuple[str, ...] = ("left", "right", "tie", "both_bad")


@dataclass
class JudgmentTable:
    """One row per judgment of a study (numpy arrays of equal length n), C criteria.

    - ``rater``, ``comparison``, ``prompt``: ids (int64); ``prompt`` is the cluster of the proportion rules.
    - ``unit``: randomisation unit of the screen side (the assignment id; the ranking id when several
      pairs come from one screen).
    - ``order``: the viewing-order key (e.g. the lease time as a number); ties broken by row.
    - ``kind``: REGULAR / GOLD / REPEAT; ``original``: for a repeat, the row of the same rater's judgment
      of the original comparison (else −1).
    - ``left_is_a``: side a was shown on the left; ``seconds``: NaN when unknown (never feeds speed rules).
    - ``choice``: (n, C) codes a=0, b=1, tie=2, both_bad=3 in canonical sides, −1 where a criterion is
      unanswered; the first criterion is the one position and straight-lining look at.
    - ``gold_answer``: (n, C) the owner's answer codes on gold rows, −1 where none.
    - ``voter``: the rater may form majorities (not excluded).
    """

    rater: np.ndarray
    comparison: np.ndarray
    prompt: np.ndarray
    unit: np.ndarray
    order: np.ndarray
    kind: np.ndarray
    original: np.ndarray
    left_is_a: np.ndarray
    seconds: np.ndarray
    choice: np.ndarray
    gold_answer: np.ndarray
    voter: np.ndarray

    def __post_init__(self) -> None:
        n = self.rater.shape[0]
        for name in ("comparison", "prompt", "unit", "order", "kind", "original", "left_is_a", "seconds", "voter"):
            if getattr(self, name).shape != (n,):
                raise ValueError(f"{name} must have one entry per judgment ({n})")
        if self.choice.ndim != 2 or self.choice.shape[0] != n or self.gold_answer.shape != self.choice.shape:
            raise ValueError("choice and gold_answer must be (judgments, criteria) arrays of the same shape")


def reliability_triples(table: JudgmentTable) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(unit, rater, value, row) of every answered criterion on regular and gold judgments.

    A unit is one comparison × criterion (``comparison · C + criterion``); repeats are left out (a
    repeat is the same rater judging the same pair again). The input of majority agreement and
    Dawid–Skene; ``row`` points back into the table.
    """
    c = table.choice.shape[1]
    rows, crit = np.nonzero((table.choice >= 0) & (table.kind != REPEAT)[:, None])
    units = table.comparison[rows] * c + crit
    return units, table.rater[rows], table.choice[rows, crit].astype(np.int64), rows


def rater_evidence(table: JudgmentTable, *, fast_below: float) -> dict[int, RaterEvidence]:
    """Each rater's `RaterEvidence` from a study's judgments (see `JudgmentTable`).

    Gold: a gold judgment is right when every criterion with an owner's answer that the rater answered
    matches (judgments with none of them say nothing). Repeats: per criterion answered on both the repeat
    and this rater's original, consistent when the flipped repeat equals the original. Majority: each
    answer on a regular or gold item against the other voters' unique most frequent answer
    (`agreement.majority_hits`; excluded raters are compared with the voters' majority). Speed: only
    judgments with known seconds, fast when below ``fast_below``, each its own unit. Position and straight-lining: the first
    criterion, in viewing order.
    """
    n, n_criteria = table.choice.shape
    by_rater: dict[int, RaterEvidence] = {int(w): RaterEvidence.empty() for w in np.unique(table.rater)}
    first = table.choice[:, 0] if n_criteria else np.full(n, -1)

    # Gold: compare where both the owner and the rater gave an answer.
    gold_rows = np.flatnonzero(table.kind == GOLD)
    expected = table.gold_answer[gold_rows]
    given = table.choice[gold_rows]
    checked = (expected >= 0) & (given >= 0)
    has_check = checked.any(axis=1)
    right = np.all(~checked | (expected == given), axis=1)
    for row, ok in zip(gold_rows[has_check], right[has_check], strict=True):
        e = by_rater[int(table.rater[row])]
        e.gold_hits.append(int(ok))
        e.gold_clusters.append(int(table.prompt[row]))

    # Repeats: criterion by criterion against this rater's own original, sides flipped back.
    flip = np.array([1, 0, 2, 3])
    rep_rows = np.flatnonzero((table.kind == REPEAT) & (table.original >= 0))
    if rep_rows.size:
        orig = table.original[rep_rows]
        rep_choice, orig_choice = table.choice[rep_rows], table.choice[orig]
        both = (rep_choice >= 0) & (orig_choice >= 0)
        consistent = flip[np.maximum(rep_choice, 0)] == orig_choice
        for k, row in enumerate(rep_rows):
            e = by_rater[int(table.rater[row])]
            for crit in np.flatnonzero(both[k]):
                e.repeat_hits.append(int(consistent[k, crit]))
                e.repeat_clusters.append(int(table.prompt[row]))

    # Majority: answers on regular and gold items, the majority formed by the voters only.
    units, coders, values, rows = reliability_triples(table)
    if units.size:
        compared, agreed = majority_hits(units, coders, values, n_categories=4, voters=table.voter[rows])
        for row, ok in zip(rows[compared], agreed[compared], strict=True):
            e = by_rater[int(table.rater[row])]
            e.majority_hits.append(int(ok))
            e.majority_clusters.append(int(table.prompt[row]))

    # Speed: known seconds only; each judgment its own unit (time spent is the rater's, not the prompt's:
    # the threshold is a floor no careful reading of any prompt goes below).
    timed = np.flatnonzero(np.isfinite(table.seconds))
    for row in timed:
        e = by_rater[int(table.rater[row])]
        e.fast_hits.append(int(table.seconds[row] < fast_below))
        e.fast_clusters.append(int(row))

    # Position and straight-lining: the first criterion, in the order each rater saw the items.
    viewing = np.lexsort((np.arange(n), table.order, table.rater))
    for row in viewing:
        code = int(first[row])
        if code < 0:
            continue
        e = by_rater[int(table.rater[row])]
        if code in (0, 1):
            on_left = (code == 0) == bool(table.left_is_a[row])
            e.side_left.append(int(on_left))
            e.side_units.append(int(table.unit[row]))
            e.screen.append(SCREEN_ANSWERS[0 if on_left else 1])
        else:
            e.screen.append(SCREEN_ANSWERS[code])
    return by_rater
