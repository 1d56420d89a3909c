"""Owner leaderboard page: table with 95% intervals, dot-and-whisker chart, win-rate and battle-count heatmaps."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from evalsite.api import or_404
from evalsite.permissions import owner_required
from ratings.charts import leaderboard_charts
from ratings.models import METHOD_BT
from ratings.presentation import agreement_badge_for
from ratings.selectors.leaderboard import (
    leaderboard_choice,
    leaderboard_count_breakdown,
    leaderboard_elo_note,
    leaderboard_is_stale,
    leaderboard_options_of,
    leaderboard_snapshot,
    study_criteria,
)
from ratings.selectors.quality import study_agreement
from ratings.services.leaderboard import leaderboard_recompute_request
from tasks.selectors.studies import study_for_owner


@owner_required
def owner_leaderboard(request: HttpRequest, slug: str) -> HttpResponse:
    study = or_404(study_for_owner(user=request.user, slug=slug))
    criterion, tag, tags = leaderboard_choice(
        study=study, criterion=request.GET.get("criterion", ""), tag=request.GET.get("tag", "")
    )
    snap = leaderboard_snapshot(study=study, criterion=criterion, tag=tag, method=METHOD_BT)
    context: dict[str, Any] = {
        "study": study,
        "criteria": study_criteria(study=study),
        "criterion": criterion,
        "tags": tags,
        "tag": tag,
        "snapshot": snap,
        "agreement_badge": agreement_badge_for(study_agreement(study=study, criterion=criterion, tag=tag, n_boot=500)),
        # Newer judgments than the snapshot (recomputes are debounced): say so and offer "Recompute now".
        "stale": leaderboard_is_stale(study=study, snapshot=snap),
    }
    options = leaderboard_options_of(snap)
    if snap is not None:
        # what the judgment count leaves out, next to the study page's count of every judgment
        context["breakdown"] = leaderboard_count_breakdown(study=study, criterion=criterion, tag=tag, options=options)
        context["elo_note"] = leaderboard_elo_note(snapshot=snap, tag=tag, options=options)
        context["elo_max"] = options.elo_max_judgments
    if snap is not None and snap.result.get("systems"):
        result = snap.result
        context.update(
            rows=result["systems"],
            separation=result.get("separation", {}),
            fit=result.get("fit", {}),
            unrated=result.get("unrated", []),
            **leaderboard_charts(result),
        )
    return render(request, "owner/leaderboard.html", context)


@owner_required
@require_POST
def owner_leaderboard_recompute(request: HttpRequest, slug: str) -> HttpResponse:
    study = or_404(study_for_owner(user=request.user, slug=slug))
    leaderboard_recompute_request(study=study)
    messages.info(request, _("The leaderboard is being recomputed."))
    return redirect("owner-leaderboard", slug=study.slug)
