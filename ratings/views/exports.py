"""Owner pages for exports: choose format and filters, start, follow progress, download."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from evalsite.api import or_404
from evalsite.errors import ApplicationError
from evalsite.permissions import owner_required
from ratings.selectors.exports import export_file, export_for_study, exports_for_study, exports_running
from ratings.services import exports as export_services
from tasks.selectors.studies import study_for_owner

FILTER_FIELDS = export_services.FILTER_NAMES
CHECKBOXES = set(export_services.BOOLEAN_FILTERS)


@owner_required
@require_http_methods(["GET", "POST"])
def owner_exports(request: HttpRequest, slug: str) -> HttpResponse:
    study = or_404(study_for_owner(user=request.user, slug=slug))
    error = ""
    if request.method == "POST":
        raw: dict[str, str | bool] = {}
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
    exports = exports_for_study(study=study, limit=50)
    running = exports_running(exports)
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
@require_GET
def owner_export_download(request: HttpRequest, slug: str, export_id: int) -> FileResponse:
    study = or_404(study_for_owner(user=request.user, slug=slug))
    export = or_404(export_for_study(study=study, export_id=export_id), "No such export")
    found = or_404(export_file(export=export), "Export file not ready")
    response = FileResponse(found.handle, as_attachment=True, filename=found.filename)
    response["Content-Type"] = found.content_type
    return response
