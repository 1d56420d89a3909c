"""Owner leaderboard page: table with 95% intervals, dot-and-whisker chart, win-rate and battle-count heatmaps."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from evalsite.permissions import owner_required
from ratings.jobs import leaderboard_recompute_job
from ratings.leaderboard_selectors import leaderboard_snapshot, leaderboards_for_study
from ratings.models import Judgment
from ratings.selectors_quality import agreement_badge_for_study
from ratings.services.leaderboard import METHOD_BT
from ratings.svg_charts import dot_whisker_svg, heatmap_svg
from tasks.selectors import study_for_owner

HEATMAP_MAX_SYSTEMS = 30


@owner_required
def owner_leaderboard(request: HttpRequest, slug: str) -> HttpResponse:
    study = study_for_owner(user=request.user, slug=slug)
    criteria = [c for c in (study.criteria or []) if isinstance(c, dict) and c.get("key")] or [
        {"key": "overall", "label": "Overall"}
    ]
    keys = [c["key"] for c in criteria]
    criterion = request.GET.get("criterion") or keys[0]
    if criterion not in keys:
        criterion = keys[0]
    tag = request.GET.get("tag", "")
    available = list(
        leaderboards_for_study(study=study)
        .filter(method=METHOD_BT, criterion=criterion)
        .exclude(tag="")
        .values_list("tag", flat=True)
    )
    if tag and tag not in available:
        tag = ""
    snap = leaderboard_snapshot(study=study, criterion=criterion, tag=tag, method=METHOD_BT)
    context = {
        "study": study,
        "criteria": criteria,
        "criterion": criterion,
        "tags": sorted(available),
        "tag": tag,
        "snapshot": snap,
        "agreement_badge": agreement_badge_for_study(study=study, criterion=criterion, tag=tag),
        # Newer judgments than the snapshot (recomputes are debounced): say so and offer "Recompute now".
        "stale": snap is not None and Judgment.objects.filter(study=study, created_at__gt=snap.computed_at).exists(),
    }
    if snap is not None and snap.result.get("systems"):
        result = snap.result
        rows = result["systems"]
        context["rows"] = rows
        context["separation"] = result.get("separation", {})
        context["fit"] = result.get("fit", {})
        context["unrated"] = result.get("unrated", [])
        context["dot_whisker"] = dot_whisker_svg(
            rows,
            title=_("Bradley-Terry scores with 95% bootstrap intervals"),
            description=_("One row per system, best first: the dot is the score, the whisker the 95% interval."),
        )
        order = result["order"][:HEATMAP_MAX_SYSTEMS]
        m = len(order)
        context["heatmap_truncated"] = len(result["order"]) > HEATMAP_MAX_SYSTEMS
        context["heatmap_max"] = HEATMAP_MAX_SYSTEMS
        cell = 34 if m <= 16 else 20
        context["win_rate_svg"] = heatmap_svg(
            order,
            [row[:m] for row in result["win_rate"][:m]],
            title=_("Win rate of the row system against the column system (ties excluded)"),
            description=_("Blue: the row system wins more often; red: it loses more often; grey: never compared."),
            kind="win_rate",
            cell=cell,
        )
        context["battles_svg"] = heatmap_svg(
            order,
            [[None if x == y else v for y, v in enumerate(row[:m])] for x, row in enumerate(result["battles"][:m])],
            title=_("Number of judgments for each pair of systems"),
            description=_("Darker cells: more judgments compared these two systems."),
            kind="count",
            cell=cell,
        )
    return render(request, "owner/leaderboard.html", context)


@owner_required
@require_POST
def owner_leaderboard_recompute(request: HttpRequest, slug: str) -> HttpResponse:
    study = study_for_owner(user=request.user, slug=slug)
    leaderboard_recompute_job.delay(study.id)
    messages.info(request, _("The leaderboard is being recomputed."))
    return redirect("owner-leaderboard", slug=study.slug)
