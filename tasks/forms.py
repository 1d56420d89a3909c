"""HTML forms of the owner pages. They only parse input; the services validate and write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from evalsite.errors import ApplicationError
from tasks.models import Study
from tasks.presentation import default_instructions
from tasks.services.studies import EDITABLE_FIELDS, MAX_CANVAS_SIDE


def criteria_to_text(criteria: list[dict[str, str]]) -> str:
    return "\n".join(f"{c['key']} | {c.get('label', '')} | {c.get('description', '')}" for c in criteria)


def criteria_from_text(text: str) -> list[dict[str, str]]:
    """One criterion per line: `key | label | description` (label and description optional)."""
    criteria = []
    for line in text.splitlines():
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split("|", 2)]
        parts += [""] * (3 - len(parts))
        criteria.append({"key": parts[0], "label": parts[1], "description": parts[2]})
    return criteria


class StudyForm(forms.Form):
    """Every study setting. Every field says what it does and its range (the same ranges
    `tasks.services.studies.study_validate` checks), so an owner needs no docs to fill it in."""

    name = forms.CharField(
        label=_("Name"),
        max_length=200,
        help_text=_("Shown to raters at the top of every page, and to you in the studies list. Up to 200 characters."),
    )
    modality = forms.ChoiceField(
        label=_("Modality"),
        choices=Study.Modality.choices,
        help_text=_(
            "Text: raters compare two written answers. Image: two generated images. "
            "Cannot change once outputs are imported."
        ),
    )
    instructions = forms.CharField(
        label=_("Instructions (Markdown)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "cols": 80}),
        help_text=_(
            "What raters read before they start; they can reopen it on every judging page. Markdown: **bold**, "
            "lists, links. Up to 50,000 characters."
        ),
    )
    criteria = forms.CharField(
        label=_("Criteria, one per line: key | label | description"),
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
        help_text=_(
            "The questions raters answer for every pair, 1 to 12. The key is lowercase letters, digits or _ and "
            "must include overall; the label and description are what raters see."
        ),
    )
    likert_scale = forms.TypedChoiceField(
        label=_("Likert score per output"),
        coerce=int,
        choices=[(0, _("Off")), (5, _("1–5")), (7, _("1–7"))],
        help_text=_("Optionally, raters also score each output on its own, per criterion. Off by default."),
    )
    rationale = forms.ChoiceField(
        label=_("Rationale"),
        choices=Study.Rationale.choices,
        help_text=_("Ask raters to write why they chose: off, optional, or required before they can submit."),
    )
    rationale_min_length = forms.IntegerField(
        label=_("Rationale minimum length"),
        min_value=0,
        help_text=_("Fewest characters a required rationale must have (0–5000; 0 = any length)."),
    )
    redundancy = forms.IntegerField(
        label=_("Ratings per comparison"),
        min_value=1,
        help_text=_(
            "How many different raters judge each pair (1–100). 3 is usual: it lets you measure agreement; "
            "more gives tighter intervals but costs more judgments."
        ),
    )
    pairing = forms.ChoiceField(
        label=_("Pairing"),
        choices=Study.Pairing.choices,
        help_text=_(
            "All pairs: every two systems meet on every prompt. Sampled: k pairs per prompt, spread so every "
            "system appears equally often (for many systems)."
        ),
    )
    pairs_per_prompt = forms.IntegerField(
        label=_("Pairs per prompt (k, sampled pairing)"),
        min_value=0,
        help_text=_("With sampled pairing: how many pairs per prompt (1–1000). Ignored for all pairs."),
    )
    gold_rate = forms.FloatField(
        label=_("Gold rate (share of work, 0–0.5)"),
        min_value=0,
        help_text=_(
            "Share of each rater's items that are gold pairs with an answer you know (0–0.5; 0.1 = one item "
            "in ten). It measures rater accuracy; mark gold pairs on the Gold pairs page."
        ),
    )
    repeat_rate = forms.FloatField(
        label=_("Repeat rate (share of work, 0–0.5)"),
        min_value=0,
        help_text=_(
            "Share of pairs shown to the same rater a second time, sides swapped, to measure how consistent "
            "each rater is (0–0.5; 0.05 = one in twenty)."
        ),
    )
    min_seconds = forms.IntegerField(
        label=_("Minimum seconds per judgment"),
        min_value=0,
        help_text=_(
            "Submit stays locked this long on each pair, so raters read before they answer (0–3600; 0 = no wait)."
        ),
    )
    quota_per_rater = forms.IntegerField(
        label=_("Quota per rater (empty: none)"),
        required=False,
        min_value=1,
        help_text=_("The most pairs one rater may judge (1–100000). Leave empty for no limit."),
    )
    lease_minutes = forms.IntegerField(
        label=_("Lease (minutes)"),
        min_value=1,
        help_text=_(
            "How long a rater may hold a pair before it goes back to the pool for someone else "
            "(1–1440 minutes; 15 is usual)."
        ),
    )
    access = forms.ChoiceField(
        label=_("Access"),
        choices=Study.Access.choices,
        help_text=_(
            "Open link: anyone with the link (Prolific, MTurk, your own panel). Invited raters only: "
            "just the personal links you create on the Invitations page."
        ),
    )
    completion_code = forms.CharField(
        label=_("Completion code"),
        required=False,
        max_length=100,
        help_text=_(
            "Shown to raters when they finish, e.g. your Prolific completion code. "
            "Up to 100 letters, digits, - or _; empty for none."
        ),
    )
    completion_redirect_url = forms.CharField(
        label=_("Completion redirect URL"),
        required=False,
        max_length=500,
        help_text=_(
            "Where raters go when they finish (an http or https address, e.g. your crowd platform's "
            "completion page). Empty: a thank-you page (Prolific raters go back to Prolific)."
        ),
    )
    gold_feedback = forms.BooleanField(
        label=_("Show raters immediate feedback on gold items"),
        required=False,
        help_text=_("After a gold pair, tell the rater whether they matched your answer, with your explanation."),
    )

    image_canvas = forms.ChoiceField(
        label=_("Image canvas (image studies)"),
        choices=Study.ImageCanvas.choices,
        help_text=_(
            "Image studies: every output image is drawn onto one canvas, so its size cannot tell raters which "
            "system made it. Pad keeps the whole image; fit fills the canvas and crops; off keeps each size. "
            "Cannot change once outputs are imported."
        ),
    )
    image_canvas_width = forms.IntegerField(
        label=_("Canvas width (pixels)"),
        required=False,
        min_value=16,
        max_value=MAX_CANVAS_SIDE,
        help_text=format_lazy(
            _("16–{max} pixels, with the height; empty: the first imported image sets the size."), max=MAX_CANVAS_SIDE
        ),
    )
    image_canvas_height = forms.IntegerField(
        label=_("Canvas height (pixels)"),
        required=False,
        min_value=16,
        max_value=MAX_CANVAS_SIDE,
        help_text=format_lazy(
            _("16–{max} pixels, with the width; empty: the first imported image sets the size."), max=MAX_CANVAS_SIDE
        ),
    )

    #: The form in sections, for the page: (legend, field names).
    SECTIONS = (
        (_("The study"), ("name", "modality", "instructions")),
        (_("Images"), ("image_canvas", "image_canvas_width", "image_canvas_height")),
        (_("What raters answer"), ("criteria", "likert_scale", "rationale", "rationale_min_length")),
        (_("How pairs are made and handed out"), ("redundancy", "pairing", "pairs_per_prompt", "gold_rate")),
        (_("Checks on raters"), ("repeat_rate", "min_seconds", "quota_per_rater", "lease_minutes", "gold_feedback")),
        (_("Who may rate, and the end of a session"), ("access", "completion_code", "completion_redirect_url")),
    )

    def __init__(self, *args: Any, frozen: set[str] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for name in frozen or ():
            if name in self.fields:
                self.fields[name].disabled = True
        self.sections = [
            (legend, [self[name] for name in names if name in self.fields]) for legend, names in self.SECTIONS
        ]

    @staticmethod
    def initial_for(study: Study | None, *, modality: str = Study.Modality.TEXT) -> dict[str, Any]:
        """The form's initial values: the study's settings, or a new study's defaults when `study` is None
        (with instructions a rater can follow, for the chosen modality)."""
        new = study is None
        study = study if study is not None else Study(modality=modality)
        initial = {field: getattr(study, field) for field in EDITABLE_FIELDS}
        initial["criteria"] = criteria_to_text(study.criteria)
        if new:
            initial["instructions"] = default_instructions(modality=study.modality)
        return initial

    def settings(self) -> dict[str, Any]:
        """Cleaned values in the shape the study services take."""
        values = dict(self.cleaned_data)
        values["criteria"] = criteria_from_text(values["criteria"])
        values["instructions"] = values.get("instructions") or ""
        values["completion_code"] = values.get("completion_code") or ""
        values["completion_redirect_url"] = values.get("completion_redirect_url") or ""
        return values


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Outputs file (JSONL or CSV)"),
        help_text=_("One line (or CSV row) per output: prompt_id, prompt, system, and output or image."),
    )
    images = forms.FileField(
        label=_("Images (zip, optional)"),
        required=False,
        help_text=_("Image studies: a zip holding every file the image column names. Metadata is stripped."),
    )
    file_format = forms.ChoiceField(
        label=_("Format"),
        choices=[("auto", _("From the file name")), ("jsonl", "JSONL"), ("csv", "CSV")],
        initial="auto",
        help_text=_("A .csv name reads as CSV, anything else as JSONL, unless you choose here."),
    )

    def resolved_format(self) -> str:
        return import_format_for(self.cleaned_data["file"].name, self.cleaned_data["file_format"])


def import_format_for(file_name: str, chosen: str = "auto") -> str:
    """The import format: the one chosen, or from the file name (.csv is CSV, anything else JSONL).
    The web form and `manage.py import_outputs` / `import_gold` decide it the same way."""
    if chosen in ("jsonl", "csv"):
        return chosen
    return "csv" if file_name.lower().endswith(".csv") else "jsonl"


class GoldMarkForm(forms.Form):
    prompt_id = forms.CharField(label=_("Prompt id"), max_length=200)
    system_a = forms.CharField(label=_("System A"), max_length=200)
    system_b = forms.CharField(label=_("System B"), max_length=200)
    answer = forms.CharField(
        label=_("Expected answer per criterion, e.g. overall=a, helpfulness=tie"),
        max_length=500,
        help_text=_("a = system A better, b = system B better, tie, both_bad"),
    )
    explanation = forms.CharField(
        label=_("Explanation shown to raters"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def answer_dict(self) -> dict[str, str] | str:
        raw = self.cleaned_data["answer"].strip()
        if "=" not in raw:
            return raw
        answer = {}
        for part in raw.split(","):
            key, _sep, value = part.partition("=")
            answer[key.strip()] = value.strip()
        return answer


class GoldFileForm(forms.Form):
    file = forms.FileField(label=_("Gold file (JSONL or CSV)"))


def form_errors_from(form: forms.Form, exc: ApplicationError) -> None:
    """Put a service's ApplicationError onto the form: per field where it names one, else on the form."""
    fields = exc.extra.get("fields") or {}
    if not fields:
        form.add_error(None, exc.message)
    for name, problems in fields.items():
        target = name if name in form.fields else None
        for problem in problems:
            form.add_error(target, problem if target else f"{name}: {problem}")
