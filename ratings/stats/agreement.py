"""Inter-rater agreement: pure numpy, no Django.

Data come in as three parallel arrays (unit index, coder index, value index):
one row per rating. Units are comparisons (or comparison sides for Likert),
coders are raters, values are category indices into a value domain (the
pairwise choices a/b/tie/both_bad, or Likert points). Everything here works
on the sparse triples or on the per-unit value-counts matrix (units ×
categories) built from them, never on a dense raters × units matrix, so a
million ratings fit in memory and compute in seconds.

References
----------
- K. Krippendorff (2011). Computing Krippendorff's Alpha-Reliability.
  https://repository.upenn.edu/asc_papers/43
- A. F. Hayes & K. Krippendorff (2007). Answering the call for a standard
  reliability measure for coding data. Communication Methods and Measures 1(1).
- J. L. Fleiss (1971). Measuring nominal scale agreement among many raters.
  Psychological Bulletin 76(5).
- J. Cohen (1960). A coefficient of agreement for nominal scales; J. Cohen
  (1968) weighted kappa; J. L. Fleiss, J. Cohen & B. S. Everitt (1969), large
  sample standard errors of kappa and weighted kappa (the ASE that SAS PROC
  FREQ reports).
- Thresholds: Krippendorff (2004), Content Analysis, §11.4: alpha ≥ .800
  reliable, ≥ .667 tentative conclusions only, below that unreliable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import krippendorff
import numpy as np
import numpy.typing as npt

Level = Literal["nominal", "ordinal", "interval", "ratio"]
LEVELS: tuple[str, ...] = ("nominal", "ordinal", "interval", "ratio")

#: Canonical pairwise choices and their category indices.
CHOICE_CATEGORIES: tuple[str, ...] = ("a", "b", "tie", "both_bad")
#: With both_bad folded into tie there are three categories.
CHOICE_CATEGORIES_FOLDED: tuple[str, ...] = ("a", "b", "tie")

RELIABLE = 0.800
TENTATIVE = 0.667

#: `krippendorff.alpha` builds a (units × V × V) float intermediate. Above this
#: many elements (64 MB) the exact pattern-weighted computation below is used
#: instead (Likert scales at a million ratings would need hundreds of MB).
#: Both give the same number (tested to 1e-12).
PACKAGE_MAX_ELEMENTS = 8_000_000


def choice_codes(choices: npt.ArrayLike, *, fold_both_bad: bool = False) -> np.ndarray:
    """Map canonical choice strings to category indices (a=0, b=1, tie=2, both_bad=3 or 2 when folded).

    Raises ValueError naming the first unknown value.
    """
    arr = np.asarray(choices, dtype=object)
    mapping = {c: i for i, c in enumerate(CHOICE_CATEGORIES)}
    if fold_both_bad:
        mapping["both_bad"] = mapping["tie"]
    try:
        return np.fromiter((mapping[c] for c in arr), dtype=np.int64, count=arr.shape[0])
    except KeyError:
        bad = next(i for i, c in enumerate(arr) if c not in mapping)
        raise ValueError(
            f"unknown choice {arr[bad]!r} at row {bad} (expected one of {', '.join(CHOICE_CATEGORIES)})"
        ) from None


@dataclass(frozen=True)
class ValueCounts:
    """Per-unit value counts: `counts[u, v]` coders gave value index v to unit `unit_ids[u]`."""

    counts: np.ndarray  # (units, categories) int64
    unit_ids: np.ndarray  # (units,) original unit labels, sorted


def value_counts_from_triples(
    units: npt.ArrayLike, coders: npt.ArrayLike, values: npt.ArrayLike, *, n_categories: int
) -> ValueCounts:
    """Build the units × categories value-counts matrix from sparse (unit, coder, value-index) triples.

    Inputs are parallel integer arrays; `values` are category indices in
    [0, n_categories). A coder who rated a unit more than once counts once (the
    last row wins), as alpha defines one value per coder and unit. Units with a
    single rating are kept (they are simply not pairable). Runs in
    O(n log n) with numpy, with memory proportional to the number of ratings.
    """
    u = np.asarray(units, dtype=np.int64)
    c = np.asarray(coders, dtype=np.int64)
    v = np.asarray(values, dtype=np.int64)
    if not (u.shape == c.shape == v.shape) or u.ndim != 1:
        raise ValueError("units, coders and values must be 1-d arrays of the same length")
    if v.size and (v.min() < 0 or v.max() >= n_categories):
        bad = int(np.flatnonzero((v < 0) | (v >= n_categories))[0])
        raise ValueError(f"value index {int(v[bad])} at row {bad} is outside 0..{n_categories - 1}")
    if u.size == 0:
        return ValueCounts(counts=np.zeros((0, n_categories), dtype=np.int64), unit_ids=np.zeros(0, dtype=np.int64))
    # Deduplicate (unit, coder): keep the last occurrence.
    order = np.lexsort((np.arange(u.size), c, u))
    u, c, v = u[order], c[order], v[order]
    last = np.ones(u.size, dtype=bool)
    last[:-1] = (u[1:] != u[:-1]) | (c[1:] != c[:-1])
    u, v = u[last], v[last]
    unit_ids, inverse = np.unique(u, return_inverse=True)
    flat = np.bincount(inverse * n_categories + v, minlength=unit_ids.size * n_categories)
    return ValueCounts(counts=flat.reshape(unit_ids.size, n_categories).astype(np.int64), unit_ids=unit_ids)


def _distance_matrix(level: str, domain: np.ndarray, marginals: np.ndarray) -> np.ndarray:
    """Krippendorff's metric differences δ²(c, k); `marginals` (…, V) are needed by the ordinal metric."""
    d = domain.astype(float)
    if level == "nominal":
        return 1.0 - np.eye(d.size)
    if level == "interval":
        return (d[:, None] - d[None, :]) ** 2
    if level == "ratio":
        s = d[:, None] + d[None, :]
        diff = d[:, None] - d[None, :]
        return np.divide(diff, s, out=np.zeros_like(diff), where=s != 0) ** 2
    if level == "ordinal":
        # δ(c,k) = (Σ_{g=c..k} n_g − (n_c + n_k)/2)², per row of marginals.
        n = np.asarray(marginals, dtype=float)
        csum = np.cumsum(n, axis=-1)
        lo = np.minimum.outer(np.arange(d.size), np.arange(d.size))
        hi = np.maximum.outer(np.arange(d.size), np.arange(d.size))
        between = csum[..., hi] - csum[..., lo] + n[..., lo]
        return (between - (n[..., lo] + n[..., hi]) / 2.0) ** 2
    raise ValueError(f"unknown level of measurement {level!r} (use one of {', '.join(LEVELS)})")


def _patterns(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct pairable rows of a value-counts matrix and their multiplicity.

    Rows are encoded as one integer each (mixed radix, base = largest count + 1)
    so a 1-d np.unique does the work; falls back to np.unique(axis=0) if the
    code would overflow int64.
    """
    pairable = counts[counts.sum(axis=1) >= 2]
    base = int(pairable.max()) + 1 if pairable.size else 1
    if pairable.shape[1] * math.log2(max(base, 2)) < 62:
        radix = base ** np.arange(pairable.shape[1], dtype=np.int64)
        _codes, first, multiplicity = np.unique(pairable @ radix, return_index=True, return_counts=True)
        return pairable[first], multiplicity
    patterns, multiplicity = np.unique(pairable, axis=0, return_counts=True)
    return patterns, multiplicity


def _pattern_coincidences(patterns: np.ndarray) -> np.ndarray:
    """Coincidences contributed by one unit of each pattern: (P, V, V), o_ck = (n_c n_k − [c=k] n_c) / (m − 1)."""
    m = patterns.sum(axis=1).astype(float)
    outer = patterns[:, :, None] * patterns[:, None, :]
    diag = np.einsum("pv,vw->pvw", patterns, np.eye(patterns.shape[1]))
    return (outer - diag) / (m - 1.0)[:, None, None]


def _alpha_from_coincidences(o: np.ndarray, level: str, domain: np.ndarray) -> np.ndarray:
    """Alpha for one (V, V) or a batch (B, V, V) of coincidence matrices: 1 − (n−1) Σoδ / Σ n_c n_k δ."""
    n_v = o.sum(axis=-1)
    n = n_v.sum(axis=-1)
    delta = _distance_matrix(level, domain, n_v)
    observed = (o * delta).sum(axis=(-2, -1))
    expected = (n_v[..., :, None] * n_v[..., None, :] * delta).sum(axis=(-2, -1)) / (n - 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return 1.0 - observed / expected


def _check_alpha_input(counts: np.ndarray, domain: np.ndarray) -> None:
    if counts.ndim != 2 or counts.shape[1] != domain.size:
        raise ValueError(f"value counts need {domain.size} columns (one per value), got shape {counts.shape}")
    if domain.size < 2:
        raise ValueError("alpha needs at least two possible values")
    if not (counts.sum(axis=1) >= 2).any():
        raise ValueError("alpha needs at least one unit rated by two or more coders")


def krippendorff_alpha(
    counts: npt.ArrayLike, *, level: Level = "nominal", value_domain: npt.ArrayLike | None = None
) -> float:
    """Krippendorff's alpha from a units × categories value-counts matrix.

    `value_domain` gives the numeric value of each column (needed for the
    interval and ratio metrics; defaults to 0..V-1). Computed by the
    `krippendorff` package (`alpha(value_counts=..., value_domain=...)`) on
    the pairable units; above PACKAGE_MAX_ELEMENTS (units × V²) by the same
    formula over distinct unit patterns (exact, lower memory). Returns nan when
    there is no disagreement to expect (every pairable value identical).
    Raises ValueError when no unit has two ratings.
    Reference: Krippendorff (2011), coincidence-matrix form.
    """
    vc = np.asarray(counts, dtype=np.int64)
    domain = np.arange(vc.shape[1]) if value_domain is None else np.asarray(value_domain)
    _check_alpha_input(vc, domain)
    if level not in LEVELS:
        raise ValueError(f"unknown level of measurement {level!r} (use one of {', '.join(LEVELS)})")
    pairable = vc[vc.sum(axis=1) >= 2]
    if (pairable.sum(axis=0) > 0).sum() < 2:
        return float("nan")
    if pairable.shape[0] * domain.size**2 <= PACKAGE_MAX_ELEMENTS:
        return float(krippendorff.alpha(value_counts=pairable, value_domain=domain, level_of_measurement=level))
    return krippendorff_alpha_patterns(pairable, level=level, value_domain=domain)


def krippendorff_alpha_patterns(
    counts: npt.ArrayLike, *, level: Level = "nominal", value_domain: npt.ArrayLike | None = None
) -> float:
    """The same alpha as `krippendorff_alpha`, computed over distinct unit patterns (memory O(patterns · V²))."""
    vc = np.asarray(counts, dtype=np.int64)
    domain = np.arange(vc.shape[1]) if value_domain is None else np.asarray(value_domain)
    _check_alpha_input(vc, domain)
    patterns, multiplicity = _patterns(vc)
    o = np.tensordot(multiplicity.astype(float), _pattern_coincidences(patterns), axes=1)
    return float(_alpha_from_coincidences(o, level, domain))


def alpha_bootstrap(
    counts: npt.ArrayLike,
    *,
    level: Level = "nominal",
    value_domain: npt.ArrayLike | None = None,
    n_boot: int = 1000,
    seed: int | None = 0,
    confidence: float = 0.95,
) -> tuple[float, float]:
    """Percentile bootstrap interval for alpha, resampling units with replacement.

    Each round draws as many pairable units as there are, with replacement.
    Because alpha depends on the units only through the sum of their
    coincidence matrices, a round is a multinomial draw of how often each
    distinct unit pattern occurs; all rounds are one matrix product, so 1000
    rounds over a million ratings take well under a second. Rounds where alpha
    is undefined (no variation) are dropped. Returns (low, high).
    This is a unit bootstrap (cf. Hayes & Krippendorff 2007, who resample
    pairable values); it reflects sampling of items, the usual concern here.
    """
    vc = np.asarray(counts, dtype=np.int64)
    domain = np.arange(vc.shape[1]) if value_domain is None else np.asarray(value_domain)
    _check_alpha_input(vc, domain)
    if not 0 < confidence < 1:
        raise ValueError("confidence must be between 0 and 1")
    patterns, multiplicity = _patterns(vc)
    n_units = int(multiplicity.sum())
    rng = np.random.default_rng(seed)
    weights = rng.multinomial(n_units, multiplicity / n_units, size=n_boot).astype(float)  # (B, P)
    per_pattern = _pattern_coincidences(patterns).reshape(patterns.shape[0], -1)  # (P, V*V)
    o = (weights @ per_pattern).reshape(n_boot, domain.size, domain.size)
    alphas = _alpha_from_coincidences(o, level, domain)
    alphas = alphas[np.isfinite(alphas)]
    if alphas.size == 0:
        return float("nan"), float("nan")
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(alphas, [tail, 100 - tail])
    return float(low), float(high)


def alpha_level(alpha: float | None) -> str:
    """Krippendorff's reading: 'reliable' (≥ .800), 'tentative' (≥ .667), 'unreliable', or 'unknown' (no value)."""
    if alpha is None or not math.isfinite(alpha):
        return "unknown"
    if alpha >= RELIABLE:
        return "reliable"
    if alpha >= TENTATIVE:
        return "tentative"
    return "unreliable"


# --- Fleiss, Cohen, percent agreement --------------------------------------------------------


def fleiss_kappa(counts: npt.ArrayLike) -> dict[str, float]:
    """Fleiss' kappa from a subjects × categories count table.

    Returns {"kappa", "p_bar", "p_e", "n_subjects"}. Subjects with fewer than
    two ratings are dropped. With the same number of raters per subject this
    is Fleiss (1971) exactly; with varying numbers P_i uses each subject's own
    n_i and the category shares pool all ratings (the usual generalisation).
    """
    table = np.asarray(counts, dtype=float)
    n_i = table.sum(axis=1)
    table, n_i = table[n_i >= 2], n_i[n_i >= 2]
    if table.shape[0] == 0:
        raise ValueError("Fleiss' kappa needs at least one subject rated by two or more raters")
    p_i = ((table * (table - 1)).sum(axis=1)) / (n_i * (n_i - 1))
    p_j = table.sum(axis=0) / n_i.sum()
    p_bar = float(p_i.mean())
    p_e = float((p_j**2).sum())
    kappa = (p_bar - p_e) / (1 - p_e) if p_e < 1 else float("nan")
    return {"kappa": float(kappa), "p_bar": p_bar, "p_e": p_e, "n_subjects": int(table.shape[0])}


def percent_agreement(counts: npt.ArrayLike) -> float:
    """Share of agreeing rater pairs within units: Σ_u Σ_c n_uc(n_uc−1) / Σ_u n_u(n_u−1). nan without pairs."""
    table = np.asarray(counts, dtype=float)
    pairs = (table.sum(axis=1) * (table.sum(axis=1) - 1)).sum()
    if pairs == 0:
        return float("nan")
    return float((table * (table - 1)).sum() / pairs)


def cohen_kappa(table: npt.ArrayLike, *, weights: Literal["none", "linear", "quadratic"] = "none") -> dict[str, float]:
    """Cohen's kappa from a k × k agreement table (rater 1 rows, rater 2 columns).

    Returns {"kappa", "ase", "ci_low", "ci_high", "n"}. Weighted variants use
    agreement weights w_ij = 1 − |i−j|/(k−1) (linear, Cicchetti-Allison) or
    1 − (i−j)²/(k−1)² (quadratic). The asymptotic standard error and the Wald
    95% interval follow Fleiss, Cohen & Everitt (1969), as SAS PROC FREQ reports.
    """
    t = np.asarray(table, dtype=float)
    if t.ndim != 2 or t.shape[0] != t.shape[1] or t.shape[0] < 2:
        raise ValueError(f"Cohen's kappa needs a square table with at least 2 categories, got shape {t.shape}")
    if t.sum() <= 0:
        raise ValueError("Cohen's kappa needs at least one rated item")
    return {key: float(value[0]) for key, value in _cohen_batch(t[None], weights=weights).items()}


def _cohen_batch(tables: np.ndarray, *, weights: str) -> dict[str, np.ndarray]:
    """Cohen's kappa, ASE and Wald 95% interval for a batch (B, k, k) of agreement tables at once."""
    t = tables.astype(float)
    k = t.shape[-1]
    idx = np.arange(k)
    dist = np.abs(idx[:, None] - idx[None, :]) / (k - 1)
    w = {"none": np.eye(k), "linear": 1 - dist, "quadratic": 1 - dist**2}.get(weights)
    if w is None:
        raise ValueError(f"unknown weights {weights!r} (use none, linear or quadratic)")
    n = t.sum(axis=(1, 2))
    p = t / n[:, None, None]
    rows, cols = p.sum(axis=2), p.sum(axis=1)
    p_o = (w * p).sum(axis=(1, 2))
    p_e = (w * rows[:, :, None] * cols[:, None, :]).sum(axis=(1, 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        kappa = np.where(p_e < 1, (p_o - p_e) / (1 - p_e), np.nan)
        # Fleiss, Cohen & Everitt (1969): w̄_i. and w̄_.j are weight averages under the marginals.
        w_row = cols @ w.T
        w_col = rows @ w
        term = w[None] - (w_row[:, :, None] + w_col[:, None, :]) * (1 - kappa)[:, None, None]
        var = ((p * term**2).sum(axis=(1, 2)) - (kappa - p_e * (1 - kappa)) ** 2) / (n * (1 - p_e) ** 2)
    ase = np.sqrt(np.maximum(var, 0.0))
    return {"kappa": kappa, "ase": ase, "ci_low": kappa - 1.959964 * ase, "ci_high": kappa + 1.959964 * ase, "n": n}


def _sorted_triples(units: np.ndarray, coders: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, ...]:
    order = np.lexsort((coders, units))
    u, c, v = units[order], coders[order], values[order]
    keep = np.ones(u.size, dtype=bool)
    keep[1:] = (u[1:] != u[:-1]) | (c[1:] != c[:-1])
    return u[keep], c[keep], v[keep]


def pairwise_cohen(
    units: npt.ArrayLike,
    coders: npt.ArrayLike,
    values: npt.ArrayLike,
    *,
    n_categories: int,
    min_overlap: int = 10,
    weights: Literal["none", "linear", "quadratic"] = "none",
) -> list[dict[str, float]]:
    """Cohen's kappa for every pair of coders who rated at least `min_overlap` common units.

    Vectorised: triples are sorted by unit, each unit's coders are paired by
    offset, and the pair confusion tables are filled with one bincount.
    Returns rows {"coder_1", "coder_2", "n", "kappa", "ase", "ci_low", "ci_high"}
    with coder_1 < coder_2 (coder 1's value is the table row).
    """
    u, c, v = _sorted_triples(
        np.asarray(units, dtype=np.int64), np.asarray(coders, dtype=np.int64), np.asarray(values, dtype=np.int64)
    )
    if u.size == 0:
        return []
    first, second, v1, v2 = [], [], [], []
    offset = 1
    while offset < u.size:
        same = u[:-offset] == u[offset:]
        if not same.any():
            break
        first.append(c[:-offset][same])
        second.append(c[offset:][same])
        v1.append(v[:-offset][same])
        v2.append(v[offset:][same])
        offset += 1
    if not first:
        return []
    c1, c2 = np.concatenate(first), np.concatenate(second)
    a1, a2 = np.concatenate(v1), np.concatenate(v2)
    width = int(c.max()) + 1
    codes, inverse, sizes = np.unique(c1 * width + c2, return_inverse=True, return_counts=True)
    pair_keys = np.stack([codes // width, codes % width], axis=1)
    inverse = inverse.reshape(-1)
    k = n_categories
    enough = sizes >= min_overlap
    keep = enough[inverse]
    index = np.cumsum(enough) - 1  # compact index of the pairs with enough overlap
    tables = np.bincount(
        index[inverse[keep]] * k * k + a1[keep] * k + a2[keep], minlength=int(enough.sum()) * k * k
    ).reshape(-1, k, k)
    if not enough.any():
        return []
    stats = _cohen_batch(tables, weights=weights)
    kept = pair_keys[enough]
    return [
        {"coder_1": int(kept[j, 0]), "coder_2": int(kept[j, 1]), **{key: float(v[j]) for key, v in stats.items()}}
        for j in range(kept.shape[0])
    ]


def majority_hits(
    units: npt.ArrayLike,
    coders: npt.ArrayLike,
    values: npt.ArrayLike,
    *,
    n_categories: int,
    voters: npt.ArrayLike | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Per rating, against the majority of the *other* coders on its unit: (compared, agreed), boolean arrays
    aligned with the input.

    The other coders' values are the unit's counts over the voting ratings (``voters``, a boolean mask;
    default every rating) minus every voting rating of this rating's own coder on the unit — so a coder
    who rated a unit twice is never compared with themselves, and a non-voting coder (an excluded rater)
    is compared with the voters' majority. A rating is compared only when the others have a unique most
    frequent value (a unit with no other voter, or a tie among the others' modes, says nothing).
    """
    u = np.asarray(units, dtype=np.int64).ravel()
    c = np.asarray(coders, dtype=np.int64).ravel()
    v = np.asarray(values, dtype=np.int64).ravel()
    if not (u.shape == c.shape == v.shape):
        raise ValueError("units, coders and values must have the same length")
    vote = np.ones(u.size, dtype=bool) if voters is None else np.asarray(voters, dtype=bool).ravel()
    if vote.shape != u.shape:
        raise ValueError("voters must have one entry per rating")
    if u.size == 0:
        return np.zeros(0, dtype=bool), np.zeros(0, dtype=bool)
    k = n_categories
    _, ui = np.unique(u, return_inverse=True)
    coder_ids, ci = np.unique(c, return_inverse=True)
    _, pair = np.unique(ui * coder_ids.size + ci, return_inverse=True)
    unit_counts = np.bincount(ui * k + v, weights=vote, minlength=(ui.max() + 1) * k).reshape(-1, k)
    own_counts = np.bincount(pair * k + v, weights=vote, minlength=(pair.max() + 1) * k).reshape(-1, k)
    others = unit_counts[ui] - own_counts[pair]
    top = others.max(axis=1)
    unique_mode = (others == top[:, None]).sum(axis=1) == 1
    compared = (top > 0) & unique_mode
    agreed = compared & (others.argmax(axis=1) == v)
    return compared, agreed


def majority_agreement(
    units: npt.ArrayLike, coders: npt.ArrayLike, values: npt.ArrayLike, *, n_categories: int
) -> dict[int, tuple[int, int]]:
    """Each coder's agreement with the leave-one-out majority: {coder: (n_agree, n_compared)}.

    For every rating, the other coders' values on the same unit are counted
    (the unit's counts minus this rating; a repeated (unit, coder) rating is
    counted once). The rating is compared only when the others have a unique
    most frequent value (units with one rater, or a tie among the others'
    modes, say nothing about this coder). Per rating: ``majority_hits``.
    """
    u, c, v = _sorted_triples(
        np.asarray(units, dtype=np.int64), np.asarray(coders, dtype=np.int64), np.asarray(values, dtype=np.int64)
    )
    if u.size == 0:
        return {}
    compared, agree = majority_hits(u, c, v, n_categories=n_categories)
    coder_ids, coder_inv = np.unique(c, return_inverse=True)
    n_agree = np.bincount(coder_inv, weights=agree, minlength=coder_ids.size)
    n_compared = np.bincount(coder_inv, weights=compared, minlength=coder_ids.size)
    return {int(cid): (int(a), int(n)) for cid, a, n in zip(coder_ids, n_agree, n_compared, strict=True)}
