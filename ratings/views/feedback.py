"""Owner page for online feedback from production: per-system satisfaction and A/B preferences next to the
blind leaderboard, and the study API keys that push it."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from evalsite.api import or_404
from evalsite.errors import ApplicationError
from evalsite.permissions import owner_required
from ratings.selectors.feedback import api_keys_for_study, feedback_summary
from ratings.services import feedback as feedback_services
from tasks.selectors.studies import study_for_owner


@owner_required
@require_http_methods(["GET", "POST"])
def owner_feedback(request: HttpRequest, slug: str) -> HttpResponse:
    study = or_404(study_for_owner(user=request.user, slug=slug))
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
    study = or_404(study_for_owner(user=request.user, slug=slug))
    try:
        feedback_services.api_key_revoke(study=study, key_id=key_id)
    except ApplicationError:
        raise Http404("No such key") from None
    messages.success(request, _("API key revoked."))
    return redirect("owner-feedback", slug=study.slug)
