"""Owner pages for studies: the list, create, edit, the study page, the launch confirmation, status changes."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from evalsite.api import or_404
from evalsite.errors import ApplicationError
from evalsite.permissions import owner_required
from tasks.forms import StudyForm, form_errors_from
from tasks.lib.markdown import render_markdown
from tasks.models import Study
from tasks.presentation import default_instructions, frozen_settings_described
from tasks.selectors.outputs import leak_review_counts
from tasks.selectors.studies import (
    comparison_counts,
    launch_preview,
    studies_for_owner_home,
    study_counts,
    study_for_owner,
    study_next_step,
    study_progress,
)
from tasks.services.studies import (
    EDITABLE_FIELDS,
    FROZEN_ONCE_DATA,
    FROZEN_ONCE_LIVE,
    frozen_fields,
    study_create,
    study_transition,
    study_update,
)


@owner_required
def owner_home(request: HttpRequest) -> HttpResponse:
    studies = list(studies_for_owner_home(user=request.user))
    return render(request, "owner/home.html", {"studies": studies})


@owner_required
@require_http_methods(["GET", "POST"])
def study_create_page(request: HttpRequest) -> HttpResponse:
    modality = request.GET.get("modality", "")
    modality = modality if modality in Study.Modality.values else Study.Modality.TEXT
    form = StudyForm(request.POST or None, initial=StudyForm.initial_for(None, modality=modality))
    if request.method == "POST" and form.is_valid():
        values = form.settings()
        try:
            study = study_create(owner=request.user, **values)
        except ApplicationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, _("Study created. Next: import the outputs your systems produced."))
            return redirect("owner-study-import", slug=study.slug)
    return render(
        request,
        "owner/study_form.html",
        {
            "form": form,
            "study": None,
            "default_instructions": {m: default_instructions(modality=m) for m in Study.Modality.values},
        },
    )


def _frozen_context(study: Study, frozen: set[str]) -> dict:
    return {
        "frozen": sorted(frozen),
        "frozen_described": frozen_settings_described(study=study, fields=frozen),
        "closed": study.status == Study.Status.CLOSED,
    }


@owner_required
@require_http_methods(["GET", "POST"])
def study_edit_page(request: HttpRequest, slug: str) -> HttpResponse:
    study = or_404(study_for_owner(user=request.user, slug=slug))
    frozen = frozen_fields(study=study)
    form = StudyForm(request.POST or None, initial=StudyForm.initial_for(study), frozen=frozen)
    if request.method == "POST" and form.is_valid():
        values = {k: v for k, v in form.settings().items() if k not in frozen}
        try:
            study_update(study=study, **values)
        except ApplicationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, _("Settings saved."))
            return redirect("owner-study", slug=study.slug)
    return render(request, "owner/study_form.html", {"form": form, "study": study, **_frozen_context(study, frozen)})


def rater_links(request: HttpRequest, study: Study) -> list[dict[str, str]]:
    """The links an owner shares: the open link, and the same link as Prolific and other panels want it."""
    base = request.build_absolute_uri(reverse("rater-entry", kwargs={"slug": study.slug}))
    prolific = "PROLIFIC_PID={{%PROLIFIC_PID%}}&STUDY_ID={{%STUDY_ID%}}&SESSION_ID={{%SESSION_ID%}}"
    return [
        {"key": "open", "label": _("Rater link (open it, or give it to anyone)"), "url": base},
        {"key": "prolific", "label": _("Prolific study URL (Prolific fills in the ids)"), "url": f"{base}?{prolific}"},
        {
            "key": "panel",
            "label": _("Any other panel: put the worker id after pid="),
            "url": f"{base}?{urlencode({'pid': ''})}",
        },
    ]


@owner_required
def owner_study(request: HttpRequest, slug: str) -> HttpResponse:
    study = or_404(study_for_owner(user=request.user, slug=slug))
    counts = study_counts(study=study)
    leak_counts = leak_review_counts(study=study)
    progress = study_progress(study=study)
    links = rater_links(request, study)
    return render(
        request,
        "owner/study.html",
        {
            "study": study,
            "counts": counts,
            "comparison_counts": comparison_counts(study=study),
            "leak_counts": leak_counts,
            "progress": progress,
            "next_step": study_next_step(
                study=study,
                outputs=counts["outputs"],
                flagged=leak_counts["flagged"],
                judged=counts["assignments_submitted"],
            ),
            "instructions_html": mark_safe(render_markdown(study.instructions)),  # noqa: S308 (sanitized by nh3)
            "rater_link": links[0]["url"],
            "rater_links": links,
            **_frozen_context(study, frozen_fields(study=study)),
        },
    )


@owner_required
@require_http_methods(["GET", "POST"])
def study_launch_page(request: HttpRequest, slug: str) -> HttpResponse:
    """Launch, after a page that says exactly what launching does and what freezes."""
    study = or_404(study_for_owner(user=request.user, slug=slug))
    if study.status != Study.Status.DRAFT:
        messages.info(request, _("This study has been launched already."))
        return redirect("owner-study", slug=study.slug)
    if request.method == "POST":
        try:
            study = study_transition(study=study, action="launch")
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request, _("The study is live. Next: share the rater link below and watch the progress here.")
            )
            return redirect("owner-study", slug=study.slug)
    freezes = FROZEN_ONCE_LIVE | FROZEN_ONCE_DATA
    return render(
        request,
        "owner/launch.html",
        {
            "study": study,
            "preview": launch_preview(study=study),
            "freezes": frozen_settings_described(study=study, fields=freezes),
            "still_editable": [StudyForm.base_fields[name].label for name in EDITABLE_FIELDS if name not in freezes],
        },
    )


@owner_required
@require_POST
def study_transition_page(request: HttpRequest, slug: str) -> HttpResponse:
    study = or_404(study_for_owner(user=request.user, slug=slug))
    action = request.POST.get("action", "")
    if action == "launch":
        # Launch freezes settings: it happens on the confirmation page, never from a bare POST here.
        return redirect("owner-study-launch", slug=study.slug)
    try:
        study = study_transition(study=study, action=action)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Study is now %(status)s.") % {"status": _(study.get_status_display())})
    return redirect("owner-study", slug=study.slug)
