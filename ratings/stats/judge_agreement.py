"""How far to trust another source of pairwise verdicts, measured against the blind human judgments.

Pure numpy: no Django import. A *source* is anything that gives verdicts on the same units the
humans judged: an LLM judge (one verdict per comparison, or several), or production users' online
A/B preferences (units are then system pairs, see `system_pair_units`). Every function takes
parallel arrays:

* ``units`` — int unit ids (a comparison; or a system pair), the same ids for humans and source;
* ``raters`` — int rater ids (humans); a source needs none;
* ``choices`` — category codes in canonical sides, ``agreement.CHOICE_CATEGORIES`` order
  (0 = a, 1 = b, 2 = tie, 3 = both_bad; ``agreement.choice_codes`` maps the strings). With
  ``n_categories=3`` both_bad must already be folded into tie (``choice_codes(..., fold_both_bad=True)``,
  the default of the report, as the leaderboard counts it);
* ``preferred`` — for side-preference measures, the side (0 = a, 1 = b) a bias would favour in each
  verdict: the side shown left/first (position bias), the longer output (length bias); −1 = neither.

What is measured (each with its human baseline where one exists, so a number can be read as "as
good as a human" rather than against an arbitrary bar):

* agreement with the human majority per unit: the share of source verdicts equal to the unique
  most frequent human choice on that unit (units whose humans tie for the mode say nothing), with a
  95% Wilson interval (`rater_quality.wilson_interval`, Wilson 1927). Human baseline on equal terms
  (`human_majority_baseline`): humans and source each against the leave-one-out majorities of the
  other humans (`agreement.majority_agreement` counts humans the same way);
* Cohen's kappa against pooled humans: one agreement table in which every source verdict on a unit
  is paired with each human vote on that unit, weight ``1/m`` for ``m`` human votes (so each source
  verdict counts once: the table of "source vs a random human"); kappa and its Fleiss-Cohen-Everitt
  standard error from `agreement.cohen_kappa` (Cohen 1960). Human baseline: the same table for every
  human vote against each *other* human vote on the unit, weight ``1/(m−1)``;
* position bias and length bias: among decisive verdicts (a or b), the share that chose the
  ``preferred`` side, with a Wilson interval and an exact two-sided binomial test against 1/2
  (`rater_quality.binomial_test`);
* tie rate: the share of tie (or both_bad) verdicts, with a Wilson interval;
* the rank correlation of the source's leaderboard with the human one: Kendall's tau-b
  (`rank_correlation.kendall_tau_b`) over the systems both rank, and every pair they order differently;
* where the source disagrees most: agreement with the human majority per group (a tag, a prompt, a
  system pair), worst first by the upper end of its Wilson interval.

`source_report` assembles all of it for one source, plus plain findings (codes and numbers a page
can word) when an interval says the source differs from the humans.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from ratings.stats import bradley_terry as bt
from ratings.stats.agreement import cohen_kappa, value_counts_from_triples
from ratings.stats.rank_correlation import kendall_tau_b
from ratings.stats.rater_quality import binomial_test, wilson_interval

A, B, TIE, BOTH_BAD = 0, 1, 2, 3
NO_MAJORITY = -1
#: A finding needs this much evidence (decisive verdicts, compared verdicts).
MIN_EVIDENCE = 20
#: Position/length bias is reported as a finding when the binomial p-value is below this.
BIAS_P = 0.01


def _ints(values: npt.ArrayLike, name: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-d array, got shape {arr.shape}")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"{name} must hold integers, got dtype {arr.dtype}")
    return arr.astype(np.int64)


def _same_length(**arrays: np.ndarray) -> None:
    sizes = {name: a.size for name, a in arrays.items()}
    if len(set(sizes.values())) > 1:
        listed = ", ".join(f"{name} {size}" for name, size in sizes.items())
        raise ValueError(f"arrays differ in length: {listed}")


def _check_choices(choices: np.ndarray, n_categories: int, name: str = "choices") -> None:
    if n_categories not in (3, 4):
        raise ValueError(f"n_categories must be 3 (both_bad folded into tie) or 4, got {n_categories}")
    bad = np.flatnonzero((choices < 0) | (choices >= n_categories))
    if bad.size:
        r = int(bad[0])
        raise ValueError(f"{name}[{r}] = {choices[r]} is not a category code 0..{n_categories - 1}")


def _proportion(k: int, n: int) -> dict[str, Any]:
    low, high = wilson_interval(k, n)
    return {
        "k": int(k),
        "n": int(n),
        "rate": (k / n) if n else None,
        "low": None if n == 0 else low,
        "high": None if n == 0 else high,
    }


def flip_codes(choices: npt.ArrayLike) -> np.ndarray:
    """The same verdicts seen from swapped sides: a ↔ b, tie and both_bad stay."""
    c = np.asarray(choices, dtype=np.int64)
    return np.where(c == A, B, np.where(c == B, A, c))


@dataclass(frozen=True)
class Majority:
    """Per unit of ``units`` (sorted): the unique modal human choice, or `NO_MAJORITY`, and the vote counts."""

    units: np.ndarray
    label: np.ndarray
    counts: np.ndarray  # (units, categories), one vote per rater and unit

    def lookup(self, units: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(position in `units` or −1, majority label or `NO_MAJORITY`) for each requested unit."""
        if self.units.size == 0:
            return np.full(units.size, -1), np.full(units.size, NO_MAJORITY)
        pos = np.clip(np.searchsorted(self.units, units), 0, self.units.size - 1)
        found = self.units[pos] == units
        return np.where(found, pos, -1), np.where(found, self.label[pos], NO_MAJORITY)


def human_majority(
    units: npt.ArrayLike, raters: npt.ArrayLike, choices: npt.ArrayLike, *, n_categories: int = 3
) -> Majority:
    """The human majority per unit: one vote per (unit, rater), the last one if a rater answered twice.

    A unit's label is its unique most frequent choice; units whose top choices tie get `NO_MAJORITY`.
    Built on `agreement.value_counts_from_triples`.
    """
    u, r, c = _ints(units, "units"), _ints(raters, "raters"), _ints(choices, "choices")
    _same_length(units=u, raters=r, choices=c)
    _check_choices(c, n_categories)
    vc = value_counts_from_triples(u, r, c, n_categories=n_categories)
    top = vc.counts.max(axis=1) if vc.counts.size else np.zeros(0, dtype=np.int64)
    unique = (vc.counts == top[:, None]).sum(axis=1) == 1
    label = np.where(unique & (top > 0), vc.counts.argmax(axis=1), NO_MAJORITY)
    return Majority(units=vc.unit_ids, label=label.astype(np.int64), counts=vc.counts)


def agreement_with_majority(majority: Majority, units: npt.ArrayLike, choices: npt.ArrayLike) -> dict[str, Any]:
    """Share of the source's verdicts that equal the human majority of their unit, with a Wilson interval.

    Returns ``{"k", "n", "rate", "low", "high", "n_no_majority", "n_unjudged"}``: ``n`` verdicts on
    units with a unique human majority, ``k`` of them equal to it; ``n_no_majority`` verdicts on units
    whose humans split evenly; ``n_unjudged`` verdicts on units no human judged.
    """
    u, c = _ints(units, "units"), _ints(choices, "choices")
    _same_length(units=u, choices=c)
    pos, label = majority.lookup(u)
    compared = label != NO_MAJORITY
    out = _proportion(int(np.sum(compared & (label == c))), int(compared.sum()))
    out["n_no_majority"] = int(np.sum((pos >= 0) & ~compared))
    out["n_unjudged"] = int(np.sum(pos < 0))
    return out


def human_majority_baseline(
    human_units: npt.ArrayLike,
    human_raters: npt.ArrayLike,
    human_choices: npt.ArrayLike,
    units: npt.ArrayLike,
    choices: npt.ArrayLike,
    *,
    n_categories: int = 3,
) -> dict[str, Any]:
    """The yardstick for `agreement_with_majority`, measured so that source and humans are on equal terms.

    For every human vote on a unit the source judged, the reference is the majority of the *other*
    humans on that unit (leave one out, unique mode only; one vote per rater and unit, the last).
    Returns ``{"humans": …, "source": …}``, two Wilson proportions over the same references:
    ``humans`` — each human vote against its leave-one-out majority (as `agreement.majority_agreement`
    counts it); ``source`` — the source's verdict put in that human's place, against the same
    majority (its verdicts on the unit averaged when it gave several; ``k`` rounded). Same references
    and the same weights (a unanimous unit of three counts three times on both sides), so a source
    that judges like one more human gets the humans' rate. (Against the full majority instead, a
    source would look worse than humans for no reason.)
    """
    hu, hr, hc = (
        _ints(human_units, "human_units"),
        _ints(human_raters, "human_raters"),
        _ints(human_choices, "human_choices"),
    )
    u, c = _ints(units, "units"), _ints(choices, "choices")
    _same_length(human_units=hu, human_raters=hr, human_choices=hc)
    _same_length(units=u, choices=c)
    _check_choices(hc, n_categories, "human_choices")
    _check_choices(c, n_categories)
    k = n_categories
    # one vote per (unit, rater): the last
    order = np.lexsort((np.arange(hu.size), hr, hu))
    hu, hr, hc = hu[order], hr[order], hc[order]
    last = np.ones(hu.size, dtype=bool)
    last[:-1] = (hu[1:] != hu[:-1]) | (hr[1:] != hr[:-1])
    hu, hc = hu[last], hc[last]
    judged = np.isin(hu, u)
    hu, hc = hu[judged], hc[judged]
    unit_ids, inverse = np.unique(hu, return_inverse=True)
    inverse = inverse.ravel()
    counts = np.bincount(inverse * k + hc, minlength=unit_ids.size * k).reshape(-1, k)
    others = counts[inverse].copy()
    others[np.arange(hc.size), hc] -= 1
    top = others.max(axis=1) if others.size else np.zeros(0, dtype=np.int64)
    has_ref = (top > 0) & ((others == top[:, None]).sum(axis=1) == 1)
    reference = others.argmax(axis=1) if others.size else np.zeros(0, dtype=np.int64)
    humans = _proportion(int(np.sum(has_ref & (reference == hc))), int(has_ref.sum()))
    # per unit and category: how many leave-one-out references name that category
    ref_counts = (
        np.bincount(inverse[has_ref] * k + reference[has_ref], minlength=unit_ids.size * k)
        .reshape(-1, k)
        .astype(np.float64)
    )
    # the source in the place of each of those humans: its share of verdicts per category on the unit
    source_share = np.zeros((unit_ids.size, k))
    on_judged = np.isin(u, unit_ids)
    np.add.at(source_share, (np.searchsorted(unit_ids, u[on_judged]), c[on_judged]), 1.0)
    source_share /= np.maximum(source_share.sum(axis=1, keepdims=True), 1.0)
    source_k = float((ref_counts * source_share).sum())
    source_n = int(ref_counts.sum())
    return {"humans": humans, "source": _proportion(round(source_k), source_n)}


def _kappa(table: np.ndarray) -> dict[str, Any]:
    if table.sum() <= 0:
        return {"kappa": None, "ase": None, "ci_low": None, "ci_high": None, "n": 0}
    stats = cohen_kappa(table)
    return {key: (None if not math.isfinite(v) else v) for key, v in stats.items()}


def kappa_vs_pooled_humans(
    human_units: npt.ArrayLike,
    human_choices: npt.ArrayLike,
    units: npt.ArrayLike,
    choices: npt.ArrayLike,
    *,
    n_categories: int = 3,
) -> dict[str, Any]:
    """Cohen's kappa of the source against pooled humans (source rows, human columns).

    Each source verdict on unit u is paired with every human vote on u, weight ``1/m_u`` (``m_u``
    human votes), so each verdict counts once; verdicts on units no human judged are left out.
    Returns `agreement.cohen_kappa`'s ``{"kappa", "ase", "ci_low", "ci_high", "n"}`` plus the table.
    """
    hu, hc = _ints(human_units, "human_units"), _ints(human_choices, "human_choices")
    u, c = _ints(units, "units"), _ints(choices, "choices")
    _same_length(human_units=hu, human_choices=hc)
    _same_length(units=u, choices=c)
    _check_choices(hc, n_categories, "human_choices")
    _check_choices(c, n_categories)
    k = n_categories
    unit_ids, inverse = np.unique(hu, return_inverse=True)
    votes = np.bincount(inverse.ravel() * k + hc, minlength=unit_ids.size * k).reshape(-1, k).astype(np.float64)
    table = np.zeros((k, k))
    if unit_ids.size:
        pos = np.clip(np.searchsorted(unit_ids, u), 0, unit_ids.size - 1)
        found = unit_ids[pos] == u
        share = votes[pos[found]] / votes[pos[found]].sum(axis=1, keepdims=True)
        np.add.at(table, c[found], share)
    out = _kappa(table)
    out["table"] = table.tolist()
    return out


def human_kappa_baseline(units: npt.ArrayLike, choices: npt.ArrayLike, *, n_categories: int = 3) -> dict[str, Any]:
    """Cohen's kappa of a human against another human on the same unit, pooled (the yardstick for the source).

    Every human vote is paired with each other vote on its unit, weight ``1/(m_u − 1)``; the table is
    symmetric. Units with a single vote say nothing.
    """
    u, c = _ints(units, "units"), _ints(choices, "choices")
    _same_length(units=u, choices=c)
    _check_choices(c, n_categories)
    k = n_categories
    unit_ids, inverse = np.unique(u, return_inverse=True)
    votes = np.bincount(inverse.ravel() * k + c, minlength=unit_ids.size * k).reshape(-1, k).astype(np.float64)
    m = votes.sum(axis=1)
    keep = m >= 2
    votes, m = votes[keep], m[keep]
    # Σ over ordered pairs of distinct votes: n_x n_y − [x = y] n_x, each unit's pairs weighted 1/(m−1)
    pairs = (votes[:, :, None] * votes[:, None, :] - votes[:, :, None] * np.eye(k)[None]) / (m - 1)[:, None, None]
    out = _kappa(pairs.sum(axis=0))
    return out


def side_preference(choices: npt.ArrayLike, preferred: npt.ArrayLike) -> dict[str, Any]:
    """Among decisive verdicts (a or b) with a preferred side, the share that chose it.

    ``preferred[i]`` is 0 (side a) or 1 (side b), or −1 when no side is preferred (equal lengths, an
    unknown screen side): those verdicts are left out. Returns ``{"k", "n", "rate", "low", "high",
    "p_value"}`` — Wilson interval and the exact two-sided binomial test of rate = 1/2. Position bias:
    ``preferred`` = the side shown left (or first in the judge's prompt); length bias: the longer side.
    """
    c, p = _ints(choices, "choices"), _ints(preferred, "preferred")
    _same_length(choices=c, preferred=p)
    bad = np.flatnonzero((p < -1) | (p > 1))
    if bad.size:
        raise ValueError(f"preferred[{int(bad[0])}] = {p[bad[0]]} must be 0 (a), 1 (b) or -1 (neither)")
    decisive = ((c == A) | (c == B)) & (p >= 0)
    k = int(np.sum(decisive & (c == p)))
    n = int(decisive.sum())
    out = _proportion(k, n)
    out["p_value"] = binomial_test(k, n) if n else None
    return out


def longer_side(length_a: npt.ArrayLike, length_b: npt.ArrayLike) -> np.ndarray:
    """0 where output a is longer, 1 where b is, −1 where they are equally long (for `side_preference`)."""
    la, lb = np.asarray(length_a, dtype=np.float64), np.asarray(length_b, dtype=np.float64)
    return np.where(la > lb, A, np.where(lb > la, B, -1)).astype(np.int64)


def tie_rate(choices: npt.ArrayLike) -> dict[str, Any]:
    """Share of verdicts that are tie or both_bad, with a Wilson interval."""
    c = _ints(choices, "choices")
    return _proportion(int(np.sum((c == TIE) | (c == BOTH_BAD))), int(c.size))


def verdict_scores(
    system_a: npt.ArrayLike, system_b: npt.ArrayLike, choices: npt.ArrayLike, *, n_systems: int
) -> np.ndarray:
    """Bradley-Terry scores (`bradley_terry.fit_bradley_terry`, arena scale) of verdicts; tie and both_bad count half.

    NaN for systems without any verdict (they are not on that leaderboard).
    """
    a, b, c = _ints(system_a, "system_a"), _ints(system_b, "system_b"), _ints(choices, "choices")
    _same_length(system_a=a, system_b=b, choices=c)
    outcome = np.where(c == A, 1.0, np.where(c == B, 0.0, 0.5))
    seen = np.zeros(n_systems, dtype=bool)
    seen[a] = True
    seen[b] = True
    scores = np.full(n_systems, np.nan)
    if seen.sum() >= 2:
        # fit the systems present only, so absent ones do not take part in the centring
        index = np.flatnonzero(seen)
        dense = np.full(n_systems, -1)
        dense[index] = np.arange(index.size)
        scores[index] = bt.fit_bradley_terry(bt.pair_table(dense[a], dense[b], outcome, n_systems=index.size)).scores
    return scores


def leaderboard_agreement(reference: npt.ArrayLike, other: npt.ArrayLike) -> dict[str, Any]:
    """Kendall's tau-b between two leaderboards (scores per system, NaN = not ranked) and the pairs they order differently.

    Returns ``{"tau", "n_systems", "discordant": [(i, j), …]}`` where the reference ranks ``i`` above
    ``j`` and the other ranks ``j`` above ``i`` (pairs tied on either side are not discordant).
    """
    ref = np.asarray(reference, dtype=np.float64)
    oth = np.asarray(other, dtype=np.float64)
    if ref.shape != oth.shape or ref.ndim != 1:
        raise ValueError(f"leaderboards must be 1-d arrays of the same length, got {ref.shape} and {oth.shape}")
    common = np.flatnonzero(np.isfinite(ref) & np.isfinite(oth))
    tau = kendall_tau_b(ref[common], oth[common]) if common.size >= 2 else float("nan")
    discordant = [
        (int(i), int(j)) if ref[i] > ref[j] else (int(j), int(i))
        for x, i in enumerate(common)
        for j in common[x + 1 :]
        if np.sign(ref[i] - ref[j]) * np.sign(oth[i] - oth[j]) < 0
    ]
    return {"tau": None if math.isnan(tau) else float(tau), "n_systems": int(common.size), "discordant": discordant}


def disagreement_by_group(
    majority: Majority,
    units: npt.ArrayLike,
    choices: npt.ArrayLike,
    group_unit: npt.ArrayLike,
    group_label: npt.ArrayLike,
    *,
    min_n: int = 5,
) -> list[dict[str, Any]]:
    """Agreement with the human majority per group of units, worst first.

    ``(group_unit[g], group_label[g])`` rows put unit ``group_unit[g]`` in group ``group_label[g]``
    (a unit may be in several groups: one row per tag; or one row per unit with its prompt id).
    Groups with fewer than ``min_n`` compared verdicts are left out. Sorted by the upper end of the
    Wilson interval of agreement, ascending (where the source confidently disagrees most), then by
    rate. Each row: ``{"group", "k", "n", "rate", "low", "high"}``.
    """
    u, c = _ints(units, "units"), _ints(choices, "choices")
    gu, gl = _ints(group_unit, "group_unit"), np.asarray(group_label)
    _same_length(units=u, choices=c)
    _same_length(group_unit=gu, group_label=gl)
    _, label = majority.lookup(u)
    compared = label != NO_MAJORITY
    agree = compared & (label == c)
    # per unit: compared verdicts and agreements
    unit_ids, inverse = np.unique(u, return_inverse=True)
    n_unit = np.bincount(inverse.ravel(), weights=compared, minlength=unit_ids.size)
    k_unit = np.bincount(inverse.ravel(), weights=agree, minlength=unit_ids.size)
    rows = []
    if unit_ids.size and gu.size:
        pos = np.clip(np.searchsorted(unit_ids, gu), 0, unit_ids.size - 1)
        found = unit_ids[pos] == gu
        labels, g_inv = np.unique(gl[found], return_inverse=True)
        n_group = np.bincount(g_inv.ravel(), weights=n_unit[pos[found]], minlength=labels.size)
        k_group = np.bincount(g_inv.ravel(), weights=k_unit[pos[found]], minlength=labels.size)
        for name, k, n in zip(labels, k_group, n_group, strict=True):
            if n >= min_n:
                rows.append(
                    {"group": name.item() if isinstance(name, np.generic) else name, **_proportion(int(k), int(n))}
                )
    rows.sort(key=lambda r: (r["high"], r["rate"], str(r["group"])))
    return rows


def system_pair_units(
    system_a: npt.ArrayLike, system_b: npt.ArrayLike, choices: npt.ArrayLike, *, n_systems: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Map verdicts to system-pair units, for sources without prompts (production A/B preferences).

    Returns ``(units, choices, pair_a, pair_b)``: the unit of each verdict is the index of its
    unordered pair ``(lo, hi)`` in ``np.triu_indices(n_systems, 1)`` order, the same for humans and
    source; choices are turned to the pair's sides (a = the lower system index), flipped where the
    verdict had them the other way round; ``pair_a[u], pair_b[u]`` are unit u's systems.
    """
    a, b, c = _ints(system_a, "system_a"), _ints(system_b, "system_b"), _ints(choices, "choices")
    _same_length(system_a=a, system_b=b, choices=c)
    if np.any(a == b):
        raise ValueError(f"verdict {int(np.flatnonzero(a == b)[0])} compares a system with itself")
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    units = lo * n_systems - lo * (lo + 1) // 2 + (hi - lo - 1)
    pair_a, pair_b = np.triu_indices(n_systems, 1)
    return units.astype(np.int64), np.where(a == lo, c, flip_codes(c)), pair_a.astype(np.int64), pair_b.astype(np.int64)


def source_report(
    *,
    human_units: npt.ArrayLike,
    human_raters: npt.ArrayLike,
    human_choices: npt.ArrayLike,
    units: npt.ArrayLike,
    choices: npt.ArrayLike,
    unit_system_a: npt.ArrayLike,
    unit_system_b: npt.ArrayLike,
    n_systems: int,
    preferred_left: npt.ArrayLike | None = None,
    human_preferred_left: npt.ArrayLike | None = None,
    unit_length_a: npt.ArrayLike | None = None,
    unit_length_b: npt.ArrayLike | None = None,
    group_unit: npt.ArrayLike | None = None,
    group_label: npt.ArrayLike | None = None,
    n_categories: int = 3,
    min_group_n: int = 5,
) -> dict[str, Any]:
    """The human-vs-source agreement report for one source (an LLM judge, or production A/B feedback).

    Units are dense ids ``0..U−1``: ``unit_system_a[u]``, ``unit_system_b[u]`` are the systems on
    unit u's canonical sides (for the leaderboards), ``unit_length_a/b`` optional output lengths (for
    length bias). ``preferred_left`` / ``human_preferred_left``: per verdict, the canonical side shown
    left/first (0 = a, 1 = b, −1 unknown); omitted = no position-bias measure (feedback). Groups: see
    `disagreement_by_group`. Returns a JSON-ready dict: ``majority_agreement`` (with
    ``same_reference``: humans and source against leave-one-out majorities), ``kappa`` (with ``human_baseline``), ``position_bias`` and ``length_bias``
    (source and humans), ``tie_rate`` (source and humans), ``leaderboard`` (scores, tau, discordant
    pairs), ``worst_groups``, and ``findings``: ``[{"code", ...numbers}]`` for each difference an
    interval or test supports (codes ``position_bias``, ``length_bias``, ``below_human_agreement``,
    ``tie_rate_differs``, ``leaderboard_differs``).
    """
    hu, hr, hc = (
        _ints(human_units, "human_units"),
        _ints(human_raters, "human_raters"),
        _ints(human_choices, "human_choices"),
    )
    u, c = _ints(units, "units"), _ints(choices, "choices")
    sa, sb = _ints(unit_system_a, "unit_system_a"), _ints(unit_system_b, "unit_system_b")
    _same_length(human_units=hu, human_raters=hr, human_choices=hc)
    _same_length(units=u, choices=c)
    _same_length(unit_system_a=sa, unit_system_b=sb)
    for name, arr in (("human_units", hu), ("units", u)):
        if arr.size and (arr.min() < 0 or arr.max() >= sa.size):
            raise ValueError(f"{name} must be unit ids 0..{sa.size - 1} (one unit_system_a/b entry per unit)")
    _check_choices(hc, n_categories, "human_choices")
    _check_choices(c, n_categories)

    majority = human_majority(hu, hr, hc, n_categories=n_categories)
    agree = agreement_with_majority(majority, u, c)
    agree["same_reference"] = human_majority_baseline(hu, hr, hc, u, c, n_categories=n_categories)
    kappa = kappa_vs_pooled_humans(hu, hc, u, c, n_categories=n_categories)
    kappa["human_baseline"] = human_kappa_baseline(hu, hc, n_categories=n_categories)

    position = None
    if preferred_left is not None:
        position = side_preference(c, preferred_left)
        position["humans"] = side_preference(hc, human_preferred_left) if human_preferred_left is not None else None
    length = None
    if unit_length_a is not None and unit_length_b is not None:
        longer = longer_side(unit_length_a, unit_length_b)
        length = side_preference(c, longer[u])
        length["humans"] = side_preference(hc, longer[hu])
    ties = tie_rate(c)
    ties["humans"] = tie_rate(hc)

    human_scores = verdict_scores(sa[hu], sb[hu], hc, n_systems=n_systems)
    source_scores = verdict_scores(sa[u], sb[u], c, n_systems=n_systems)
    board = leaderboard_agreement(human_scores, source_scores)
    board["human_scores"] = [None if not math.isfinite(x) else float(x) for x in human_scores]
    board["source_scores"] = [None if not math.isfinite(x) else float(x) for x in source_scores]

    worst: list[dict[str, Any]] = []
    if group_unit is not None and group_label is not None:
        worst = disagreement_by_group(majority, u, c, group_unit, group_label, min_n=min_group_n)

    return {
        "n_verdicts": int(c.size),
        "n_human_judgments": int(hc.size),
        "majority_agreement": agree,
        "kappa": kappa,
        "position_bias": position,
        "length_bias": length,
        "tie_rate": ties,
        "leaderboard": board,
        "worst_groups": worst,
        "findings": _findings(agree, position, length, ties, board),
    }


def _separated(x: dict[str, Any], y: dict[str, Any] | None) -> bool:
    """Both proportions measured on enough evidence, and their 95% Wilson intervals do not overlap."""
    if not y or x["n"] < MIN_EVIDENCE or y["n"] < MIN_EVIDENCE:
        return False
    return bool(x["low"] > y["high"] or x["high"] < y["low"])


def _findings(agree, position, length, ties, board) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for code, measure in (("position_bias", position), ("length_bias", length)):
        if measure is None or measure["n"] < MIN_EVIDENCE or measure["p_value"] is None:
            continue
        humans = measure.get("humans")
        if measure["p_value"] < BIAS_P and (
            humans is None or humans["n"] < MIN_EVIDENCE or _separated(measure, humans)
        ):
            found.append(
                {
                    "code": code,
                    "rate": measure["rate"],
                    "n": measure["n"],
                    "p_value": measure["p_value"],
                    "human_rate": humans["rate"] if humans else None,
                }
            )
    paired = agree["same_reference"]
    source, humans = paired["source"], paired["humans"]
    if source["n"] >= MIN_EVIDENCE and humans["n"] >= MIN_EVIDENCE and source["high"] < humans["low"]:
        found.append(
            {
                "code": "below_human_agreement",
                "rate": source["rate"],
                "high": source["high"],
                "human_rate": humans["rate"],
            }
        )
    if _separated(ties, ties["humans"]):
        found.append({"code": "tie_rate_differs", "rate": ties["rate"], "human_rate": ties["humans"]["rate"]})
    if board["discordant"]:
        found.append({"code": "leaderboard_differs", "tau": board["tau"], "discordant": len(board["discordant"])})
    return found
