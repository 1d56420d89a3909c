"""Owner pages for outputs: browse them all (filters: leak review, system, search), open one in full as
raters see it, and keep or exclude them (identity-leak review)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from evalsite.api import or_404
from evalsite.errors import ApplicationError
from evalsite.permissions import owner_required
from tasks.selectors.outputs import (
    LEAK_REVIEW_CHOICES,
    leak_review_counts,
    output_for_owner,
    output_usage,
    outputs_for_owner,
    system_names,
)
from tasks.selectors.studies import study_for_owner
from tasks.services.outputs import outputs_review
from tasks.views.rendering import output_as_rater_sees, prompt_as_rater_sees

PAGE_SIZE = 50
SEARCH_MAX = 200


def _filters(data: dict, systems: list[str]) -> dict[str, str]:
    """The browser's filters from a query string (or a form's hidden fields); unknown values mean "all"."""
    review = data.get("review", "")
    system = data.get("system", "")
    return {
        "review": review if review in dict(LEAK_REVIEW_CHOICES) else "",
        "system": system if system in systems else "",
        "q": data.get("q", "").strip()[:SEARCH_MAX],
    }


def _query(filters: dict[str, str], **extra: str | int) -> str:
    """The query string of these filters (empty ones left out), e.g. for pagination links."""
    return urlencode({k: v for k, v in {**filters, **extra}.items() if v not in ("", None)})


@owner_required
@require_http_methods(["GET", "POST"])
def study_outputs_page(request: HttpRequest, slug: str) -> HttpResponse:
    study = or_404(study_for_owner(user=request.user, slug=slug))
    systems = system_names(study=study)
    if request.method == "POST":
        filters = _filters(request.POST, systems)
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
        back = request.POST.get("next", "")
        if back == "output" and len(request.POST.getlist("output")) == 1:
            return redirect("owner-study-output", slug=study.slug, public_id=request.POST["output"])
        query = _query(filters)
        return redirect(f"{request.path}?{query}" if query else request.path)
    filters = _filters(request.GET, systems)
    outputs = outputs_for_owner(
        study=study,
        leak_review=filters["review"] or None,
        system=filters["system"] or None,
        search=filters["q"] or None,
    )
    page = Paginator(outputs, PAGE_SIZE).get_page(request.GET.get("page"))
    leak_counts = leak_review_counts(study=study)
    return render(
        request,
        "owner/outputs.html",
        {
            "study": study,
            "page": page,
            "filters": filters,
            "filtered": any(filters.values()),
            "review": filters["review"],
            "reviews": [(value, label, leak_counts.get(value, 0)) for value, label in LEAK_REVIEW_CHOICES],
            "leak_counts": leak_counts,
            "total": sum(leak_counts.values()),
            "systems": systems,
            "query": _query(filters),
            "prev_query": _query(filters, page=page.previous_page_number()) if page.has_previous() else "",
            "next_query": _query(filters, page=page.next_page_number()) if page.has_next() else "",
        },
    )


@owner_required
@require_GET
def study_output_page(request: HttpRequest, slug: str, public_id: str) -> HttpResponse:
    """One output in full, as a rater sees it (rendered Markdown or the blinded image), with what only the
    owner sees: its system, leak flags, review state and how it is used."""
    study = or_404(study_for_owner(user=request.user, slug=slug))
    output = or_404(output_for_owner(study=study, public_id=public_id))
    return render(
        request,
        "owner/output.html",
        {
            "study": study,
            "output": output,
            "prompt": prompt_as_rater_sees(output.prompt),
            "side": output_as_rater_sees(output),
            "usage": output_usage(output=output),
            "back": reverse("owner-study-outputs", kwargs={"slug": study.slug}),
        },
    )
