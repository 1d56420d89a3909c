"""The owner's review of outputs (identity-leak flags): keep or exclude. Excluded outputs never reach raters."""

from __future__ import annotations

from django.db import transaction

from evalsite.errors import ApplicationError
from tasks.models import Output, Study
from tasks.services.pairing import comparisons_deactivate_for_outputs, comparisons_reactivate_for_outputs

DECISIONS = {"keep": Output.LeakReview.KEPT, "exclude": Output.LeakReview.EXCLUDED}
MAX_PER_CALL = 10_000


@transaction.atomic
def outputs_review(
    *, study: Study, public_ids: list[str] | None = None, decision: str, all_flagged: bool = False
) -> dict[str, int]:
    """Set the leak review of some outputs (by public id, or every output still flagged).

    exclude: their comparisons (any kind) become inactive, so no rater is served them again.
    keep: comparisons come back unless their other output is excluded.
    """
    if decision not in DECISIONS:
        raise ApplicationError("decision must be keep or exclude.", code="invalid_decision")
    if study.status == Study.Status.CLOSED:
        raise ApplicationError("The study is closed.", code="study_closed")
    qs = Output.objects.filter(study=study)
    if all_flagged:
        qs = qs.filter(leak_review=Output.LeakReview.FLAGGED)
    else:
        ids = list(dict.fromkeys(public_ids or []))
        if not ids:
            raise ApplicationError("Name at least one output.", code="invalid_outputs")
        if len(ids) > MAX_PER_CALL:
            raise ApplicationError(f"At most {MAX_PER_CALL} outputs per call.", code="invalid_outputs")
        qs = qs.filter(public_id__in=ids)
        found = set(qs.values_list("public_id", flat=True))
        missing = [pid for pid in ids if pid not in found]
        if missing:
            raise ApplicationError(
                "Unknown output id(s) in this study.", code="invalid_outputs", extra={"unknown": missing[:50]}
            )
    output_ids = list(qs.select_for_update().values_list("id", flat=True))
    updated = Output.objects.filter(id__in=output_ids).update(leak_review=DECISIONS[decision])
    if decision == "exclude":
        changed = comparisons_deactivate_for_outputs(study=study, output_ids=output_ids)
    else:
        changed = comparisons_reactivate_for_outputs(study=study, output_ids=output_ids)
    return {"outputs": updated, "comparisons_changed": changed}
