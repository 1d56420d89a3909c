"""What the owner pages say in words about a study's settings, translated per request.

Services and selectors speak in field names (`likert_scale`, `repeat_rate`); an owner reads sentences
("Whether raters also score each output, and on which scale: off"). This module is that translation:
the default instructions of a new study, and what each frozen setting means, with its current value.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from tasks.models import Study

#: The display labels of the tasks models' choices, marked for translation: owner templates show them with
#: ``{% translate study.get_status_display %}`` (the models keep plain labels, so no migration depends on
#: the language). A test checks this list holds every label.
CHOICE_LABELS = (
    # Study.Status, Study.Modality, Study.Pairing, Study.Rationale, Study.Access
    gettext_noop("Draft"),
    gettext_noop("Live"),
    gettext_noop("Paused"),
    gettext_noop("Closed"),
    gettext_noop("Text"),
    gettext_noop("Image"),
    gettext_noop("All pairs per prompt"),
    gettext_noop("k sampled pairs per prompt"),
    gettext_noop("Off"),
    gettext_noop("Optional"),
    gettext_noop("Required"),
    gettext_noop("Open link"),
    gettext_noop("Invited raters only"),
    # Study.ImageCanvas
    gettext_noop("Keep each image's own size"),
    gettext_noop("Scale to fit one canvas, pad the rest"),
    gettext_noop("Scale to fill one canvas, crop the rest"),
    # Output.LeakReview
    gettext_noop("No leak found"),
    gettext_noop("Flagged, awaiting review"),
    gettext_noop("Reviewed, kept"),
    gettext_noop("Excluded"),
    # ImportJob.Status
    gettext_noop("Pending"),
    gettext_noop("Running"),
    gettext_noop("Done"),
    gettext_noop("Failed"),
)

# The order an owner reads frozen settings in: what a judgment is first, then how pairs were made.
FROZEN_ORDER = (
    "modality",
    "image_canvas",
    "image_canvas_width",
    "image_canvas_height",
    "criteria",
    "likert_scale",
    "rationale",
    "pairing",
    "pairs_per_prompt",
    "repeat_rate",
)


def default_instructions(*, modality: str) -> str:
    """Instructions a new study starts with: short, in Markdown, ready for raters (the owner edits them)."""
    if modality == Study.Modality.IMAGE:
        return _(
            "You will see a **text prompt** and two **generated images**, made by different systems.\n\n"
            "1. Read the prompt, then look at both images.\n"
            "2. For each question, choose the image that is better — or **tie** if they are equally good, "
            "or **both bad** if neither is acceptable.\n"
            "3. Judge how well the image matches the prompt and how it looks; ignore which side it is on.\n"
        )
    return _(
        "You will see a **question** and two **anonymous answers** to it, written by different systems.\n\n"
        "1. Read the question and both answers.\n"
        "2. For each question asked below the answers, choose the better answer — or **tie** if they are "
        "equally good, or **both bad** if neither is acceptable.\n"
        "3. Judge the content, not the length or the side: a short correct answer beats a long wrong one.\n"
    )


def _percent(value: float) -> str:
    return _("%(p)s%% of each rater's items") % {"p": f"{value * 100:.3g}"}


def setting_meaning(study: Study, field: str) -> dict[str, str]:
    """One setting in an owner's words: `what` it decides and its current `value` (both translated)."""
    if field == "modality":
        return {
            "what": _("Whether raters compare texts or images"),
            "value": _(study.get_modality_display()),
        }
    if field == "image_canvas":
        return {
            "what": _("How output images are fitted to one canvas (so their size says nothing)"),
            "value": _(study.get_image_canvas_display()),
        }
    if field in ("image_canvas_width", "image_canvas_height"):
        size = getattr(study, field)
        return {
            "what": _("The canvas width") if field.endswith("width") else _("The canvas height"),
            "value": _("%(n)d pixels") % {"n": size} if size else _("set by the first imported image"),
        }
    if field == "criteria":
        labels = [str(c.get("label") or c.get("key")) for c in study.criteria if isinstance(c, dict)]
        return {"what": _("The questions raters answer for every pair (the criteria)"), "value": ", ".join(labels)}
    if field == "likert_scale":
        return {
            "what": _("Whether raters also score each output on its own, and on which scale"),
            "value": _("1 to %(n)d") % {"n": study.likert_scale} if study.likert_scale else _("off"),
        }
    if field == "rationale":
        return {"what": _("Whether raters write why they chose"), "value": _(study.get_rationale_display())}
    if field == "pairing":
        return {"what": _("How outputs are paired"), "value": _(study.get_pairing_display())}
    if field == "pairs_per_prompt":
        return {
            "what": _("How many pairs each prompt gets (sampled pairing)"),
            "value": str(study.pairs_per_prompt) if study.pairing == Study.Pairing.SAMPLED else _("every pair"),
        }
    if field == "repeat_rate":
        return {
            "what": _("How many pairs are shown to a rater twice, to check consistency"),
            "value": _percent(study.repeat_rate) if study.repeat_rate else _("none"),
        }
    label = field.replace("_", " ")
    return {"what": label[:1].upper() + label[1:], "value": str(getattr(study, field, ""))}


def frozen_settings_described(*, study: Study, fields: Iterable[str]) -> list[dict[str, Any]]:
    """The given settings in reading order, each as {field, what, value}."""
    wanted = set(fields)
    ordered = [f for f in FROZEN_ORDER if f in wanted] + sorted(wanted - set(FROZEN_ORDER))
    return [{"field": field, **setting_meaning(study, field)} for field in ordered]
