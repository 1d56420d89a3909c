"""Owner page for gold pairs: mark one, upload a gold file, remove one."""

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
from tasks.forms import GoldFileForm, GoldMarkForm, form_errors_from, import_format_for
from tasks.selectors.gold import gold_comparisons
from tasks.selectors.studies import study_for_owner
from tasks.services.gold import gold_import, gold_mark, gold_unmark


@owner_required
@require_http_methods(["GET", "POST"])
def study_gold_page(request: HttpRequest, slug: str) -> HttpResponse:
    study = or_404(study_for_owner(user=request.user, slug=slug))
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
                    file_format=import_format_for(upload.name),
                )
                messages.success(request, _("%(n)d gold pair(s) saved.") % {"n": result["gold_marked"]})
                return redirect("owner-study-gold", slug=study.slug)
            if which == "unmark":
                gold_unmark(study=study, comparison_public_id=request.POST.get("comparison", ""))
                messages.success(request, _("Gold pair removed."))
                return redirect("owner-study-gold", slug=study.slug)
        except ApplicationError as exc:
            if which == "mark":
                form_errors_from(mark_form, exc)
            else:
                context["error"] = exc
                context["import_errors"] = exc.extra.get("errors", [])
    context["gold"] = gold_comparisons(study=study)
    return render(request, "owner/gold.html", context)
