"""Simulated studies for the tests, bulk-created (fast), with every choice drawn by the one rater simulator.

- ``make_simulated_study``: every pair of 4 systems on every prompt, judged by raters on known strengths.
- ``comparisons_add_gold_and_repeats`` + ``simulate_judgments``: honest raters and spammers on a study that
  has comparisons (the behaviours of `demo/crowd.py`), for the rater-quality tests.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import random
import secrets
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from demo.crowd import simulate_choice, simulate_seconds
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


SPAMMER_KINDS = ("random", "left", "fast")
#: The simulator behaviour (demo/crowd.py) each spammer kind of these tests stands for.
BEHAVIOUR_OF = {"honest": "honest", "random": "random", "left": "always_left", "fast": "speeder"}


def latent_strengths(*, study: Study, seed: int = 0) -> dict[int, float]:
    """A latent strength per system: evenly spaced from 1.5 down to −1.5 in name order, shuffled by seed."""
    system_ids = list(study.systems.order_by("name").values_list("id", flat=True))
    rng = random.Random(seed)
    rng.shuffle(system_ids)
    n = len(system_ids)
    return {sid: (1.5 - 3.0 * i / (n - 1) if n > 1 else 0.0) for i, sid in enumerate(system_ids)}


def comparisons_all_pairs(*, study: Study) -> None:
    """Regular comparisons of every pair of outputs on each prompt of the study (sides as they come)."""
    rows = []
    for prompt_id in study.prompts.values_list("id", flat=True):
        outputs = list(Output.objects.filter(prompt_id=prompt_id).order_by("id"))
        rows += [
            Comparison(study=study, prompt_id=prompt_id, output_a=a, output_b=b)
            for a, b in itertools.combinations(outputs, 2)
        ]
    Comparison.objects.bulk_create(rows)


def comparisons_add_gold_and_repeats(*, study: Study, n_gold: int, n_repeat: int, seed: int = 0) -> None:
    """Add gold comparisons (answer = the latent better side) and flipped repeats of regular comparisons."""
    strengths = latent_strengths(study=study, seed=seed)
    regular = list(
        Comparison.objects.filter(study=study, kind=Comparison.Kind.REGULAR).select_related("output_a", "output_b")
    )
    rng = random.Random(seed)
    criteria = study.criterion_keys
    new: list[Comparison] = []
    for comparison in rng.sample(regular, min(n_gold, len(regular))):
        better = "a" if strengths[comparison.output_a.system_id] > strengths[comparison.output_b.system_id] else "b"
        new.append(
            Comparison(
                study=study, prompt_id=comparison.prompt_id, output_a=comparison.output_a,
                output_b=comparison.output_b, kind=Comparison.Kind.GOLD,
                gold_answers={key: better for key in criteria},
                gold_explanation="The latent better answer (simulation).",
            )
        )  # fmt: skip
    # Repeats: the same pair with the sides flipped (a repeat's 'a' is the original's 'b').
    new.extend(
        Comparison(
            study=study, prompt_id=c.prompt_id, output_a=c.output_b, output_b=c.output_a,
            kind=Comparison.Kind.REPEAT, repeat_of=c,
        )
        for c in rng.sample(regular, min(n_repeat, len(regular)))
    )  # fmt: skip
    Comparison.objects.bulk_create(new)


def simulate_judgments(
    *,
    study: Study,
    n_honest: int = 8,
    spammers: tuple[str, ...] = SPAMMER_KINDS,
    per_rater: int | None = None,
    seed: int = 0,
    noise: float = 0.6,
    tie_at_equal: float = 0.1,
    echo: float = 0.85,
) -> dict[str, Any]:
    """Create raters, submitted assignments, judgments and choices for a study that has comparisons (bulk).

    Each rater judges `per_rater` random regular comparisons (default: all of them), every gold
    comparison, and the repeats of the regular comparisons it judged. Every choice and every duration
    comes from the one rater simulator, `demo.crowd` (honest raters with `noise` and `tie_at_equal`, a
    crisper crowd than the demo's by default, or a spammer behaviour), on the latent strengths mapped to qualities in [0.15, 0.85]; honest raters echo their
    own earlier answer on a repeat with probability `echo`. Returns {"raters": {external_id: kind},
    "judgments": n}.
    """
    if spammers and any(kind not in SPAMMER_KINDS for kind in spammers):
        raise ValueError(f"unknown spammer kind in {spammers!r} (use {', '.join(SPAMMER_KINDS)})")
    rng = random.Random(seed)
    strengths = latent_strengths(study=study, seed=seed)
    criteria = study.criterion_keys
    comparisons = list(
        Comparison.objects.filter(study=study, active=True).select_related("output_a", "output_b").order_by("id")
    )
    regular = [c for c in comparisons if c.kind == Comparison.Kind.REGULAR]
    gold = [c for c in comparisons if c.kind == Comparison.Kind.GOLD]
    repeats_of: dict[int, list[Comparison]] = {}
    for c in comparisons:
        if c.kind == Comparison.Kind.REPEAT and c.repeat_of_id is not None:
            repeats_of.setdefault(c.repeat_of_id, []).append(c)
    if not regular:
        raise ValueError("the study has no regular comparisons to judge")

    def quality(system_id: int) -> float:
        return 0.5 + 0.35 * strengths[system_id] / 1.5

    def choose(comparison: Comparison, behaviour: str, left: str) -> str:
        qa, qb = quality(comparison.output_a.system_id), quality(comparison.output_b.system_id)
        if comparison.kind == Comparison.Kind.GOLD:
            # a gold item has an obvious answer: its right side is clearly the better output
            qa, qb = (0.85, 0.15) if next(iter(comparison.gold_answers.values()), "a") == "a" else (0.15, 0.85)
        return simulate_choice(
            rng, qa, qb, behaviour, left_side=left, noise=noise, tie_at_equal=tie_at_equal, both_bad_weak=0.05
        )

    token = secrets.token_hex(3)
    kinds = ["honest"] * n_honest + list(spammers)
    raters = [
        Rater(study=study, platform=Rater.Platform.GENERIC, external_id=f"sim-{token}-{i:02d}-{kind}")
        for i, kind in enumerate(kinds)
    ]
    start = timezone.now() - dt.timedelta(hours=6)
    plan: list[tuple[Rater, str, Comparison, str, float, str]] = []
    for rater, kind in zip(raters, kinds, strict=True):
        mine = regular if per_rater is None else rng.sample(regular, min(per_rater, len(regular)))
        items = list(mine) + gold + [r for c in mine for r in repeats_of.get(c.id, [])]
        rng.shuffle(items)
        originals: dict[int, str] = {}
        # Originals first so that repeats can echo them; the time order stays shuffled.
        order = sorted(items, key=lambda c: c.kind == Comparison.Kind.REPEAT)
        answers: dict[int, tuple[str, str, float]] = {}
        for comparison in order:
            left = rng.choice("ab")
            behaviour = BEHAVIOUR_OF[kind]
            seconds = simulate_seconds(rng, behaviour)
            original = originals.get(comparison.repeat_of_id) if comparison.kind == Comparison.Kind.REPEAT else None
            if behaviour == "honest" and original is not None and rng.random() < echo:
                choice = {"a": "b", "b": "a"}.get(original, original)  # the repeat's sides are flipped
            else:
                choice = choose(comparison, behaviour, left)
            if comparison.kind == Comparison.Kind.REGULAR:
                originals[comparison.id] = choice
            answers[comparison.id] = (choice, left, seconds)
        for comparison in items:
            choice, left, seconds = answers[comparison.id]
            plan.append((rater, kind, comparison, left, seconds, choice))

    with transaction.atomic():
        Rater.objects.bulk_create(raters)
        assignments, judgments, rows = [], [], []
        clock = start
        for rater, _kind, comparison, left, seconds, _choice in plan:
            clock += dt.timedelta(seconds=seconds + 1)
            leased = clock - dt.timedelta(seconds=seconds)
            assignments.append(
                Assignment(
                    study=study,
                    comparison=comparison,
                    rater=rater,
                    left_side=left,
                    status=Assignment.Status.SUBMITTED,
                    leased_at=leased,
                    expires_at=leased + dt.timedelta(minutes=study.lease_minutes),
                    finished_at=clock,
                )
            )
        Assignment.objects.bulk_create(assignments)
        for assignment, (_r, _k, comparison, _left, seconds, choice) in zip(assignments, plan, strict=True):
            gold_correct = None
            if comparison.kind == Comparison.Kind.GOLD:
                gold_correct = all(choice == v for v in comparison.gold_answers.values())
            judgments.append(
                Judgment(
                    assignment=assignment,
                    study=study,
                    comparison=comparison,
                    rater=assignment.rater,
                    seconds=round(seconds, 2),
                    gold_correct=gold_correct,
                )
            )
        Judgment.objects.bulk_create(judgments)
        scale = int(study.likert_scale or 0)
        for judgment, (_r, kind, comparison, left, _seconds, first_choice) in zip(judgments, plan, strict=True):
            for position, key in enumerate(criteria):
                choice = first_choice
                if position and kind == "honest" and comparison.kind == Comparison.Kind.REGULAR and rng.random() < 0.15:
                    # Criteria mostly agree with the first one, not always.
                    choice = choose(comparison, "honest", left)
                likert_a = likert_b = None
                if scale:
                    hi, lo = scale, max(1, scale // 2)
                    likert_a = hi if choice == "a" else lo if choice == "b" else max(1, scale // 2 + 1)
                    likert_b = hi if choice == "b" else lo if choice == "a" else max(1, scale // 2 + 1)
                rows.append(
                    JudgmentChoice(
                        judgment=judgment,
                        study=study,
                        criterion=key,
                        choice=choice,
                        likert_a=likert_a,
                        likert_b=likert_b,
                    )
                )
        JudgmentChoice.objects.bulk_create(rows)
        counts = Counter(j.comparison_id for j in judgments)
        touched = [c for c in comparisons if c.id in counts]
        for c in touched:
            c.judgment_count += counts[c.id]
        Comparison.objects.bulk_update(touched, ["judgment_count"])
    return {"raters": {r.external_id: k for r, k in zip(raters, kinds, strict=True)}, "judgments": len(judgments)}
