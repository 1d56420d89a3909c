import pytest

from ratings.tests.factories import JudgmentChoiceFactory
from tasks.models import Comparison


@pytest.mark.django_db
def test_factories_build_one_consistent_study():
    choice = JudgmentChoiceFactory()
    judgment = choice.judgment
    comparison = judgment.comparison
    assert {
        comparison.study_id,
        comparison.output_a.study_id,
        comparison.output_b.study_id,
        judgment.rater.study_id,
    } == {judgment.study_id}
    assert comparison.output_a.prompt_id == comparison.output_b.prompt_id == comparison.prompt_id
    assert Comparison.objects.count() == 1
