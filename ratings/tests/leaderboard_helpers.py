"""Test data for leaderboards: a study with systems and prompts, and votes bulk-created through every table."""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

from ratings.models import Judgment, JudgmentChoice
from tasks.models import Assignment, Comparison, Output, Prompt, Rater, Study, System
from tasks.tests.factories import StudyFactory

_counter = itertools.count()


def make_study(*, systems: list[str], prompts: dict[str, list[str]] | None = None, **study_kwargs) -> Study:
    """A study with the named systems and prompts (external id → tags), one output per system × prompt."""
    study = StudyFactory(**study_kwargs)
    prompts = prompts or {"p0": []}
    sys_objs = [System.objects.create(study=study, name=name) for name in systems]
    for external_id, tags in prompts.items():
        prompt = Prompt.objects.create(study=study, external_id=external_id, text=f"{external_id}?", tags=tags)
        for s in sys_objs:
            Output.objects.create(study=study, prompt=prompt, system=s, text=f"{s.name} on {external_id}")
    return study


def comparison(study: Study, a: str, b: str, *, prompt: str = "p0", kind: str = "regular") -> Comparison:
    out_a = Output.objects.get(study=study, prompt__external_id=prompt, system__name=a)
    out_b = Output.objects.get(study=study, prompt__external_id=prompt, system__name=b)
    repeat_of = None
    if kind == "repeat":
        repeat_of = comparison(study, b, a, prompt=prompt)
    comp, _ = Comparison.objects.get_or_create(
        study=study,
        prompt=out_a.prompt,
        output_a=out_a,
        output_b=out_b,
        kind=kind,
        defaults={"repeat_of": repeat_of},
    )
    return comp


def add_votes(
    comp: Comparison,
    choices: dict[str, int],
    *,
    criteria: tuple[str, ...] = ("overall",),
    rater_status: str = "active",
    rater_excluded: bool = False,
) -> list[Judgment]:
    """Votes on one comparison, e.g. {"a": 3, "tie": 1}; one new rater per vote (a rater sees a comparison once)."""
    study = comp.study
    now = timezone.now()
    flat = [c for c, n in choices.items() for _ in range(n)]
    raters = Rater.objects.bulk_create(
        [
            Rater(
                study=study,
                platform="generic",
                external_id=f"r{next(_counter)}",
                status=rater_status,
                excluded=rater_excluded,
            )
            for _ in flat
        ]
    )
    assignments = Assignment.objects.bulk_create(
        [
            Assignment(
                study=study,
                comparison=comp,
                rater=r,
                left_side="a",
                status="submitted",
                leased_at=now,
                expires_at=now + dt.timedelta(minutes=15),
                finished_at=now,
            )
            for r in raters
        ]
    )
    judgments = Judgment.objects.bulk_create(
        [Judgment(assignment=a, study=study, comparison=comp, rater=a.rater, seconds=5.0) for a in assignments]
    )
    JudgmentChoice.objects.bulk_create(
        [
            JudgmentChoice(judgment=j, study=study, criterion=criterion, choice=choice)
            for j, choice in zip(judgments, flat, strict=True)
            for criterion in criteria
        ]
    )
    return judgments
