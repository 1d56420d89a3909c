"""factory_boy factories for the tasks models, shared by every test suite (ratings and tests/ import them)."""

from __future__ import annotations

import datetime as dt

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from evalsite.permissions import OWNER_GROUP
from tasks.models import Assignment, Comparison, Output, Prompt, Rater, Study, System


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("pw-for-tests-123")


class OwnerFactory(UserFactory):
    """An eval owner: an account in the owners group."""

    username = factory.Sequence(lambda n: f"owner{n}")

    @factory.post_generation
    def owner_group(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            group, _ = Group.objects.get_or_create(name=OWNER_GROUP)
            self.groups.add(group)


class StudyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Study

    owner = factory.SubFactory(OwnerFactory)
    name = factory.Sequence(lambda n: f"Study {n}")
    status = Study.Status.LIVE


class SystemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = System

    study = factory.SubFactory(StudyFactory)
    name = factory.Sequence(lambda n: f"system-{n}")


class PromptFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Prompt

    study = factory.SubFactory(StudyFactory)
    external_id = factory.Sequence(lambda n: f"p{n}")
    text = factory.Sequence(lambda n: f"Question number {n}?")


class OutputFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Output

    study = factory.SubFactory(StudyFactory)
    prompt = factory.SubFactory(PromptFactory, study=factory.SelfAttribute("..study"))
    system = factory.SubFactory(SystemFactory, study=factory.SelfAttribute("..study"))
    text = factory.Sequence(lambda n: f"Answer text {n}.")


class ComparisonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Comparison

    study = factory.SubFactory(StudyFactory)
    prompt = factory.SubFactory(PromptFactory, study=factory.SelfAttribute("..study"))
    output_a = factory.SubFactory(
        OutputFactory, study=factory.SelfAttribute("..study"), prompt=factory.SelfAttribute("..prompt")
    )
    output_b = factory.SubFactory(
        OutputFactory, study=factory.SelfAttribute("..study"), prompt=factory.SelfAttribute("..prompt")
    )


class RaterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Rater

    study = factory.SubFactory(StudyFactory)
    platform = Rater.Platform.PROLIFIC
    external_id = factory.Sequence(lambda n: f"PID{n:06d}")


class AssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assignment

    study = factory.SubFactory(StudyFactory)
    comparison = factory.SubFactory(ComparisonFactory, study=factory.SelfAttribute("..study"))
    rater = factory.SubFactory(RaterFactory, study=factory.SelfAttribute("..study"))
    left_side = "a"
    leased_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyAttribute(lambda a: a.leased_at + dt.timedelta(minutes=15))


def make_study_with_outputs(*, n_systems: int = 3, n_prompts: int = 4, **study_kwargs: object) -> Study:
    """A study with systems × prompts outputs (no comparisons yet)."""
    study = StudyFactory(**study_kwargs)
    systems = [SystemFactory(study=study, name=f"sys-{i}") for i in range(n_systems)]
    for p in range(n_prompts):
        prompt = PromptFactory(study=study, external_id=f"p{p}")
        for system in systems:
            OutputFactory(study=study, prompt=prompt, system=system, text=f"{system.name} answers p{p}")
    return study
