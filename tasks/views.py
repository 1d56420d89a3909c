"""Owner pages (templates). Logic lives in services/selectors."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from evalsite.permissions import owner_required
from tasks import selectors


@owner_required
def owner_home(request: HttpRequest) -> HttpResponse:
    studies = selectors.studies_visible_to(user=request.user).select_related("owner")
    return render(request, "owner/home.html", {"studies": studies})


@owner_required
def owner_study(request: HttpRequest, slug: str) -> HttpResponse:
    study = selectors.study_for_owner(user=request.user, slug=slug)
    rater_link = request.build_absolute_uri(f"/r/{study.slug}/")
    return render(
        request,
        "owner/study.html",
        {"study": study, "counts": selectors.study_counts(study=study), "rater_link": rater_link},
    )
