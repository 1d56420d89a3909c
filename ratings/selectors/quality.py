"""Reads for agreement and rater quality: reliability data from the database, agreement summaries, badges.

Reliability data (units = comparisons, coders = raters) come from one
`values_list` over JudgmentChoice joined to Judgment/Comparison, then go to the
pure functions in `ratings.stats.agreement`. Conventions (see docs/quality.md):

- Regular and gold comparisons are units. Repeat comparisons are left out of
  alpha: a repeat is the same rater judging the same pair again, so mapping it
  onto the original unit would count one rater twice (inflating agreement).
  Repeats feed self-consistency instead.
- Excluded raters (Rater.excluded) are left out unless include_excluded=True.
- Likert scores: one unit per (comparison, canonical side), value = the score.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.core.cache import cache
from django.db.models import Count, Max, QuerySet

from ratings.models import Judgment, JudgmentChoice, QualityEvent, RaterQuality
from ratings.stats import agreement as ag
from tasks.models import Comparison, Rater, Study
from tasks.selectors.studies import prompt_ids_with_tags

UNIT_KINDS = (Comparison.Kind.REGULAR, Comparison.Kind.GOLD)
AGREEMENT_CACHE_SECONDS = 600


def _choices_queryset(*, study: Study, criterion: str, tag: str, include_excluded: bool) -> QuerySet[JudgmentChoice]:
    qs = JudgmentChoice.objects.filter(study=study, criterion=criterion, judgment__comparison__kind__in=UNIT_KINDS)
    if not include_excluded:
        qs = qs.filter(judgment__rater__excluded=False)
    if tag:
        qs = qs.filter(judgment__comparison__prompt_id__in=prompt_ids_with_tags(study=study, tags=[tag]))
    return qs


@dataclass(frozen=True)
class ReliabilityData:
    """Sparse triples for alpha: parallel arrays of unit ids, coder (rater) ids and category indices."""

    units: np.ndarray
    coders: np.ndarray
    values: np.ndarray
    categories: tuple[Any, ...]

    @property
    def n_ratings(self) -> int:
        return int(self.units.size)

    def value_counts(self) -> ag.ValueCounts:
        return ag.value_counts_from_triples(self.units, self.coders, self.values, n_categories=len(self.categories))


def reliability_data_choices(
    *, study: Study, criterion: str, tag: str = "", include_excluded: bool = False, fold_both_bad: bool = False
) -> ReliabilityData:
    """Pairwise choices of one criterion as reliability data (nominal: a, b, tie, both_bad or folded)."""
    rows = list(
        _choices_queryset(study=study, criterion=criterion, tag=tag, include_excluded=include_excluded).values_list(
            "judgment__comparison_id", "judgment__rater_id", "choice"
        )
    )
    if not rows:
        empty = np.zeros(0, dtype=np.int64)
        categories = ag.CHOICE_CATEGORIES_FOLDED if fold_both_bad else ag.CHOICE_CATEGORIES
        return ReliabilityData(empty, empty, empty, categories)
    units, coders, choices = zip(*rows, strict=True)
    return ReliabilityData(
        units=np.asarray(units, dtype=np.int64),
        coders=np.asarray(coders, dtype=np.int64),
        values=ag.choice_codes(choices, fold_both_bad=fold_both_bad),
        categories=ag.CHOICE_CATEGORIES_FOLDED if fold_both_bad else ag.CHOICE_CATEGORIES,
    )


def reliability_data_likert(
    *, study: Study, criterion: str, tag: str = "", include_excluded: bool = False
) -> ReliabilityData:
    """Likert scores as reliability data: unit = (comparison, side), value index = score − 1."""
    scale = int(study.likert_scale or 0)
    rows = _choices_queryset(study=study, criterion=criterion, tag=tag, include_excluded=include_excluded).values_list(
        "judgment__comparison_id", "judgment__rater_id", "likert_a", "likert_b"
    )
    units: list[int] = []
    coders: list[int] = []
    values: list[int] = []
    for comparison_id, rater_id, likert_a, likert_b in rows:
        for side, score in ((0, likert_a), (1, likert_b)):
            if score is not None:
                units.append(comparison_id * 2 + side)
                coders.append(rater_id)
                values.append(int(score) - 1)
    top = max([scale, *(v + 1 for v in values)]) if values or scale else 0
    return ReliabilityData(
        units=np.asarray(units, dtype=np.int64),
        coders=np.asarray(coders, dtype=np.int64),
        values=np.asarray(values, dtype=np.int64),
        categories=tuple(range(1, top + 1)),
    )


def _finite(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def agreement_from_data(
    *, data: ReliabilityData, level: ag.Level, n_boot: int = 1000, seed: int = 0, numeric_domain: bool = False
) -> dict[str, Any]:
    """Alpha, its bootstrap interval and the companion statistics for one set of reliability data."""
    result: dict[str, Any] = {
        "level": level,
        "alpha": None,
        "interval": [None, None],
        "n_ratings": data.n_ratings,
        "n_units": 0,
        "n_raters": int(np.unique(data.coders).size),
        "fleiss_kappa": None,
        "percent_agreement": None,
    }
    if data.n_ratings == 0 or len(data.categories) < 2:
        return result
    counts = data.value_counts().counts
    pairable = counts[counts.sum(axis=1) >= 2]
    result["n_units"] = int(pairable.shape[0])
    if pairable.shape[0] == 0:
        return result
    domain = np.asarray(data.categories, dtype=float) if numeric_domain else np.arange(len(data.categories))
    alpha = ag.krippendorff_alpha(pairable, level=level, value_domain=domain)
    low, high = ag.alpha_bootstrap(pairable, level=level, value_domain=domain, n_boot=n_boot, seed=seed)
    result["alpha"] = _finite(alpha)
    result["interval"] = [_finite(low), _finite(high)]
    result["fleiss_kappa"] = _finite(ag.fleiss_kappa(pairable)["kappa"])
    result["percent_agreement"] = _finite(ag.percent_agreement(pairable))
    return result


def study_agreement(
    *,
    study: Study,
    criterion: str | None = None,
    tag: str = "",
    include_excluded: bool = False,
    fold_both_bad: bool = False,
    n_boot: int = 1000,
    seed: int = 0,
    min_overlap: int = 10,
) -> dict[str, Any]:
    """Agreement for one criterion (default: the first) and tag ('' = all prompts).

    Nominal alpha on the pairwise choices with a 95% unit-bootstrap interval,
    Fleiss' kappa, percent agreement, the mean pairwise Cohen's kappa over
    rater pairs with at least `min_overlap` common comparisons, and, when the
    study collects Likert scores, ordinal and interval alpha on them.
    Cached (Django cache, AGREEMENT_CACHE_SECONDS) under a stamp of the
    study's judgments and excluded raters, so a read after any change is fresh.
    """
    criterion = criterion or study.criterion_keys[0]
    params = (criterion, tag, include_excluded, fold_both_bad, n_boot, seed, min_overlap)
    raw = f"{study.pk}:{study.created_at.timestamp()}:{_results_stamp(study=study)}:{params!r}"
    key = "quality-agreement-" + hashlib.sha1(raw.encode(), usedforsecurity=False).hexdigest()
    result = cache.get(key)
    if result is None:
        result = _study_agreement_compute(
            study=study,
            criterion=criterion,
            tag=tag,
            include_excluded=include_excluded,
            fold_both_bad=fold_both_bad,
            n_boot=n_boot,
            seed=seed,
            min_overlap=min_overlap,
        )
        cache.set(key, result, timeout=AGREEMENT_CACHE_SECONDS)
    return result


def _results_stamp(*, study: Study) -> str:
    """Changes whenever agreement can change: judgments added or removed, raters excluded or included."""
    stamp = Judgment.objects.filter(study=study).aggregate(n=Count("id"), last=Max("id"))
    excluded = list(Rater.objects.filter(study=study, excluded=True).order_by("id").values_list("id", flat=True))
    return f"{stamp['n']}:{stamp['last']}:{excluded!r}"


def _study_agreement_compute(
    *,
    study: Study,
    criterion: str,
    tag: str,
    include_excluded: bool,
    fold_both_bad: bool,
    n_boot: int,
    seed: int,
    min_overlap: int,
) -> dict[str, Any]:
    data = reliability_data_choices(
        study=study, criterion=criterion, tag=tag, include_excluded=include_excluded, fold_both_bad=fold_both_bad
    )
    result = agreement_from_data(data=data, level="nominal", n_boot=n_boot, seed=seed)
    result.update(
        {"criterion": criterion, "tag": tag, "fold_both_bad": fold_both_bad, "include_excluded": include_excluded}
    )
    pairs = ag.pairwise_cohen(
        data.units, data.coders, data.values, n_categories=len(data.categories), min_overlap=min_overlap
    )
    kappas = [p["kappa"] for p in pairs if math.isfinite(p["kappa"])]
    result["pairwise_cohen"] = {
        "min_overlap": min_overlap,
        "n_pairs": len(pairs),
        "mean_kappa": _finite(float(np.mean(kappas))) if kappas else None,
        "pairs": [
            {"rater_1": p["coder_1"], "rater_2": p["coder_2"], "n": int(p["n"]), "kappa": _finite(p["kappa"])}
            for p in pairs
        ],
    }
    result["likert"] = None
    if study.likert_scale:
        likert = reliability_data_likert(study=study, criterion=criterion, tag=tag, include_excluded=include_excluded)
        result["likert"] = {
            level: agreement_from_data(data=likert, level=level, n_boot=n_boot, seed=seed, numeric_domain=True)
            for level in ("ordinal", "interval")
        }
    return result


def study_agreement_by_criterion(*, study: Study, include_excluded: bool = False, n_boot: int = 500) -> list[dict]:
    """One agreement summary per criterion (all prompts)."""
    return [
        study_agreement(study=study, criterion=key, include_excluded=include_excluded, n_boot=n_boot)
        for key in study.criterion_keys
    ]


# --- rater table, event log ----------------------------------------------------------------

RATER_SORT_KEYS = (
    "rater",
    "status",
    "n_judgments",
    "gold_accuracy",
    "majority_agreement",
    "self_consistency",
    "left_share",
    "position_p",
    "median_seconds",
    "fast_share",
    "longest_run",
    "skip_rate",
    "report_rate",
    "reliability_weight",
)


def rater_quality_rows(*, study: Study, sort: str = "rater") -> list[dict[str, Any]]:
    """One row per rater of the study: identity, status, exclusion, and the stored metrics.

    `sort` is a key of RATER_SORT_KEYS, prefixed with '-' for descending;
    missing values sort last either way.
    """
    stored = dict(RaterQuality.objects.filter(study=study).values_list("rater_id", "metrics"))
    computed_at = dict(RaterQuality.objects.filter(study=study).values_list("rater_id", "computed_at"))
    rows = []
    for rater in Rater.objects.filter(study=study).only("id", "platform", "external_id", "status", "excluded"):
        metrics = stored.get(rater.id, {})
        rows.append(
            {
                "rater_id": rater.id,
                "rater": f"{rater.platform}:{rater.external_id}",
                "status": rater.status,
                "excluded": rater.excluded,
                "computed_at": computed_at.get(rater.id),
                **metrics,
            }
        )
    key = sort.lstrip("-")
    if key not in RATER_SORT_KEYS:
        key = "rater"
    descending = sort.startswith("-")
    present = [r for r in rows if r.get(key) is not None]
    absent = [r for r in rows if r.get(key) is None]
    present.sort(key=lambda r: r[key], reverse=descending)
    return present + absent


def quality_events_for_study(*, study: Study, limit: int = 200) -> QuerySet[QualityEvent]:
    """The newest quality events of the study (rules and owner actions)."""
    return (
        QualityEvent.objects.filter(study=study)
        .select_related("rater", "by_user")
        .order_by("-created_at", "-id")[:limit]
    )
