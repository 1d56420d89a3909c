"""Reads for the rater's judgment endpoint: what the page shows after a submission, in screen sides only."""

from __future__ import annotations

from typing import Any

from ratings.models import Judgment
from tasks.lib.sides import to_screen
from tasks.models import Assignment, Comparison
from tasks.selectors.rater import rater_progress


def judgment_submitted_view(*, assignment: Assignment, judgment: Judgment) -> dict[str, Any]:
    """What the page needs after a submission; the same for the first submission and every retry.

    Choices and gold answers are in the sides the rater saw (left/right), never canonical a/b.
    """
    comparison, study = assignment.comparison, assignment.study
    left = assignment.left_side
    choices = {c.criterion: to_screen(canonical_choice=c.choice, left_side=left) for c in judgment.choices.all()}
    rater = assignment.rater
    rater.study = study  # loaded with the assignment already
    progress = rater_progress(rater=rater)
    feedback = None
    if comparison.kind == Comparison.Kind.GOLD and study.gold_feedback and comparison.gold_answers:
        feedback = {
            "matched": bool(judgment.gold_correct),
            "expected": {k: to_screen(canonical_choice=v, left_side=left) for k, v in comparison.gold_answers.items()},
            "explanation": comparison.gold_explanation,
        }
    return {
        "assignment": assignment.public_id,
        "status": assignment.status,
        "choices": choices,
        "seconds": round(judgment.seconds, 1),
        "feedback": feedback,
        "progress": {"done": progress["done"], "target": progress["target"]},
        "gold_accuracy": (
            {"correct": progress["gold_correct"], "total": progress["gold_total"]}
            if study.gold_feedback and progress["gold_total"]
            else None
        ),
    }
