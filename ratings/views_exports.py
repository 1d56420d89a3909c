"""Owner pages: exports (choose format + filters, start, progress, download) and online feedback (+ API keys)."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from evalsite.errors import ApplicationError
from evalsite.permissions import owner_required
from ratings.apis_exports import export_file_response
from ratings.models import Export
from ratings.selectors_feedback import api_keys_for_study, feedback_summary
from ratings.services import exports as export_services
from ratings.services import feedback as feedback_services
from tasks.selectors import study_for_owner

FILTER_FIELDS = export_services.FILTER_NAMES
CHECKBOXES = set(export_services.BOOLEAN_FILTERS)


@owner_required
@require_http_methods(["GET", "POST"])
def owner_exports(request: HttpRequest, slug: str) -> HttpResponse:
    study = study_for_owner(user=request.user, slug=slug)
    error = ""
    if request.method == "POST":
        raw = {}
        for name in FILTER_FIELDS:
            if name in CHECKBOXES:
                raw[name] = name in request.POST
            elif request.POST.get(name, "").strip():
                raw[name] = request.POST[name].strip()
        fmt, _sep, file_type = request.POST.get("format", "").partition(".")
        try:
            export_services.export_create(study=study, user=request.user, format=fmt, file_type=file_type, filters=raw)
        except ApplicationError as err:
            error = err.message
        else:
            messages.success(request, _("Export started."))
            return redirect("owner-exports", slug=study.slug)
    exports = list(Export.objects.filter(study=study)[:50])
    running = any(e.status in (Export.Status.PENDING, Export.Status.RUNNING) for e in exports)
    choices = [
        (f"{fmt}.{ft}", f"{fmt}.{ft}") for fmt in export_services.FORMATS for ft in export_services.FILE_TYPES[fmt]
    ]
    return render(
        request,
        "owner/exports.html",
        {
            "study": study,
            "exports": exports,
            "running": running,
            "format_choices": choices,
            "criteria": study.criterion_keys,
            "error": error,
            "form": request.POST
            if request.method == "POST"
            else {"exclude_excluded": "on", "exclude_excluded_outputs": "on"},
        },
        status=400 if error else 200,
    )


@owner_required
def owner_export_download(request: HttpRequest, slug: str, export_id: int) -> FileResponse:
    study = study_for_owner(user=request.user, slug=slug)
    export = Export.objects.filter(study=study, pk=export_id).first()
    if export is None:
        raise Http404("No such export")
    return export_file_response(export)


@owner_required
@require_http_methods(["GET", "POST"])
def owner_feedback(request: HttpRequest, slug: str) -> HttpResponse:
    study = study_for_owner(user=request.user, slug=slug)
    new_key = None
    error = ""
    if request.method == "POST":
        try:
            new_key = feedback_services.api_key_create(
                study=study, name=request.POST.get("name", ""), user=request.user
            )
        except ApplicationError as err:
            error = err.message
    return render(
        request,
        "owner/feedback.html",
        {
            "study": study,
            "summary": feedback_summary(study=study),
            "api_keys": api_keys_for_study(study=study),
            "new_key": new_key,
            "error": error,
            "ingest_url": request.build_absolute_uri("/api/feedback/"),
        },
        status=400 if error else 200,
    )


@owner_required
@require_POST
def owner_api_key_revoke(request: HttpRequest, slug: str, key_id: int) -> HttpResponse:
    study = study_for_owner(user=request.user, slug=slug)
    try:
        feedback_services.api_key_revoke(study=study, key_id=key_id)
    except ApplicationError:
        raise Http404("No such key") from None
    messages.success(request, _("API key revoked."))
    return redirect("owner-feedback", slug=study.slug)
