"""The quality service on the fair rules: straight-lining in the order raters saw the items (the lease time),
not the order rows were stored; one FDR family per study; a bounded number of queries."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.utils import timezone

from ratings.models import Judgment, JudgmentChoice, RaterQuality
from ratings.services import quality as services
from ratings.tests.simulate import simulate_judgments
from ratings.tests.test_quality_simulation import _study_with_comparisons
from tasks.models import Assignment, Comparison, Rater, Study

pytestmark = pytest.mark.django_db


def _study() -> Study:
    return _study_with_comparisons(seed=11)


def _rater_with_screen_answers(study: Study, name: str, screen: list[str], *, storage_order: list[int]) -> Rater:
    """A rater whose i-th item (in lease order) got on-screen answer screen[i]; rows stored in `storage_order`."""
    rater = Rater.objects.create(study=study, platform=Rater.Platform.GENERIC, external_id=name)
    comparisons = list(Comparison.objects.filter(study=study, kind="regular").order_by("id"))[: len(screen)]
    rng = random.Random(name)
    start = timezone.now() - dt.timedelta(hours=3)
    for i in storage_order:
        left = rng.choice("ab")
        right = "b" if left == "a" else "a"
        leased = start + dt.timedelta(minutes=i)
        assignment = Assignment.objects.create(
            study=study, comparison=comparisons[i], rater=rater, left_side=left, status="submitted",
            leased_at=leased, expires_at=leased + dt.timedelta(minutes=15), finished_at=leased + dt.timedelta(seconds=30),
        )  # fmt: skip
        judgment = Judgment.objects.create(
            assignment=assignment, study=study, comparison=comparisons[i], rater=rater, seconds=25.0
        )
        JudgmentChoice.objects.create(
            judgment=judgment, study=study, criterion="overall", choice=left if screen[i] == "left" else right
        )
    return rater


def test_straight_lining_is_judged_in_lease_order_not_storage_order() -> None:
    study = _study()
    simulate_judgments(study=study, n_honest=6, spammers=(), seed=3)
    n = 60
    blocks = (["left"] * 15 + ["right"] * 15) * 2  # long runs in the order the rater saw the items
    rng = random.Random(1)
    shuffled_storage = list(range(n))
    rng.shuffle(shuffled_storage)
    blocky = _rater_with_screen_answers(study, "blocky", blocks, storage_order=shuffled_storage)
    # the same answers seen in an alternating order, but stored so that the rows read as blocks
    alternating = ["left", "right"] * (n // 2)
    storage_blocks = [i for i in range(n) if alternating[i] == "left"] + [
        i for i in range(n) if alternating[i] == "right"
    ]
    stored_in_blocks = _rater_with_screen_answers(study, "stored-blocks", alternating, storage_order=storage_blocks)
    services.quality_recompute(study=study)
    blocky_m = RaterQuality.objects.get(rater=blocky).metrics
    assert blocky_m["longest_run"] == 15 and "straight_lining" in blocky_m["rules_fired"]
    assert blocky_m["expected_longest_run"] < 8
    other = RaterQuality.objects.get(rater=stored_in_blocks).metrics
    assert other["longest_run"] == 1 and other["rules_fired"] == []
    blocky.refresh_from_db()
    assert blocky.status == "flagged"
    assert "straight_lining" in blocky.quality_events.get(action="flagged").rule


def test_one_family_per_study_and_bounded_queries(django_assert_max_num_queries) -> None:
    study = _study()
    simulate_judgments(study=study, n_honest=10, spammers=("left", "fast"), seed=4)
    with django_assert_max_num_queries(20):
        metrics = services.rater_metrics_compute(study=study)
    judged = [t for m in metrics.values() for t in m["tests"].values() if t["q"] is not None]
    assert judged and all(t["q"] >= t["p"] for t in judged)
    # the owner's FDR level decides: at 1e-300 nothing survives
    study.quality_rules = {**study.quality_rules, "fdr": 1e-300}
    study.save(update_fields=["quality_rules"])
    assert services.quality_recompute(study=study)["flagged"] == 0
    reliability = services.rater_reliability_for_study(study=study)
    assert len(reliability) == 12 and all(r is None or 0 <= r <= 1 for r in reliability.values())
