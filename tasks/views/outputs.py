"""Owner page for outputs: browse them, with identity-leak flags, and keep or exclude them."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from evalsite.api import or_404
from evalsite.errors import ApplicationError
from evalsite.permissions import owner_required
from tasks.selectors.outputs import LEAK_REVIEW_CHOICES, leak_review_counts, outputs_for_owner
from tasks.selectors.studies import study_for_owner
from tasks.services.outputs import outputs_review


@owner_required
@require_http_methods(["GET", "POST"])
def study_outputs_page(request: HttpRequest, slug: str) -> HttpResponse:
    study = or_404(study_for_owner(user=request.user, slug=slug))
    review = request.GET.get("review", "flagged" if request.method == "GET" else "")
    if review not in dict(LEAK_REVIEW_CHOICES):
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
    page = Paginator(outputs_for_owner(study=study, leak_review=review or None), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "owner/outputs.html",
        {
            "study": study,
            "page": page,
            "review": review,
            "reviews": LEAK_REVIEW_CHOICES,
            "leak_counts": leak_review_counts(study=study),
        },
    )
