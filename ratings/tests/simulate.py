"""A simulated study with judgments drawn from known Bradley-Terry strengths (bulk-created, fast)."""

from __future__ import annotations

import datetime as dt
import itertools
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.utils import timezone

from evalsite.celery import app
from ratings.models import Judgment, JudgmentChoice
from tasks.models import Assignment, Comparison, Output, Prompt, Rater, Study, System
from tasks.tests.factories import StudyFactory

# Log-strengths (natural log): the expected ranking is alpha > bravo > charlie > delta.
STRENGTHS = {"alpha": 1.2, "bravo": 0.4, "charlie": -0.3, "delta": -1.3}
EXPECTED_RANKING = ["alpha", "bravo", "charlie", "delta"]


@dataclass
class SimulatedStudy:
    study: Study
    raters: list[Rater]
    comparisons: list[Comparison]
    judgments: list[Judgment]


def make_simulated_study(
    *,
    n_prompts: int = 10,
    votes_per_comparison: int = 5,
    n_raters: int = 8,
    seed: int = 7,
    tie_rate: float = 0.1,
    criteria: list[str] | None = None,
    prompt_text: str = "Question {i}?",
    output_text: str = "{system} answers {i}.",
    **study_kwargs: object,
) -> SimulatedStudy:
    """Every pair of 4 systems on every prompt, each comparison judged by `votes_per_comparison` raters."""
    rng = random.Random(seed)
    criteria = criteria or ["overall"]
    study = StudyFactory(criteria=[{"key": c, "label": c.title()} for c in criteria], **study_kwargs)
    systems = {name: System.objects.create(study=study, name=name) for name in STRENGTHS}
    prompts = Prompt.objects.bulk_create(
        [
            Prompt(study=study, external_id=f"p{i}", text=prompt_text.format(i=i), tags=["even" if i % 2 else "odd"])
            for i in range(n_prompts)
        ]
    )
    outputs = Output.objects.bulk_create(
        [
            Output(study=study, prompt=p, system=s, text=output_text.format(system=s.name, i=i))
            for i, p in enumerate(prompts)
            for s in systems.values()
        ]
    )
    by_prompt: dict[int, list[Output]] = {}
    for o in outputs:
        by_prompt.setdefault(o.prompt_id, []).append(o)
    comparisons = Comparison.objects.bulk_create(
        [
            Comparison(study=study, prompt_id=pid, output_a=a, output_b=b)
            for pid, outs in by_prompt.items()
            for a, b in itertools.combinations(outs, 2)
        ]
    )
    raters = Rater.objects.bulk_create(
        [Rater(study=study, platform=Rater.Platform.PROLIFIC, external_id=f"WORKER{r:04d}") for r in range(n_raters)]
    )
    system_of = {o.id: o.system.name for o in Output.objects.filter(study=study).select_related("system")}
    now = timezone.now() - dt.timedelta(days=1)
    assignments = []
    plan = []
    for c in comparisons:
        for rater in rng.sample(raters, votes_per_comparison):
            leased = now + dt.timedelta(seconds=len(assignments))
            assignments.append(
                Assignment(
                    study=study,
                    comparison=c,
                    rater=rater,
                    left_side=rng.choice("ab"),
                    status=Assignment.Status.SUBMITTED,
                    leased_at=leased,
                    expires_at=leased + dt.timedelta(minutes=15),
                    finished_at=leased + dt.timedelta(seconds=20),
                )
            )
            plan.append((c, rater))
    assignments = Assignment.objects.bulk_create(assignments)
    judgments = Judgment.objects.bulk_create(
        [
            Judgment(assignment=a, study=study, comparison=c, rater=r, seconds=20.0 + i % 7, rationale="")
            for i, (a, (c, r)) in enumerate(zip(assignments, plan, strict=True))
        ]
    )
    choices = []
    for j, (c, _r) in zip(judgments, plan, strict=True):
        sa, sb = STRENGTHS[system_of[c.output_a_id]], STRENGTHS[system_of[c.output_b_id]]
        p_a = 1.0 / (1.0 + math.exp(sb - sa))
        for criterion in criteria:
            u = rng.random()
            if u < tie_rate:
                choice = "tie" if rng.random() < 0.7 else "both_bad"
            else:
                choice = "a" if rng.random() < p_a else "b"
            choices.append(
                JudgmentChoice(
                    judgment=j, study=study, criterion=criterion, choice=choice, likert_a=rng.randint(1, 5), likert_b=3
                )
            )
    JudgmentChoice.objects.bulk_create(choices)
    return SimulatedStudy(study=study, raters=raters, comparisons=comparisons, judgments=judgments)


@pytest.fixture
def eager_celery() -> Iterator[None]:
    """Run jobs in-process for this test even when CELERY_BROKER_URL points at a real broker."""
    keys = ("task_always_eager", "task_eager_propagates")
    saved = {k: app.conf[k] for k in keys}
    app.conf.update(task_always_eager=True, task_eager_propagates=True)
    yield
    app.conf.update(saved)
