"""factory_boy factories for the ratings models."""

from __future__ import annotations

import factory
from django.utils import timezone

from ratings.models import Judgment, JudgmentChoice
from tasks.models import Assignment
from tasks.tests.factories import AssignmentFactory


class JudgmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Judgment

    assignment = factory.SubFactory(
        AssignmentFactory, status=Assignment.Status.SUBMITTED, finished_at=factory.LazyFunction(timezone.now)
    )
    study = factory.SelfAttribute("assignment.study")
    comparison = factory.SelfAttribute("assignment.comparison")
    rater = factory.SelfAttribute("assignment.rater")
    seconds = 12.5


class JudgmentChoiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = JudgmentChoice

    judgment = factory.SubFactory(JudgmentFactory)
    study = factory.SelfAttribute("judgment.study")
    criterion = "overall"
    choice = "a"
