"""Simulated raters for demos and tests: honest raters who are noisy but truthful, and spammers.

Honest raters judge against a latent ranking of the study's systems
(Bradley-Terry: P(a better) = 1 / (1 + exp(−(s_a − s_b)))), with some ties and
some pure noise; they answer gold items right most of the time and repeat
items mostly consistently. Spammers are of three kinds:

- ``random``: uniform over a / b / tie / both_bad, at a normal pace;
- ``left``: always the side shown on the left (so the canonical choice follows
  the random left side);
- ``fast``: random answers in about one second.

Everything is written with bulk_create, respecting the database constraints
(one assignment per rater and comparison, one judgment per assignment, choices
in canonical sides) and keeping `Comparison.judgment_count` in step.
Used by the quality tests and to seed the demo study:

    python manage.py shell -c "from tasks.models import Study; from ratings.simulate import simulate_judgments; \
simulate_judgments(study=Study.objects.get(slug='demo'))"
"""

from __future__ import annotations

import datetime as dt
import math
import random
import secrets
from collections import Counter
from typing import Any

from django.db import transaction
from django.utils import timezone

from ratings.models import Judgment, JudgmentChoice
from tasks.models import Assignment, Comparison, Rater, Study

SPAMMER_KINDS = ("random", "left", "fast")


def latent_strengths(*, study: Study, seed: int = 0) -> dict[int, float]:
    """A latent strength per system: evenly spaced from 1.5 down to −1.5 in name order, shuffled by seed."""
    system_ids = list(study.systems.order_by("name").values_list("id", flat=True))
    rng = random.Random(seed)
    rng.shuffle(system_ids)
    n = len(system_ids)
    return {sid: (1.5 - 3.0 * i / (n - 1) if n > 1 else 0.0) for i, sid in enumerate(system_ids)}


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


def _honest_choice(rng: random.Random, strength_a: float, strength_b: float, *, noise: float, tie: float) -> str:
    draw = rng.random()
    if draw < noise:
        return rng.choice(["a", "b", "tie", "both_bad"])
    if draw < noise + tie:
        return "tie"
    p_a = 1.0 / (1.0 + math.exp(-(strength_a - strength_b) * 3.0))
    return "a" if rng.random() < p_a else "b"


def simulate_judgments(
    *,
    study: Study,
    n_honest: int = 8,
    spammers: tuple[str, ...] = SPAMMER_KINDS,
    per_rater: int | None = None,
    seed: int = 0,
    noise: float = 0.06,
    tie: float = 0.04,
) -> dict[str, Any]:
    """Create raters, submitted assignments, judgments and choices for a study that has comparisons.

    Each rater judges `per_rater` random regular comparisons (default: all of
    them), every gold comparison, and the repeats of the regular comparisons it
    judged. Honest raters: `noise` share random answers, `tie` share ties,
    otherwise Bradley-Terry against the latent strengths; gold right with
    probability 0.9. Returns {"raters": {external_id: kind}, "judgments": n}.
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

    def honest(comparison: Comparison) -> str:
        a, b = strengths[comparison.output_a.system_id], strengths[comparison.output_b.system_id]
        return _honest_choice(rng, a, b, noise=noise, tie=tie)

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
            if kind == "honest":
                seconds = max(4.0, rng.lognormvariate(math.log(25), 0.4))
                if comparison.kind == Comparison.Kind.GOLD:
                    expected = next(iter(comparison.gold_answers.values()), "a")
                    choice = expected if rng.random() < 0.9 else rng.choice(["a", "b", "tie"])
                elif comparison.kind == Comparison.Kind.REPEAT and comparison.repeat_of_id in originals:
                    same = {"a": "b", "b": "a"}.get(
                        originals[comparison.repeat_of_id], originals[comparison.repeat_of_id]
                    )
                    choice = same if rng.random() < 0.85 else rng.choice(["a", "b", "tie"])
                else:
                    choice = honest(comparison)
            elif kind == "left":
                seconds = max(4.0, rng.lognormvariate(math.log(12), 0.4))
                choice = left
            else:
                seconds = rng.uniform(0.6, 1.4) if kind == "fast" else max(4.0, rng.lognormvariate(math.log(15), 0.4))
                choice = rng.choice(["a", "b", "tie", "both_bad"])
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
        for judgment, (_r, kind, comparison, _left, _seconds, first_choice) in zip(judgments, plan, strict=True):
            for position, key in enumerate(criteria):
                choice = first_choice
                if position and kind == "honest" and comparison.kind == Comparison.Kind.REGULAR and rng.random() < 0.15:
                    # Criteria mostly agree with the first one, not always.
                    choice = honest(comparison)
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
