"""The database itself refuses data that must never exist: each test tries to break one rule."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from ratings.models import Judgment, JudgmentChoice
from ratings.tests.factories import JudgmentChoiceFactory, JudgmentFactory
from tasks.models import Assignment, Comparison, Output, Rater, Study
from tasks.tests.factories import (
    AssignmentFactory,
    ComparisonFactory,
    OutputFactory,
    PromptFactory,
    RaterFactory,
    StudyFactory,
    SystemFactory,
)

pytestmark = pytest.mark.django_db


def refused(fn) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        fn()


def test_one_judgment_per_assignment():
    judgment = JudgmentFactory()
    refused(
        lambda: Judgment.objects.create(
            assignment=judgment.assignment,
            study=judgment.study,
            comparison=judgment.comparison,
            rater=judgment.rater,
            seconds=3,
        )
    )
    assert Judgment.objects.count() == 1


def test_rater_never_gets_the_same_comparison_twice():
    assignment = AssignmentFactory()
    refused(lambda: AssignmentFactory(study=assignment.study, comparison=assignment.comparison, rater=assignment.rater))


def test_one_output_per_prompt_and_system():
    output = OutputFactory()
    refused(lambda: Output.objects.create(study=output.study, prompt=output.prompt, system=output.system, text="again"))


@pytest.mark.parametrize("value", ["left", "A", "", "bothbad"])
def test_choice_values_limited(value):
    choice = JudgmentChoiceFactory()
    refused(
        lambda: JudgmentChoice.objects.create(
            judgment=choice.judgment, study=choice.study, criterion="other", choice=value
        )
    )


def test_choice_one_per_criterion_and_likert_range():
    choice = JudgmentChoiceFactory(criterion="overall")
    refused(lambda: JudgmentChoiceFactory(judgment=choice.judgment, criterion="overall"))
    refused(lambda: JudgmentChoiceFactory(judgment=choice.judgment, criterion="style", likert_a=8))


def test_comparison_outputs_from_another_study_refused():
    comparison = ComparisonFactory()
    foreign = OutputFactory()  # its own study
    refused(lambda: Comparison.objects.filter(pk=comparison.pk).update(output_b=foreign))
    refused(
        lambda: Comparison.objects.create(
            study=comparison.study, prompt=comparison.prompt, output_a=comparison.output_a, output_b=foreign
        )
    )


def test_comparison_outputs_must_answer_its_prompt():
    comparison = ComparisonFactory()
    other_prompt = PromptFactory(study=comparison.study)
    other_output = OutputFactory(study=comparison.study, prompt=other_prompt)
    refused(
        lambda: Comparison.objects.create(
            study=comparison.study, prompt=comparison.prompt, output_a=comparison.output_a, output_b=other_output
        )
    )


def test_comparison_needs_two_distinct_outputs():
    comparison = ComparisonFactory()
    refused(
        lambda: Comparison.objects.create(
            study=comparison.study, prompt=comparison.prompt, output_a=comparison.output_a, output_b=comparison.output_a
        )
    )


def test_repeat_comparison_must_name_its_origin():
    comparison = ComparisonFactory()
    refused(
        lambda: Comparison.objects.create(
            study=comparison.study,
            prompt=comparison.prompt,
            output_a=comparison.output_b,
            output_b=comparison.output_a,
            kind=Comparison.Kind.REPEAT,
        )
    )
    repeat = Comparison.objects.create(
        study=comparison.study,
        prompt=comparison.prompt,
        output_a=comparison.output_b,
        output_b=comparison.output_a,
        kind=Comparison.Kind.REPEAT,
        repeat_of=comparison,
    )
    assert repeat.repeat_of_id == comparison.pk


def test_output_prompt_and_system_in_same_study():
    study, other = StudyFactory(), StudyFactory()
    prompt = PromptFactory(study=study)
    foreign_system = SystemFactory(study=other)
    refused(lambda: Output.objects.create(study=study, prompt=prompt, system=foreign_system, text="x"))


def test_assignment_rater_and_comparison_in_same_study():
    comparison = ComparisonFactory()
    foreign_rater = RaterFactory()  # another study
    now = timezone.now()
    refused(
        lambda: Assignment.objects.create(
            study=comparison.study,
            comparison=comparison,
            rater=foreign_rater,
            left_side="a",
            leased_at=now,
            expires_at=now + dt.timedelta(minutes=5),
        )
    )


def test_assignment_left_side_status_and_expiry():
    assignment = AssignmentFactory()
    refused(lambda: Assignment.objects.filter(pk=assignment.pk).update(left_side="c"))
    refused(lambda: Assignment.objects.filter(pk=assignment.pk).update(status="done"))
    refused(lambda: Assignment.objects.filter(pk=assignment.pk).update(expires_at=assignment.leased_at))


def test_judgment_must_match_its_assignment():
    judgment = JudgmentFactory()
    other = ComparisonFactory(study=judgment.study)
    refused(lambda: Judgment.objects.filter(pk=judgment.pk).update(comparison=other))


def test_rater_identity_unique_per_study():
    rater = RaterFactory()
    refused(lambda: Rater.objects.create(study=rater.study, platform=rater.platform, external_id=rater.external_id))
    # the same worker may join another study
    assert RaterFactory(platform=rater.platform, external_id=rater.external_id).pk


@pytest.mark.parametrize(
    ("field", "value"),
    [("likert_scale", 4), ("redundancy", 0), ("gold_rate", 1.5), ("repeat_rate", -0.1), ("status", "archived")],
)
def test_study_settings_checked(field, value):
    study = StudyFactory()
    refused(lambda: Study.objects.filter(pk=study.pk).update(**{field: value}))
