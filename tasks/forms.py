"""HTML forms of the owner pages. They only parse input; the services validate and write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from evalsite.errors import ApplicationError
from tasks.models import Study
from tasks.services.studies import EDITABLE_FIELDS


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
    name = forms.CharField(label=_("Name"), max_length=200)
    modality = forms.ChoiceField(label=_("Modality"), choices=Study.Modality.choices)
    instructions = forms.CharField(
        label=_("Instructions (Markdown)"), required=False, widget=forms.Textarea(attrs={"rows": 8, "cols": 80})
    )
    criteria = forms.CharField(
        label=_("Criteria, one per line: key | label | description"),
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
    )
    likert_scale = forms.TypedChoiceField(
        label=_("Likert score per output"),
        coerce=int,
        choices=[(0, _("Off")), (5, _("1–5")), (7, _("1–7"))],
    )
    rationale = forms.ChoiceField(label=_("Rationale"), choices=Study.Rationale.choices)
    rationale_min_length = forms.IntegerField(label=_("Rationale minimum length"), min_value=0)
    redundancy = forms.IntegerField(label=_("Ratings per comparison"), min_value=1)
    pairing = forms.ChoiceField(label=_("Pairing"), choices=Study.Pairing.choices)
    pairs_per_prompt = forms.IntegerField(label=_("Pairs per prompt (k, sampled pairing)"), min_value=0)
    gold_rate = forms.FloatField(label=_("Gold rate (share of work, 0–0.5)"), min_value=0)
    repeat_rate = forms.FloatField(label=_("Repeat rate (share of work, 0–0.5)"), min_value=0)
    min_seconds = forms.IntegerField(label=_("Minimum seconds per judgment"), min_value=0)
    quota_per_rater = forms.IntegerField(label=_("Quota per rater (empty: none)"), required=False, min_value=1)
    lease_minutes = forms.IntegerField(label=_("Lease (minutes)"), min_value=1)
    access = forms.ChoiceField(label=_("Access"), choices=Study.Access.choices)
    completion_code = forms.CharField(label=_("Completion code"), required=False, max_length=100)
    completion_redirect_url = forms.CharField(label=_("Completion redirect URL"), required=False, max_length=500)
    gold_feedback = forms.BooleanField(label=_("Show raters immediate feedback on gold items"), required=False)

    def __init__(self, *args: Any, frozen: set[str] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for name in frozen or ():
            if name in self.fields:
                self.fields[name].disabled = True
                self.fields[name].help_text = _("Frozen")

    @staticmethod
    def initial_for(study: Study | None) -> dict[str, Any]:
        """The form's initial values: the study's settings, or a new study's defaults when `study` is None."""
        study = study if study is not None else Study()
        initial = {field: getattr(study, field) for field in EDITABLE_FIELDS}
        initial["criteria"] = criteria_to_text(study.criteria)
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
    file = forms.FileField(label=_("Outputs file (JSONL or CSV)"))
    images = forms.FileField(label=_("Images (zip, optional)"), required=False)
    file_format = forms.ChoiceField(
        label=_("Format"),
        choices=[("auto", _("From the file name")), ("jsonl", "JSONL"), ("csv", "CSV")],
        initial="auto",
    )

    def resolved_format(self) -> str:
        chosen = self.cleaned_data["file_format"]
        if chosen != "auto":
            return chosen
        return "csv" if self.cleaned_data["file"].name.lower().endswith(".csv") else "jsonl"


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
