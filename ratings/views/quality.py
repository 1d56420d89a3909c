"""Owner pages for agreement and rater quality. Logic lives in ratings.selectors.quality / ratings.services.quality."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from evalsite.api import or_404
from evalsite.errors import ApplicationError
from evalsite.permissions import owner_required
from ratings.charts import quality_chart
from ratings.presentation import agreement_badge_for
from ratings.selectors import quality as selectors
from ratings.services import quality as services
from tasks.selectors.studies import study_for_owner

COLUMNS = [
    ("rater", "Rater"),
    ("status", "Status"),
    ("n_judgments", "Judgments"),
    ("gold_accuracy", "Gold accuracy"),
    ("majority_agreement", "Agrees with majority"),
    ("self_consistency", "Self-consistency"),
    ("left_share", "Left share"),
    ("position_p", "Position p"),
    ("median_seconds", "Median s"),
    ("fast_share", "Too fast"),
    ("longest_run", "Longest run"),
    ("skip_rate", "Skips"),
    ("report_rate", "Reports"),
    ("reliability_weight", "DS weight"),
]


@owner_required
@require_GET
def owner_quality(request: HttpRequest, slug: str) -> HttpResponse:
    study = or_404(study_for_owner(user=request.user, slug=slug))
    sort = request.GET.get("sort", "rater")
    rows = selectors.rater_quality_rows(study=study, sort=sort)
    by_criterion = selectors.study_agreement_by_criterion(study=study)
    headline = by_criterion[0] if by_criterion else None
    columns = [
        {"key": key, "label": _(label), "sort": f"-{key}" if sort == key else key, "active": sort.lstrip("-") == key}
        for key, label in COLUMNS
    ]
    return render(
        request,
        "owner/quality.html",
        {
            "study": study,
            "agreement": headline,
            "agreement_badge": agreement_badge_for(headline) if headline else None,
            "by_criterion": by_criterion,
            "rows": rows,
            "columns": columns,
            "sort": sort,
            "events": selectors.quality_events_for_study(study=study),
            "chart": quality_chart(rows=rows),
            "rules": services.study_quality_rules(study=study),
        },
    )


@owner_required
@require_POST
def owner_quality_action(request: HttpRequest, slug: str, rater_id: int) -> HttpResponse:
    study = or_404(study_for_owner(user=request.user, slug=slug))
    try:
        services.rater_quality_action(
            study=study,
            rater_id=rater_id,
            action=request.POST.get("action", ""),
            user=request.user,
            reason=request.POST.get("reason", ""),
        )
    except ApplicationError as exc:
        if exc.status_code == 404:
            raise Http404(exc.message) from exc
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Done."))
    return HttpResponseRedirect(reverse("owner-quality", kwargs={"slug": study.slug}))


@owner_required
@require_POST
def owner_quality_recompute(request: HttpRequest, slug: str) -> HttpResponse:
    study = or_404(study_for_owner(user=request.user, slug=slug))
    services.quality_recompute_request(study=study)
    messages.success(request, _("Rater quality is being recomputed."))
    return HttpResponseRedirect(reverse("owner-quality", kwargs={"slug": study.slug}))
