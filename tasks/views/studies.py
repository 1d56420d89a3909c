"""Owner pages for studies: the list, create, edit, the study page, status changes."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from evalsite.api import or_404
from evalsite.errors import ApplicationError
from evalsite.permissions import owner_required
from tasks.forms import StudyForm, form_errors_from
from tasks.lib.markdown import render_markdown
from tasks.selectors.outputs import leak_review_counts
from tasks.selectors.studies import comparison_counts, studies_for_owner_home, study_counts, study_for_owner
from tasks.services.studies import frozen_fields, study_create, study_transition, study_update


@owner_required
def owner_home(request: HttpRequest) -> HttpResponse:
    studies = studies_for_owner_home(user=request.user)
    return render(request, "owner/home.html", {"studies": studies})


@owner_required
@require_http_methods(["GET", "POST"])
def study_create_page(request: HttpRequest) -> HttpResponse:
    initial = StudyForm.initial_for(None)
    initial["modality"] = request.GET.get("modality", "text")
    form = StudyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        values = form.settings()
        try:
            study = study_create(owner=request.user, **values)
        except ApplicationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, _("Study created. Next: import outputs."))
            return redirect("owner-study-import", slug=study.slug)
    return render(request, "owner/study_form.html", {"form": form, "study": None})


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
    return render(request, "owner/study_form.html", {"form": form, "study": study, "frozen": sorted(frozen)})


@owner_required
def owner_study(request: HttpRequest, slug: str) -> HttpResponse:
    study = or_404(study_for_owner(user=request.user, slug=slug))
    rater_link = request.build_absolute_uri(f"/r/{study.slug}/")
    return render(
        request,
        "owner/study.html",
        {
            "study": study,
            "counts": study_counts(study=study),
            "comparison_counts": comparison_counts(study=study),
            "leak_counts": leak_review_counts(study=study),
            "instructions_html": mark_safe(render_markdown(study.instructions)),  # noqa: S308 (sanitized by nh3)
            "rater_link": rater_link,
            "frozen": sorted(frozen_fields(study=study)),
        },
    )


@owner_required
@require_POST
def study_transition_page(request: HttpRequest, slug: str) -> HttpResponse:
    study = or_404(study_for_owner(user=request.user, slug=slug))
    action = request.POST.get("action", "")
    try:
        study = study_transition(study=study, action=action)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Study is now %(status)s.") % {"status": study.get_status_display()})
    return redirect("owner-study", slug=study.slug)
