"""Reads for the rater pages: the bound rater, progress, the assignment with both outputs, where to go when done."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from django.db.models import Count, Q

from evalsite.errors import ApplicationError
from tasks.models import Assignment, Comparison, Rater, Study

PROLIFIC_COMPLETE_URL = "https://app.prolific.com/submissions/complete"


def session_key(*, study_id: int) -> str:
    return f"rater:{study_id}"


def session_rater(*, session: Any, study: Study) -> Rater | None:
    """The Rater this browser session is bound to in this study, if any."""
    rater_id = session.get(session_key(study_id=study.pk))
    if rater_id is None:
        return None
    rater = Rater.objects.filter(pk=rater_id, study=study).first()
    if rater is not None:
        rater.study = study  # already loaded: spare the query
    return rater


def session_rater_or_error(*, session: Any, slug: str) -> Rater:
    """For the JSON endpoints: the bound rater of the live/paused study with this slug, else a clear 403."""
    rater = (
        Rater.objects.select_related("study")
        .filter(
            study__slug=slug,
            study__status__in=[Study.Status.LIVE, Study.Status.PAUSED],
            pk__in=[v for k, v in session.items() if k.startswith("rater:") and isinstance(v, int)] or [0],
        )
        .first()
    )
    if rater is None:
        raise ApplicationError(
            "Your rating session has ended. Please open the study link again.", code="no_rater_session", status_code=403
        )
    return rater


def rater_progress(*, rater: Rater) -> dict[str, Any]:
    """Done and target, as the rater reads them ("Done: 7 of 40"), and the running gold accuracy.

    With a quota, every submitted item counts and the target is the quota (the engine stops there).
    Without one, the count is of regular items only (check items — gold and repeats — come on top and
    never outlast regular work) and the target is what this rater could still get: the regular items
    already done plus the active ones below redundancy that the rater has not had (or holds now). So the count never
    passes the target and the last item shows "N of N".
    """
    study = rater.study
    # The reverse lookup `judgment__...` reads ratings' table through the ORM; tasks imports nothing from ratings.
    agg = Assignment.objects.filter(rater=rater, status=Assignment.Status.SUBMITTED).aggregate(
        done=Count("pk"),
        regular=Count("pk", filter=Q(comparison__kind=Comparison.Kind.REGULAR)),
        gold_total=Count("pk", filter=Q(comparison__kind=Comparison.Kind.GOLD)),
        gold_correct=Count("pk", filter=Q(comparison__kind=Comparison.Kind.GOLD, judgment__gold_correct=True)),
    )
    if study.quota_per_rater is not None:
        done, target = agg["done"], study.quota_per_rater
    else:
        done = agg["regular"]
        open_items = (
            Comparison.objects.filter(
                study=study, kind=Comparison.Kind.REGULAR, active=True, judgment_count__lt=study.redundancy
            )
            # the item on screen (the rater's lease) still counts; anything the rater had otherwise never comes back
            .exclude(
                pk__in=Assignment.objects.filter(rater=rater)
                .exclude(status=Assignment.Status.LEASED)
                .values("comparison_id")
            )
            .count()
        )
        target = done + open_items
    gold_total = agg["gold_total"]
    return {
        "done": done,
        "target": max(target, done),
        "regular": agg["regular"],
        "checks": agg["done"] - agg["regular"],
        "gold_total": gold_total,
        "gold_correct": agg["gold_correct"],
        "gold_accuracy": (agg["gold_correct"] / gold_total) if gold_total else None,
    }


def assignment_for_page(*, assignment_id: int) -> Assignment:
    """The assignment with its prompt and BOTH outputs in one query (no per-side loading or timing)."""
    return Assignment.objects.select_related("comparison__prompt", "comparison__output_a", "comparison__output_b").get(
        pk=assignment_id
    )


def completion_target(*, rater: Rater, code: str) -> dict[str, Any]:
    """Where to send a finished rater: Prolific URL with cc=, the study's own redirect, or MTurk's form post."""
    study = rater.study
    if rater.platform == Rater.Platform.MTURK and rater.session_meta.get("turkSubmitTo"):
        return {
            "kind": "mturk",
            "action": rater.session_meta["turkSubmitTo"].rstrip("/") + "/mturk/externalSubmit",
            "assignment_id": rater.session_meta.get("assignmentId", ""),
        }
    base = study.completion_redirect_url or (PROLIFIC_COMPLETE_URL if rater.platform == Rater.Platform.PROLIFIC else "")
    if not base:
        return {"kind": "none"}
    parts = urlsplit(base)
    query = parts.query + ("&" if parts.query else "") + urlencode({"cc": code}) if code else parts.query
    return {"kind": "redirect", "url": urlunsplit(parts._replace(query=query))}
