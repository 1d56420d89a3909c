"""The assignment engine: fewest-first, quota, no repeats, gold/repeat injection, left/right balance, spreading."""

import datetime as dt
import itertools
import random
from collections import Counter

import pytest
from django.utils import timezone

from tasks.models import Assignment, Comparison, Output, Rater, Study
from tasks.services.assignment import (
    REPEAT_MIN_GAP,
    _imbalance_from_db,
    assignment_next,
    assignment_skip,
    assignments_expire,
    choose_left_side,
    output_report,
    pick_kind,
    system_side_imbalance,
)
from tasks.tests.factories import ComparisonFactory, RaterFactory, StudyFactory, make_study_with_outputs

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def all_pairs(study: Study, kind: str = "regular") -> list[Comparison]:
    comparisons = []
    for prompt in study.prompts.all():
        outs = list(prompt.outputs.order_by("system__name"))
        for i in range(len(outs)):
            for j in range(i + 1, len(outs)):
                comparisons.append(
                    Comparison.objects.create(study=study, prompt=prompt, output_a=outs[i], output_b=outs[j], kind=kind)
                )
    return comparisons


def finish(assignment: Assignment) -> None:
    """Stand-in for the judgment service (tasks cannot import ratings): mark submitted, count it."""
    Assignment.objects.filter(pk=assignment.pk).update(status="submitted", finished_at=timezone.now())
    Comparison.objects.filter(pk=assignment.comparison_id).update(
        judgment_count=assignment.comparison.judgment_count + 1
    )


def test_fewest_judgments_first_and_below_redundancy():
    study = StudyFactory(redundancy=3)
    low = ComparisonFactory(study=study, judgment_count=0)
    ComparisonFactory(study=study, judgment_count=2)
    ComparisonFactory(study=study, judgment_count=3)  # full: never handed out
    rater = RaterFactory(study=study)
    first = assignment_next(rater=rater, rng=random.Random(1))
    assert first.comparison_id == low.pk
    finish(first)
    second = assignment_next(rater=rater, rng=random.Random(1))
    assert second.comparison.judgment_count == 2
    finish(second)
    assert assignment_next(rater=rater) is None


def test_live_leases_count_toward_redundancy_and_expired_ones_do_not():
    study = StudyFactory(redundancy=1)
    comparison = ComparisonFactory(study=study)
    first = assignment_next(rater=RaterFactory(study=study))
    assert first.comparison_id == comparison.pk
    other = RaterFactory(study=study)
    assert assignment_next(rater=other) is None  # the only slot is leased
    Assignment.objects.filter(pk=first.pk).update(
        leased_at=timezone.now() - dt.timedelta(hours=1), expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    assert assignments_expire() == 1
    assert Assignment.objects.get(pk=first.pk).status == "expired"
    again = assignment_next(rater=other)
    assert again is not None and again.comparison_id == comparison.pk


def test_live_lease_is_returned_again_not_a_new_one():
    study = StudyFactory()
    ComparisonFactory.create_batch(3, study=study)
    rater = RaterFactory(study=study)
    first = assignment_next(rater=rater)
    assert assignment_next(rater=rater).pk == first.pk
    assert Assignment.objects.filter(rater=rater).count() == 1


def test_never_the_same_comparison_twice_even_after_skip():
    study = StudyFactory(redundancy=5)
    comparison = ComparisonFactory(study=study)
    rater = RaterFactory(study=study)
    a = assignment_next(rater=rater)
    assignment_skip(rater=rater, assignment_public_id=a.public_id, reason="cannot_judge")
    assert assignment_next(rater=rater) is None
    # ...but the skipped comparison is back in the pool for others
    assert assignment_next(rater=RaterFactory(study=study)).comparison_id == comparison.pk


def test_quota_per_rater():
    study = StudyFactory(quota_per_rater=2, redundancy=1)
    ComparisonFactory.create_batch(4, study=study)
    rater = RaterFactory(study=study)
    for _ in range(2):
        finish(assignment_next(rater=rater))
    assert assignment_next(rater=rater) is None
    assert assignment_next(rater=RaterFactory(study=study)) is not None


def test_blocked_raters_and_non_live_studies_get_nothing():
    study = StudyFactory()
    ComparisonFactory(study=study)
    assert assignment_next(rater=RaterFactory(study=study, status=Rater.Status.BLOCKED)) is None
    paused = StudyFactory(status=Study.Status.PAUSED)
    ComparisonFactory(study=paused)
    assert assignment_next(rater=RaterFactory(study=paused)) is None


def test_inactive_comparisons_are_not_handed_out():
    study = StudyFactory()
    ComparisonFactory(study=study, active=False)
    assert assignment_next(rater=RaterFactory(study=study)) is None


def test_prompts_spread_no_same_prompt_back_to_back():
    study = make_study_with_outputs(n_systems=3, n_prompts=3, redundancy=1)
    all_pairs(study)
    rater = RaterFactory(study=study)
    prompts = []
    while (a := assignment_next(rater=rater, rng=random.Random(len(prompts)))) is not None:
        prompts.append(a.comparison.prompt_id)
        finish(a)
    assert len(prompts) == 9
    # 3 prompts x 3 pairs can always be ordered without repeats, and the engine does so
    assert all(p != q for p, q in itertools.pairwise(prompts))


def test_gold_injection_rate_and_gold_not_capped_by_redundancy():
    study = StudyFactory(gold_rate=0.3, redundancy=1)
    ComparisonFactory.create_batch(20, study=study)
    golds = ComparisonFactory.create_batch(20, study=study, kind="gold", gold_answers={"overall": "a"})
    rng = random.Random(7)
    kinds = Counter()
    rater = RaterFactory(study=study)
    while (a := assignment_next(rater=rater, rng=rng)) is not None:
        kinds[a.comparison.kind] += 1
        finish(a)
    assert kinds["regular"] == 20  # the rater is done when regular work runs out ...
    assert all(assignment_next(rater=rater, rng=_AlwaysGold()) is None for _ in range(3))  # ... and stays done
    share = kinds["gold"] / (kinds["gold"] + kinds["regular"])
    assert 0.15 < share < 0.45
    # a second rater gets gold items that the first already judged (gold is per rater, not capped),
    # as long as there is regular work for them too
    ComparisonFactory.create_batch(2, study=study)
    second = RaterFactory(study=study)
    seen_gold = {g.pk for g in golds if Assignment.objects.filter(comparison=g, rater=rater).exists()}
    got = assignment_next(rater=second, rng=_AlwaysGold())
    assert got.comparison.kind == "gold" and got.comparison_id in {g.pk for g in golds}
    assert seen_gold  # sanity: the first rater saw gold items


class _AlwaysGold(random.Random):
    def random(self) -> float:
        return 0.0


def test_pick_kind_rates():
    rng = random.Random(3)
    counts = Counter(pick_kind(gold_rate=0.1, repeat_rate=0.2, rng=rng) for _ in range(20000))
    assert abs(counts["gold"] / 20000 - 0.1) < 0.01
    assert abs(counts["repeat"] / 20000 - 0.2) < 0.01
    assert abs(counts["regular"] / 20000 - 0.7) < 0.01


def test_repeat_only_after_original_and_not_too_soon():
    study = StudyFactory(repeat_rate=1.0, redundancy=3)
    origin = ComparisonFactory(study=study)  # fewest judgments: comes first
    ComparisonFactory(
        study=study,
        kind="repeat",
        repeat_of=origin,
        output_a=origin.output_b,
        output_b=origin.output_a,
        prompt=origin.prompt,
    )
    fillers = ComparisonFactory.create_batch(REPEAT_MIN_GAP + 3, study=study, judgment_count=1)
    rater = RaterFactory(study=study)
    order = []
    while (a := assignment_next(rater=rater, rng=random.Random(1))) is not None:
        order.append(a.comparison)
        finish(a)
    kinds = [c.kind for c in order]
    assert kinds.count("repeat") == 1
    i_origin = next(i for i, c in enumerate(order) if c.pk == origin.pk)
    i_repeat = kinds.index("repeat")
    assert i_origin == 0
    assert i_repeat - i_origin == REPEAT_MIN_GAP + 1  # as soon as allowed, never sooner
    assert len(order) == 2 + len(fillers)


def test_left_side_balances_each_system():
    study = make_study_with_outputs(n_systems=3, n_prompts=4, redundancy=2)
    all_pairs(study)
    rng = random.Random(11)
    raters = RaterFactory.create_batch(6, study=study)
    sides = Counter()
    progress = True
    while progress:
        progress = False
        for rater in raters:
            a = assignment_next(rater=rater, rng=rng)
            if a is None:
                continue
            progress = True
            finish(a)
            sides[a.left_side] += 1
    left, right = Counter(), Counter()
    for a in Assignment.objects.select_related("comparison__output_a", "comparison__output_b"):
        sa, sb = a.comparison.output_a.system_id, a.comparison.output_b.system_id
        shown_left, shown_right = (sa, sb) if a.left_side == "a" else (sb, sa)
        left[shown_left] += 1
        right[shown_right] += 1
    assert sum(left.values()) == 24
    for system in study.systems.all():
        assert abs(left[system.pk] - right[system.pk]) <= 4, (left, right)
    assert sides["a"] > 0 and sides["b"] > 0  # not a fixed position
    # the running counts each lease moves (no study-wide scan per lease) agree with a recount
    system_ids = list(study.systems.values_list("pk", flat=True))
    assert system_side_imbalance(study=study, system_ids=system_ids) == _imbalance_from_db(
        study=study, system_ids=system_ids
    )
    assert system_side_imbalance(study=study, system_ids=system_ids) == {
        sid: left[sid] - right[sid] for sid in system_ids
    }


def test_choose_left_side_corrects_imbalance():
    study = make_study_with_outputs(n_systems=2, n_prompts=3)
    comps = all_pairs(study)
    rater = RaterFactory(study=study)
    now = timezone.now()
    # system of output_a was shown left twice already
    for c in comps[:2]:
        Assignment.objects.create(
            study=study,
            comparison=c,
            rater=rater,
            left_side="a",
            leased_at=now,
            expires_at=now + dt.timedelta(minutes=5),
        )
    draws = Counter(choose_left_side(study=study, comparison=comps[2], rng=random.Random(seed)) for seed in range(400))
    # leans toward balance (b), but stays a draw: a rater cannot predict the side from earlier pairs
    assert 0.7 < draws["b"] / 400 < 0.9 and draws["a"] > 0


def test_identity_report_flags_output_once():
    study = StudyFactory()
    rater = RaterFactory(study=study)
    a = assignment_next(rater=rater) if ComparisonFactory(study=study) else None
    reports = output_report(
        rater=rater, assignment_public_id=a.public_id, target="left", reason="identity", note="says its name"
    )
    left_output_id = a.comparison.output_a_id if a.left_side == "a" else a.comparison.output_b_id
    assert [r.output_id for r in reports] == [left_output_id]
    flagged = Output.objects.get(pk=left_output_id)
    assert flagged.leak_review == "flagged" and flagged.leak_flags[0]["source"] == "rater_report"
    output_report(rater=rater, assignment_public_id=a.public_id, target="left", reason="identity")  # retry
    assert len(Output.objects.get(pk=left_output_id).leak_flags) == 1
    other = a.comparison.output_b_id if left_output_id == a.comparison.output_a_id else a.comparison.output_a_id
    assert Output.objects.get(pk=other).leak_review == "clean"
    both = output_report(rater=rater, assignment_public_id=a.public_id, target="both", reason="broken")
    assert len(both) == 2


def test_report_and_skip_refuse_foreign_assignments():
    from evalsite.errors import ApplicationError

    study = StudyFactory()
    ComparisonFactory(study=study)
    owner_rater = RaterFactory(study=study)
    a = assignment_next(rater=owner_rater)
    intruder = RaterFactory(study=study)
    with pytest.raises(ApplicationError) as exc:
        assignment_skip(rater=intruder, assignment_public_id=a.public_id, reason="x")
    assert exc.value.code == "assignment_not_found"
    with pytest.raises(ApplicationError):
        output_report(rater=intruder, assignment_public_id=a.public_id, target="left", reason="unsafe")
    assert Assignment.objects.get(pk=a.pk).status == "leased"
    with pytest.raises(ApplicationError) as exc:
        assignment_skip(rater=owner_rater, assignment_public_id=a.public_id, reason="  ")
    assert exc.value.code == "skip_reason_required"
    assert Assignment.objects.get(pk=a.pk).status == "leased"


def test_expiry_job_runs_the_sweep_and_is_scheduled(settings):
    from tasks.jobs import assignments_expire_job

    study = StudyFactory()
    ComparisonFactory(study=study)
    lease = assignment_next(rater=RaterFactory(study=study))
    assert assignments_expire_job.delay().get() == 0
    past = timezone.now() - dt.timedelta(hours=1)
    Assignment.objects.filter(pk=lease.pk).update(leased_at=past - dt.timedelta(minutes=15), expires_at=past)
    assert assignments_expire_job.delay().get() == 1
    assert assignments_expire_job.delay().get() == 0  # idempotent
    assert Assignment.objects.get(pk=lease.pk).status == "expired"
    entry = settings.CELERY_BEAT_SCHEDULE["expire-assignment-leases"]
    assert entry["task"] == assignments_expire_job.name


def test_live_lease_on_a_deactivated_comparison_is_not_resumed():
    study = StudyFactory()
    ComparisonFactory.create_batch(2, study=study)
    rater = RaterFactory(study=study)
    first = assignment_next(rater=rater)
    Comparison.objects.filter(pk=first.comparison_id).update(active=False)  # an output was excluded
    second = assignment_next(rater=rater)
    assert second is not None and second.comparison_id != first.comparison_id
