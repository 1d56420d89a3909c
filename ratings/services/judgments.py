"""Storing a rater's Judgment: validated, canonical, idempotent, one transaction.

Screen sides (left/right) are mapped to canonical sides (a/b) with
`Assignment.left_side`; nothing on screen-side is ever stored. `seconds` is
measured on the server from the lease. A repeated submission of the same
Assignment (double click, retry, resubmit) returns the stored result; the
OneToOne on Judgment.assignment makes a second row impossible.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from evalsite.errors import ApplicationError
from ratings.models import Judgment, JudgmentChoice
from ratings.services.leaderboard import leaderboard_schedule_recompute
from tasks.lib import jsonsafe
from tasks.lib.sides import SCREEN_CHOICES, to_canonical
from tasks.models import Assignment, Comparison, Rater, Study

RATIONALE_MAX = 5000


@dataclass(frozen=True)
class SubmitResult:
    judgment: Judgment
    assignment: Assignment
    created: bool


def _validate(
    *, study: Study, choices: dict[str, Any], likert: dict[str, Any] | None, rationale: str, left_side: str
) -> tuple[dict[str, str], dict[str, tuple[int | None, int | None]], str]:
    keys = study.criterion_keys
    if not isinstance(choices, dict):
        raise ApplicationError(
            "choices must be an object {criterion: choice}.", code="invalid_choices", extra={"field": "choices"}
        )
    missing = [k for k in keys if k not in choices]
    if missing:
        raise ApplicationError(
            "Please answer every criterion.", code="criterion_missing", extra={"field": "choices", "criteria": missing}
        )
    unknown = sorted(set(choices) - set(keys))
    if unknown:
        raise ApplicationError(
            "Unknown criterion.", code="criterion_unknown", extra={"field": "choices", "criteria": unknown}
        )
    canonical: dict[str, str] = {}
    for key in keys:
        value = choices[key]
        if value not in SCREEN_CHOICES:
            raise ApplicationError(
                f"Choice for {key} must be one of {', '.join(SCREEN_CHOICES)}.",
                code="invalid_choice",
                extra={"field": f"choices.{key}"},
            )
        canonical[key] = to_canonical(screen_choice=value, left_side=left_side)

    scores: dict[str, tuple[int | None, int | None]] = {k: (None, None) for k in keys}
    likert = likert or {}
    if likert and not study.likert_scale:
        raise ApplicationError("This study does not use Likert scores.", code="likert_off", extra={"field": "likert"})
    if not isinstance(likert, dict):
        raise ApplicationError("likert must be an object.", code="invalid_likert", extra={"field": "likert"})
    for key, per_side in likert.items():
        if key not in keys or not isinstance(per_side, dict) or set(per_side) - {"left", "right"}:
            raise ApplicationError(
                "likert must be {criterion: {left: n, right: n}}.",
                code="invalid_likert",
                extra={"field": f"likert.{key}"},
            )
        values: dict[str, int | None] = {}
        for side in ("left", "right"):
            raw = per_side.get(side)
            if raw is None or raw == "":
                values[side] = None
                continue
            if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= study.likert_scale:
                raise ApplicationError(
                    f"Likert scores run from 1 to {study.likert_scale}.",
                    code="likert_range",
                    extra={"field": f"likert.{key}.{side}"},
                )
            values[side] = raw
        by_canonical = {to_canonical(screen_choice=s, left_side=left_side): v for s, v in values.items()}
        scores[key] = (by_canonical.get("a"), by_canonical.get("b"))

    if rationale is not None and not isinstance(rationale, str):
        raise ApplicationError("rationale must be text.", code="invalid_rationale", extra={"field": "rationale"})
    rationale = (rationale or "").strip()
    problem = jsonsafe.text_problem(rationale)
    if problem:
        raise ApplicationError(
            f"The explanation {problem}; please remove it.", code="invalid_rationale", extra={"field": "rationale"}
        )
    if study.rationale == Study.Rationale.OFF:
        rationale = ""
    needed = (
        max(study.rationale_min_length, 1)
        if study.rationale == Study.Rationale.REQUIRED
        else study.rationale_min_length
    )
    if rationale or study.rationale == Study.Rationale.REQUIRED:
        if len(rationale) < needed:
            raise ApplicationError(
                f"Please explain your choice (at least {needed} characters).",
                code="rationale_too_short",
                extra={"field": "rationale", "min_length": needed},
            )
    if len(rationale) > RATIONALE_MAX:
        raise ApplicationError("The explanation is too long.", code="rationale_too_long", extra={"field": "rationale"})
    return canonical, scores, rationale


def _gold_correct(*, comparison: Comparison, canonical: dict[str, str]) -> bool | None:
    if comparison.kind != Comparison.Kind.GOLD or not comparison.gold_answers:
        return None
    return all(canonical.get(k) == v for k, v in comparison.gold_answers.items())


def judgment_submit(
    *,
    rater: Rater,
    assignment_public_id: str,
    choices: dict[str, Any],
    likert: dict[str, Any] | None = None,
    rationale: str = "",
    now: dt.datetime | None = None,
) -> SubmitResult:
    """Store the rater's answer for their assignment; a resubmission returns the stored Judgment unchanged."""
    now = now or timezone.now()
    if not isinstance(assignment_public_id, str) or jsonsafe.text_problem(assignment_public_id):
        raise ApplicationError(
            "This task does not exist or is not yours.", code="assignment_not_found", status_code=404
        )
    with transaction.atomic():
        assignment = (
            Assignment.objects.select_for_update(of=("self",))
            .select_related("comparison", "study", "rater")
            .filter(public_id=assignment_public_id, rater=rater)
            .first()
        )
        if assignment is None:
            raise ApplicationError(
                "This task does not exist or is not yours.", code="assignment_not_found", status_code=404
            )
        if assignment.status == Assignment.Status.SUBMITTED:
            return SubmitResult(
                judgment=Judgment.objects.get(assignment=assignment), assignment=assignment, created=False
            )
        if assignment.status == Assignment.Status.SKIPPED:
            raise ApplicationError("This task was skipped.", code="assignment_skipped", status_code=409)
        if assignment.status == Assignment.Status.EXPIRED or assignment.expires_at <= now:
            raise ApplicationError(
                "This task has expired and went back to the pool; please take the next one.",
                code="lease_expired",
                status_code=409,
            )
        study = assignment.study
        if study.status == Study.Status.CLOSED:
            raise ApplicationError("This study is closed.", code="study_closed", status_code=409)
        if assignment.rater.status == Rater.Status.BLOCKED:
            raise ApplicationError("Your participation in this study has ended.", code="rater_blocked", status_code=403)
        canonical, scores, rationale = _validate(
            study=study, choices=choices, likert=likert, rationale=rationale, left_side=assignment.left_side
        )
        seconds = (now - assignment.leased_at).total_seconds()
        if seconds < study.min_seconds:
            raise ApplicationError(
                "Please look at both responses a little longer.",
                code="too_fast",
                extra={"min_seconds": study.min_seconds, "wait_seconds": round(study.min_seconds - seconds, 1)},
            )
        comparison = assignment.comparison
        try:
            with transaction.atomic():
                judgment = Judgment.objects.create(
                    assignment=assignment,
                    study=study,
                    comparison=comparison,
                    rater=rater,
                    rationale=rationale,
                    seconds=max(0.0, seconds),
                    gold_correct=_gold_correct(comparison=comparison, canonical=canonical),
                )
        except IntegrityError:
            return SubmitResult(
                judgment=Judgment.objects.get(assignment=assignment), assignment=assignment, created=False
            )
        JudgmentChoice.objects.bulk_create(
            [
                JudgmentChoice(
                    judgment=judgment,
                    study=study,
                    criterion=key,
                    choice=choice,
                    likert_a=scores[key][0],
                    likert_b=scores[key][1],
                )
                for key, choice in canonical.items()
            ]
        )
        assignment.status = Assignment.Status.SUBMITTED
        assignment.finished_at = now
        assignment.save(update_fields=["status", "finished_at"])
        Comparison.objects.filter(pk=comparison.pk).update(judgment_count=F("judgment_count") + 1)
        study_id = study.pk
        transaction.on_commit(lambda: leaderboard_schedule_recompute(study_id=study_id))
    return SubmitResult(judgment=judgment, assignment=assignment, created=True)
