"""Owner pages (templates). Logic lives in services/selectors; views parse, call, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from evalsite.errors import ApplicationError
from evalsite.permissions import owner_required
from tasks import design_selectors, selectors
from tasks.forms import GoldFileForm, GoldMarkForm, ImportForm, StudyForm
from tasks.lib.markdown import render_markdown
from tasks.models import ImportJob, Output, Study
from tasks.services.gold import gold_import, gold_mark, gold_unmark
from tasks.services.imports import import_outputs
from tasks.services.review import outputs_review
from tasks.services.studies import frozen_fields, study_create, study_transition, study_update


def _form_errors_from(form: StudyForm | GoldMarkForm, exc: ApplicationError) -> None:
    fields = exc.extra.get("fields") or {}
    if not fields:
        form.add_error(None, exc.message)
    for name, problems in fields.items():
        target = name if name in form.fields else None
        for problem in problems:
            form.add_error(target, problem if target else f"{name}: {problem}")


@owner_required
def owner_home(request: HttpRequest) -> HttpResponse:
    studies = selectors.studies_visible_to(user=request.user).select_related("owner")
    return render(request, "owner/home.html", {"studies": studies})


@owner_required
@require_http_methods(["GET", "POST"])
def study_create_page(request: HttpRequest) -> HttpResponse:
    initial = StudyForm.initial_for(Study())
    initial["modality"] = request.GET.get("modality", "text")
    form = StudyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        values = form.settings()
        try:
            study = study_create(owner=request.user, **values)
        except ApplicationError as exc:
            _form_errors_from(form, exc)
        else:
            messages.success(request, _("Study created. Next: import outputs."))
            return redirect("owner-study-import", slug=study.slug)
    return render(request, "owner/study_form.html", {"form": form, "study": None})


@owner_required
@require_http_methods(["GET", "POST"])
def study_edit_page(request: HttpRequest, slug: str) -> HttpResponse:
    study = selectors.study_for_owner(user=request.user, slug=slug)
    frozen = frozen_fields(study=study)
    form = StudyForm(request.POST or None, initial=StudyForm.initial_for(study), frozen=frozen)
    if request.method == "POST" and form.is_valid():
        values = {k: v for k, v in form.settings().items() if k not in frozen}
        try:
            study_update(study=study, **values)
        except ApplicationError as exc:
            _form_errors_from(form, exc)
        else:
            messages.success(request, _("Settings saved."))
            return redirect("owner-study", slug=study.slug)
    return render(request, "owner/study_form.html", {"form": form, "study": study, "frozen": sorted(frozen)})


@owner_required
def owner_study(request: HttpRequest, slug: str) -> HttpResponse:
    study = selectors.study_for_owner(user=request.user, slug=slug)
    rater_link = request.build_absolute_uri(f"/r/{study.slug}/")
    return render(
        request,
        "owner/study.html",
        {
            "study": study,
            "counts": selectors.study_counts(study=study),
            "comparison_counts": design_selectors.comparison_counts(study=study),
            "leak_counts": design_selectors.leak_review_counts(study=study),
            "instructions_html": mark_safe(render_markdown(study.instructions)),  # noqa: S308 (sanitized by nh3)
            "rater_link": rater_link,
            "frozen": sorted(frozen_fields(study=study)),
        },
    )


@owner_required
@require_POST
def study_transition_page(request: HttpRequest, slug: str) -> HttpResponse:
    study = selectors.study_for_owner(user=request.user, slug=slug)
    action = request.POST.get("action", "")
    try:
        study = study_transition(study=study, action=action)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Study is now %(status)s.") % {"status": study.get_status_display()})
    return redirect("owner-study", slug=study.slug)


@owner_required
@require_http_methods(["GET", "POST"])
def study_import_page(request: HttpRequest, slug: str) -> HttpResponse:
    study = selectors.study_for_owner(user=request.user, slug=slug)
    form = ImportForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {"study": study, "form": form}
    if request.method == "POST" and form.is_valid():
        try:
            result = import_outputs(
                study=study,
                data=form.cleaned_data["file"],
                images_zip=form.cleaned_data.get("images"),
                file_format=form.resolved_format(),
                created_by=request.user,
            )
        except ApplicationError as exc:
            context["error"] = exc
            context["import_errors"] = exc.extra.get("errors", [])
        else:
            if result.job is not None:
                messages.info(request, _("Large file: the import runs in the background."))
                return redirect("owner-study-import", slug=study.slug)
            context["summary"] = result.summary
    jobs = list(design_selectors.import_jobs(study=study)[:10])
    context["jobs"] = jobs
    context["refresh"] = any(job.status in (ImportJob.Status.PENDING, ImportJob.Status.RUNNING) for job in jobs)
    return render(request, "owner/import.html", context)


@owner_required
@require_http_methods(["GET", "POST"])
def study_outputs_page(request: HttpRequest, slug: str) -> HttpResponse:
    study = selectors.study_for_owner(user=request.user, slug=slug)
    review = request.GET.get("review", "flagged" if request.method == "GET" else "")
    if review not in Output.LeakReview.values:
        review = ""
    if request.method == "POST":
        try:
            result = outputs_review(
                study=study,
                public_ids=request.POST.getlist("output"),
                decision=request.POST.get("decision", ""),
                all_flagged=request.POST.get("all_flagged") == "1",
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("%(n)d output(s) updated; %(c)d comparison(s) changed.")
                % {"n": result["outputs"], "c": result["comparisons_changed"]},
            )
        return redirect(f"{request.path}?review={request.POST.get('review', '')}")
    page = Paginator(design_selectors.outputs_for_owner(study=study, leak_review=review or None), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "owner/outputs.html",
        {
            "study": study,
            "page": page,
            "review": review,
            "reviews": Output.LeakReview.choices,
            "leak_counts": design_selectors.leak_review_counts(study=study),
        },
    )


@owner_required
@require_http_methods(["GET", "POST"])
def study_gold_page(request: HttpRequest, slug: str) -> HttpResponse:
    study = selectors.study_for_owner(user=request.user, slug=slug)
    mark_form = GoldMarkForm(request.POST if request.POST.get("form") == "mark" else None)
    file_form = GoldFileForm(
        request.POST if request.POST.get("form") == "file" else None,
        request.FILES if request.POST.get("form") == "file" else None,
    )
    context: dict[str, Any] = {"study": study, "mark_form": mark_form, "file_form": file_form}
    if request.method == "POST":
        which = request.POST.get("form")
        try:
            if which == "mark" and mark_form.is_valid():
                data = mark_form.cleaned_data
                gold_mark(
                    study=study,
                    prompt_id=data["prompt_id"],
                    system_a=data["system_a"],
                    system_b=data["system_b"],
                    answer=mark_form.answer_dict(),
                    explanation=data["explanation"],
                )
                messages.success(request, _("Gold pair saved."))
                return redirect("owner-study-gold", slug=study.slug)
            if which == "file" and file_form.is_valid():
                upload = file_form.cleaned_data["file"]
                result = gold_import(
                    study=study,
                    data=upload.read(),
                    file_format="csv" if upload.name.lower().endswith(".csv") else "jsonl",
                )
                messages.success(request, _("%(n)d gold pair(s) saved.") % {"n": result["gold_marked"]})
                return redirect("owner-study-gold", slug=study.slug)
            if which == "unmark":
                gold_unmark(study=study, comparison_public_id=request.POST.get("comparison", ""))
                messages.success(request, _("Gold pair removed."))
                return redirect("owner-study-gold", slug=study.slug)
        except ApplicationError as exc:
            if which == "mark":
                _form_errors_from(mark_form, exc)
            else:
                context["error"] = exc
                context["import_errors"] = exc.extra.get("errors", [])
    context["gold"] = design_selectors.gold_comparisons(study=study)
    return render(request, "owner/gold.html", context)
