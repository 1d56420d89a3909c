"""The rater's judgment endpoint (JSON, CSRF-checked, session-bound rater). Answers in screen sides only."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from ratings.services.judgments import SubmitResult, judgment_submit, to_screen
from tasks.models import Comparison
from tasks.rater_auth import RaterApiView
from tasks.rater_selectors import rater_progress, session_rater_or_error


def submit_response(*, result: SubmitResult, slug: str) -> dict[str, Any]:
    """What the page needs after a submission; the same for the first submission and every retry."""
    assignment, judgment = result.assignment, result.judgment
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
        "next_url": reverse("rater-task", args=[slug]),
    }


class JudgmentSubmitApi(RaterApiView):
    class InputSerializer(serializers.Serializer):
        choices = serializers.DictField(child=serializers.CharField(max_length=20))
        likert = serializers.DictField(required=False, default=dict)
        rationale = serializers.CharField(
            required=False, allow_blank=True, default="", max_length=10000, trim_whitespace=False
        )

    def post(self, request: Request, slug: str, public_id: str) -> Response:
        rater = session_rater_or_error(session=request.session, slug=slug)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = judgment_submit(rater=rater, assignment_public_id=public_id, **data.validated_data)
        # Same body and status for the first submission and any retry (idempotent).
        return Response(submit_response(result=result, slug=slug))
