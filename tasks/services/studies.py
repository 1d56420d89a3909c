"""Study design: create, update (with frozen fields once live), status transitions.

Every write goes through one function here, inside `transaction.atomic`.
Validation errors are raised as one `ApplicationError(code="invalid_settings")`
whose `extra["fields"]` maps each field to a list of messages.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from evalsite.errors import ApplicationError
from tasks.models import Study
from tasks.services.blinding import study_leak_rescan
from tasks.services.pairing import pairing_generate

# Fields an owner may set (through the pages or the API), in display order.
EDITABLE_FIELDS = (
    "name",
    "instructions",
    "modality",
    "criteria",
    "likert_scale",
    "rationale",
    "rationale_min_length",
    "redundancy",
    "pairing",
    "pairs_per_prompt",
    "gold_rate",
    "repeat_rate",
    "min_seconds",
    "quota_per_rater",
    "lease_minutes",
    "access",
    "completion_code",
    "completion_redirect_url",
    "gold_feedback",
    "image_canvas",
    "image_canvas_width",
    "image_canvas_height",
)

# Settings that change the meaning of collected data: frozen once the study has left draft.
# - modality, criteria, likert_scale: what a judgment *is* (its fields and scale);
# - pairing, pairs_per_prompt, repeat_rate: the comparisons were generated from them at launch.
# The rest (name, instructions wording, redundancy, gold rate, time/quota/lease, access,
# completion settings, gold feedback) only steer how further work is handed out.
FROZEN_ONCE_LIVE = frozenset({"modality", "criteria", "likert_scale", "pairing", "pairs_per_prompt", "repeat_rate"})
# Once any output was imported, the modality cannot change even in draft (outputs are text or images).
FROZEN_ONCE_DATA = frozenset({"modality", "image_canvas", "image_canvas_width", "image_canvas_height"})
MAX_CANVAS_SIDE = 4096

CRITERION_KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_CRITERIA = 12
TRANSITIONS: dict[str, tuple[set[str], str]] = {
    # action: (statuses it may start from, status it leads to)
    "launch": ({Study.Status.DRAFT}, Study.Status.LIVE),
    "pause": ({Study.Status.LIVE}, Study.Status.PAUSED),
    "resume": ({Study.Status.PAUSED}, Study.Status.LIVE),
    "close": ({Study.Status.LIVE, Study.Status.PAUSED}, Study.Status.CLOSED),
}


def _validate_criteria(value: Any, errors: list[str]) -> list[dict[str, str]]:
    if not isinstance(value, list) or not value:
        errors.append("Give at least one criterion (a list of {key, label, description}).")
        return []
    if len(value) > MAX_CRITERIA:
        errors.append(f"At most {MAX_CRITERIA} criteria.")
    cleaned: list[dict[str, str]] = []
    seen: set[str] = set()
    for index, item in enumerate(value, start=1):
        if not isinstance(item, dict):
            errors.append(f"Criterion {index}: must be an object with key, label, description.")
            continue
        unknown = set(item) - {"key", "label", "description"}
        if unknown:
            errors.append(f"Criterion {index}: unknown field(s) {', '.join(sorted(unknown))}.")
        key = item.get("key")
        label = item.get("label") or ""
        description = item.get("description") or ""
        if not isinstance(key, str) or not CRITERION_KEY_RE.match(key):
            errors.append(f"Criterion {index}: key must be lowercase letters, digits or _ (starting with a letter).")
            continue
        if key in seen:
            errors.append(f"Criterion {index}: duplicate key {key!r}.")
        seen.add(key)
        if not isinstance(label, str) or not isinstance(description, str):
            errors.append(f"Criterion {index}: label and description must be text.")
            continue
        if len(label) > 100 or len(description) > 1000:
            errors.append(f"Criterion {index}: label at most 100, description at most 1000 characters.")
        cleaned.append(
            {
                "key": key,
                "label": label.strip() or key.replace("_", " ").capitalize(),
                "description": description.strip(),
            }
        )
    if cleaned and "overall" not in seen:
        errors.append("The criteria must include 'overall'.")
    return cleaned


def _int_in(values: dict[str, Any], field: str, lo: int, hi: int, errors: dict[str, list[str]]) -> None:
    value = values[field]
    if isinstance(value, bool) or not isinstance(value, int):
        errors.setdefault(field, []).append("Must be a whole number.")
    elif not lo <= value <= hi:
        errors.setdefault(field, []).append(f"Must be between {lo} and {hi}.")


def study_validate(*, values: dict[str, Any]) -> dict[str, list[str]]:
    """Field errors for a complete set of study settings (empty dict when valid). Normalises `values` in place."""
    errors: dict[str, list[str]] = {}

    def err(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    name = values.get("name")
    if not isinstance(name, str) or not name.strip():
        err("name", "A name is required.")
    elif len(name) > 200:
        err("name", "At most 200 characters.")
    else:
        values["name"] = name.strip()
    if not isinstance(values.get("instructions"), str):
        err("instructions", "Must be text (Markdown).")
    elif len(values["instructions"]) > 50_000:
        err("instructions", "At most 50000 characters.")
    if values.get("modality") not in Study.Modality.values:
        err("modality", "Choose text or image.")
    criterion_errors: list[str] = []
    values["criteria"] = _validate_criteria(values.get("criteria"), criterion_errors)
    if criterion_errors:
        errors["criteria"] = criterion_errors
    if values.get("likert_scale") not in (0, 5, 7) or isinstance(values.get("likert_scale"), bool):
        err("likert_scale", "Choose 0 (off), 5 or 7.")
    if values.get("rationale") not in Study.Rationale.values:
        err("rationale", "Choose off, optional or required.")
    _int_in(values, "rationale_min_length", 0, 5000, errors)
    _int_in(values, "redundancy", 1, 100, errors)
    if values.get("pairing") not in Study.Pairing.values:
        err("pairing", "Choose all_pairs or sampled.")
    _int_in(values, "pairs_per_prompt", 0, 1000, errors)
    if values.get("pairing") == Study.Pairing.SAMPLED and values.get("pairs_per_prompt") in (0, None):
        err("pairs_per_prompt", "Sampled pairing needs k ≥ 1 pairs per prompt.")
    for rate in ("gold_rate", "repeat_rate"):
        value = values.get(rate)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            err(rate, "Must be a number between 0 and 0.5.")
        elif not 0 <= value <= 0.5:
            err(rate, "Must be between 0 and 0.5 (a share of each rater's work).")
        else:
            values[rate] = float(value)
    _int_in(values, "min_seconds", 0, 3600, errors)
    quota = values.get("quota_per_rater")
    if quota is not None and (isinstance(quota, bool) or not isinstance(quota, int) or not 1 <= quota <= 100_000):
        err("quota_per_rater", "Leave empty for no quota, or a whole number between 1 and 100000.")
    _int_in(values, "lease_minutes", 1, 1440, errors)
    if values.get("access") not in Study.Access.values:
        err("access", "Choose open or invite.")
    code = values.get("completion_code")
    if not isinstance(code, str) or len(code) > 100 or not re.fullmatch(r"[A-Za-z0-9_-]*", code):
        err("completion_code", "Up to 100 letters, digits, - or _.")
    url = values.get("completion_redirect_url")
    if not isinstance(url, str):
        err("completion_redirect_url", "Must be a URL.")
    elif url:
        try:
            URLValidator(schemes=["https", "http"])(url)
        except ValidationError:
            err("completion_redirect_url", "Enter a valid http(s) URL.")
        if len(url) > 500:
            err("completion_redirect_url", "At most 500 characters.")
    if not isinstance(values.get("gold_feedback"), bool):
        err("gold_feedback", "Must be true or false.")
    if values.get("image_canvas") not in Study.ImageCanvas.values:
        err("image_canvas", "Choose off, pad or fit.")
    sides = [values.get("image_canvas_width"), values.get("image_canvas_height")]
    for field, side in zip(("image_canvas_width", "image_canvas_height"), sides, strict=True):
        if side is not None and (
            isinstance(side, bool) or not isinstance(side, int) or not 16 <= side <= MAX_CANVAS_SIDE
        ):
            err(
                field,
                f"Leave empty (the first image sets it) or a whole number of pixels from 16 to {MAX_CANVAS_SIDE}.",
            )
    if (sides[0] is None) != (sides[1] is None):
        err("image_canvas_width", "Give both canvas width and height, or neither.")
    return errors


def _defaults() -> dict[str, Any]:
    blank = Study()
    return {field: getattr(blank, field) for field in EDITABLE_FIELDS}


@transaction.atomic
def study_create(*, owner: Any, name: str, **settings: Any) -> Study:
    """A new draft study owned by `owner`. Unknown keyword settings are refused."""
    unknown = set(settings) - set(EDITABLE_FIELDS)
    if unknown:
        raise ApplicationError(
            "Unknown study settings.",
            code="invalid_settings",
            extra={"fields": {field: ["Unknown setting."] for field in sorted(unknown)}},
        )
    values = _defaults() | settings | {"name": name}
    if values.get("instructions") is None:
        values["instructions"] = ""
    errors = study_validate(values=values)
    if errors:
        raise ApplicationError("Invalid study settings.", code="invalid_settings", extra={"fields": errors})
    study = Study(owner=owner, **values)
    study.save()
    study_leak_rescan(study=study, parts={"study"})  # the name is on every rater page
    return study


def frozen_fields(*, study: Study) -> set[str]:
    """The settings that cannot change any more for this study."""
    if study.status == Study.Status.CLOSED:
        return set(EDITABLE_FIELDS) - {"name"}
    frozen: set[str] = set()
    if study.status != Study.Status.DRAFT:
        frozen |= FROZEN_ONCE_LIVE
    if study.outputs.exists():
        frozen |= FROZEN_ONCE_DATA
    return frozen


@transaction.atomic
def study_update(*, study: Study, **changes: Any) -> Study:
    """Change some settings. Frozen settings may be re-sent unchanged but never changed."""
    study = Study.objects.select_for_update().get(pk=study.pk)
    errors: dict[str, list[str]] = {}
    for field in sorted(set(changes) - set(EDITABLE_FIELDS)):
        errors[field] = ["Unknown setting."]
    values = {field: getattr(study, field) for field in EDITABLE_FIELDS}
    values.update({k: v for k, v in changes.items() if k in EDITABLE_FIELDS})
    if values.get("instructions") is None:
        values["instructions"] = ""
    errors.update(study_validate(values=values))
    frozen = frozen_fields(study=study)
    for field in sorted(frozen & set(changes)):
        if field not in errors and values[field] != getattr(study, field):
            errors[field] = [
                f"Frozen: this setting cannot change once the study is {study.get_status_display().lower()}"
                if study.status != Study.Status.DRAFT
                else "Frozen: this setting cannot change once outputs were imported."
            ]
    if errors:
        raise ApplicationError("Invalid study settings.", code="invalid_settings", extra={"fields": errors})
    for field in EDITABLE_FIELDS:
        setattr(study, field, values[field])
    study.save()
    study_leak_rescan(study=study, parts={"study"})
    return study


@transaction.atomic
def study_transition(*, study: Study, action: str) -> Study:
    """launch (draft→live, generates comparisons), pause (live→paused), resume (paused→live),
    close (live/paused→closed). Repeating the action that led to the current status is a no-op,
    so retried requests are safe; nothing ever goes back to draft."""
    if action not in TRANSITIONS:
        raise ApplicationError(f"Unknown action {action!r}.", code="invalid_action")
    study = Study.objects.select_for_update().get(pk=study.pk)
    sources, target = TRANSITIONS[action]
    if study.status == target and (action != "resume" or study.launched_at):
        return study  # idempotent retry
    if study.status not in sources:
        raise ApplicationError(
            f"Cannot {action} a study that is {study.status}.",
            code="invalid_transition",
            extra={"status": study.status, "action": action},
        )
    if action == "launch":
        pairing_generate(study=study)
        study.launched_at = timezone.now()
    if action == "close":
        study.closed_at = timezone.now()
    study.status = target
    study.save(update_fields=["status", "launched_at", "closed_at", "updated_at"])
    return study
