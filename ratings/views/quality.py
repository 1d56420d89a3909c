"""Owner pages for agreement and rater quality. Logic lives in ratings.selectors.quality / ratings.services.quality."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from evalsite.api import or_404
from evalsite.errors import ApplicationError
from evalsite.permissions import owner_required
from ratings.charts import quality_chart
from ratings.presentation import agreement_badge_for
from ratings.selectors import quality as selectors
from ratings.services import quality as services
from tasks.selectors.studies import comparison_counts, study_for_owner

COLUMNS = [
    ("rater", gettext_lazy("Rater"), ""),
    ("status", gettext_lazy("Status"), ""),
    ("n_judgments", gettext_lazy("Judgments"), ""),
    (
        "gold_accuracy",
        gettext_lazy("Gold accuracy"),
        # xgettext:no-python-format
        gettext_lazy("Share of gold pairs answered as expected, with its 95% interval"),
    ),
    (
        "majority_agreement",
        gettext_lazy("Agrees with majority"),
        gettext_lazy("Share of pairs where the rater chose what most others chose"),
    ),
    (
        "self_consistency",
        gettext_lazy("Self-consistency"),
        gettext_lazy("Share of repeated pairs answered the same way twice"),
    ),
    (
        "left_share",
        gettext_lazy("Left share"),
        gettext_lazy("Share of decided answers that picked the left side (0.5 is unbiased)"),
    ),
    ("position_p", gettext_lazy("Position p"), gettext_lazy("p-value of a test for preferring one side")),
    ("median_seconds", gettext_lazy("Median s"), gettext_lazy("Median seconds per judgment")),
    ("fast_share", gettext_lazy("Too fast"), gettext_lazy("Share of judgments faster than the speed rule's threshold")),
    ("longest_run", gettext_lazy("Longest run"), gettext_lazy("Most identical answers in a row")),
    ("skip_rate", gettext_lazy("Skips"), gettext_lazy("Share of handed-out pairs the rater skipped")),
    (
        "report_rate",
        gettext_lazy("Reports"),
        gettext_lazy("Share of pairs the rater reported as broken, unsafe or revealing"),
    ),
    ("reliability_weight", gettext_lazy("DS weight"), gettext_lazy("Dawid-Skene reliability weight")),
]


@owner_required
@require_GET
def owner_quality(request: HttpRequest, slug: str) -> HttpResponse:
    study = or_404(study_for_owner(user=request.user, slug=slug))
    sort = request.GET.get("sort", "rater")
    rows = selectors.rater_quality_rows(study=study, sort=sort)
    # each criterion's row carries its check in words (the badge), as the headline does
    by_criterion = [
        {**row, "badge": agreement_badge_for(row)} for row in selectors.study_agreement_by_criterion(study=study)
    ]
    headline = by_criterion[0] if by_criterion else None
    columns = [
        {
            "key": key,
            "label": label,
            "help": help_text,
            "sort": f"-{key}" if sort == key else key,
            "active": sort.lstrip("-") == key,
        }
        for key, label, help_text in COLUMNS
    ]
    chart = quality_chart(rows=rows)
    if not comparison_counts(study=study)["gold"]:
        chart_state = "no_gold_pairs"
    elif not chart["points"]:
        chart_state = "no_points"
    else:
        chart_state = "ok"
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
            "chart": chart,
            "chart_state": chart_state,
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
