"""judgment_submit: canonical mapping, idempotency, validation (nothing written on error), gold, counters."""

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from evalsite.errors import ApplicationError
from ratings.models import Judgment, JudgmentChoice
from ratings.services import judgments as judgments_service
from ratings.services.judgments import judgment_submit
from tasks.lib.sides import to_canonical, to_screen
from tasks.models import Assignment, Comparison
from tasks.tests.factories import AssignmentFactory, ComparisonFactory, StudyFactory

pytestmark = pytest.mark.django_db

TWO = [{"key": "helpful", "label": "Helpful"}, {"key": "safe", "label": "Safe"}]


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def leased(*, left_side="a", seconds_ago=30, **study_kwargs):
    study = StudyFactory(criteria=TWO, **study_kwargs)
    now = timezone.now()
    return AssignmentFactory(
        study=study,
        left_side=left_side,
        leased_at=now - dt.timedelta(seconds=seconds_ago),
        expires_at=now + dt.timedelta(minutes=10),
    )


def nothing_written(assignment):
    assignment.refresh_from_db()
    assert assignment.status == "leased"
    assert Judgment.objects.count() == 0 and JudgmentChoice.objects.count() == 0
    assert Comparison.objects.get(pk=assignment.comparison_id).judgment_count == 0


@pytest.mark.parametrize(
    ("left_side", "screen", "canonical"),
    [
        ("a", "left", "a"),
        ("a", "right", "b"),
        ("b", "left", "b"),
        ("b", "right", "a"),
        ("b", "tie", "tie"),
        ("a", "both_bad", "both_bad"),
    ],
)
def test_mapping_round_trip(left_side, screen, canonical):
    assert to_canonical(screen_choice=screen, left_side=left_side) == canonical
    assert to_screen(canonical_choice=canonical, left_side=left_side) == screen


def test_submit_stores_canonical_sides_and_server_seconds():
    a = leased(left_side="b", seconds_ago=42, likert_scale=5)
    result = judgment_submit(
        rater=a.rater,
        assignment_public_id=a.public_id,
        choices={"helpful": "left", "safe": "tie"},
        likert={"helpful": {"left": 5, "right": 2}},
    )
    assert result.created
    stored = {c.criterion: c for c in result.judgment.choices.all()}
    assert stored["helpful"].choice == "b"  # left showed canonical b
    assert (stored["helpful"].likert_a, stored["helpful"].likert_b) == (2, 5)
    assert stored["safe"].choice == "tie" and stored["safe"].likert_a is None
    assert 41 <= result.judgment.seconds < 60
    a.refresh_from_db()
    assert a.status == "submitted" and a.finished_at is not None
    assert Comparison.objects.get(pk=a.comparison_id).judgment_count == 1


def test_resubmit_is_idempotent_and_keeps_first_answer():
    a = leased()
    first = judgment_submit(
        rater=a.rater, assignment_public_id=a.public_id, choices={"helpful": "left", "safe": "left"}
    )
    again = judgment_submit(
        rater=a.rater, assignment_public_id=a.public_id, choices={"helpful": "right", "safe": "tie"}
    )
    assert not again.created and again.judgment.pk == first.judgment.pk
    assert Judgment.objects.count() == 1
    assert set(JudgmentChoice.objects.values_list("choice", flat=True)) == {"a"}
    assert Comparison.objects.get(pk=a.comparison_id).judgment_count == 1


def test_integrity_error_returns_the_existing_judgment(monkeypatch):
    """If a second writer got past the lock (belt and braces), the OneToOne decides and we return its row."""
    a = leased()
    judgment_submit(rater=a.rater, assignment_public_id=a.public_id, choices={"helpful": "left", "safe": "left"})
    Assignment.objects.filter(pk=a.pk).update(status="leased")  # pretend we did not see the first one
    again = judgment_submit(
        rater=a.rater, assignment_public_id=a.public_id, choices={"helpful": "right", "safe": "right"}
    )
    assert not again.created
    assert Judgment.objects.count() == 1
    assert Comparison.objects.get(pk=a.comparison_id).judgment_count == 1


@pytest.mark.parametrize(
    ("kwargs", "code", "field"),
    [
        ({"choices": {"helpful": "left"}}, "criterion_missing", "choices"),
        ({"choices": {"helpful": "left", "safe": "a"}}, "invalid_choice", "choices.safe"),
        ({"choices": {"helpful": "left", "safe": "tie", "extra": "tie"}}, "criterion_unknown", "choices"),
        (
            {"choices": {"helpful": "left", "safe": "tie"}, "likert": {"helpful": {"left": 9}}},
            "likert_range",
            "likert.helpful.left",
        ),
        (
            {"choices": {"helpful": "left", "safe": "tie"}, "likert": {"helpful": {"left": 0}}},
            "likert_range",
            "likert.helpful.left",
        ),
        (
            {"choices": {"helpful": "left", "safe": "tie"}, "likert": {"nope": {"left": 1}}},
            "invalid_likert",
            "likert.nope",
        ),
        ({"choices": {"helpful": "left", "safe": "tie"}, "rationale": "short"}, "rationale_too_short", "rationale"),
        ({"choices": {"helpful": "left", "safe": "tie"}}, "rationale_too_short", "rationale"),
    ],
)
def test_validation_errors_write_nothing(kwargs, code, field):
    a = leased(likert_scale=5, rationale="required", rationale_min_length=10)
    with pytest.raises(ApplicationError) as exc:
        judgment_submit(rater=a.rater, assignment_public_id=a.public_id, **kwargs)
    assert exc.value.code == code and exc.value.extra["field"] == field
    nothing_written(a)


def test_optional_rationale_min_length_applies_only_when_given():
    a = leased(rationale="optional", rationale_min_length=8)
    with pytest.raises(ApplicationError) as exc:
        judgment_submit(
            rater=a.rater, assignment_public_id=a.public_id, choices={"helpful": "tie", "safe": "tie"}, rationale="meh"
        )
    assert exc.value.code == "rationale_too_short"
    result = judgment_submit(rater=a.rater, assignment_public_id=a.public_id, choices={"helpful": "tie", "safe": "tie"})
    assert result.judgment.rationale == ""


def test_too_fast_is_refused_server_side():
    a = leased(min_seconds=20, seconds_ago=3)
    with pytest.raises(ApplicationError) as exc:
        judgment_submit(rater=a.rater, assignment_public_id=a.public_id, choices={"helpful": "tie", "safe": "tie"})
    assert exc.value.code == "too_fast" and exc.value.extra["min_seconds"] == 20
    nothing_written(a)


def test_expired_lease_cannot_be_submitted():
    a = leased()
    Assignment.objects.filter(pk=a.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    with pytest.raises(ApplicationError) as exc:
        judgment_submit(rater=a.rater, assignment_public_id=a.public_id, choices={"helpful": "tie", "safe": "tie"})
    assert exc.value.code == "lease_expired"
    assert Judgment.objects.count() == 0


def test_foreign_assignment_is_not_found_and_unchanged():
    a = leased()
    other = AssignmentFactory(study=a.study)
    with pytest.raises(ApplicationError) as exc:
        judgment_submit(rater=other.rater, assignment_public_id=a.public_id, choices={"helpful": "tie", "safe": "tie"})
    assert exc.value.code == "assignment_not_found" and exc.value.status_code == 404
    nothing_written(a)


def test_gold_correct_is_computed_in_canonical_sides():
    study = StudyFactory(criteria=TWO)
    gold = ComparisonFactory(study=study, kind="gold", gold_answers={"helpful": "b", "safe": "tie"})
    now = timezone.now()
    a = AssignmentFactory(study=study, comparison=gold, left_side="b", leased_at=now - dt.timedelta(seconds=5))
    result = judgment_submit(
        rater=a.rater, assignment_public_id=a.public_id, choices={"helpful": "left", "safe": "tie"}
    )
    assert result.judgment.gold_correct is True
    b = AssignmentFactory(study=study, comparison=gold, left_side="a", leased_at=now - dt.timedelta(seconds=5))
    result = judgment_submit(
        rater=b.rater, assignment_public_id=b.public_id, choices={"helpful": "left", "safe": "tie"}
    )
    assert result.judgment.gold_correct is False


@pytest.mark.django_db(transaction=True)
def test_leaderboard_recompute_is_scheduled_after_commit_only(monkeypatch):
    calls = []
    monkeypatch.setattr(judgments_service, "leaderboard_schedule_recompute", lambda *, study_id: calls.append(study_id))
    a = leased()
    with transaction.atomic():
        judgment_submit(rater=a.rater, assignment_public_id=a.public_id, choices={"helpful": "tie", "safe": "tie"})
        assert calls == []
    assert calls == [a.study_id]
