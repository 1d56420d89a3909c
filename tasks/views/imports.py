"""Owner page for importing outputs, with the background import jobs."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from evalsite.api import or_404
from evalsite.errors import ApplicationError
from evalsite.permissions import owner_required
from tasks.forms import ImportForm
from tasks.selectors.imports import import_jobs_recent
from tasks.selectors.studies import study_for_owner
from tasks.services.imports import import_outputs


@owner_required
@require_http_methods(["GET", "POST"])
def study_import_page(request: HttpRequest, slug: str) -> HttpResponse:
    study = or_404(study_for_owner(user=request.user, slug=slug))
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
    context["jobs"], context["refresh"] = import_jobs_recent(study=study)
    return render(request, "owner/import.html", context)
