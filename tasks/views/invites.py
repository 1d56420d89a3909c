"""Owner page: personal invitation links for invite-only studies (list + create N)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from evalsite.api import or_404
from evalsite.errors import ApplicationError
from evalsite.permissions import owner_required
from tasks.selectors.invites import invited_raters
from tasks.selectors.studies import study_for_owner
from tasks.services.invites import MAX_INVITES, rater_invites_create


@owner_required
@require_http_methods(["GET", "POST"])
def owner_study_invites(request: HttpRequest, slug: str) -> HttpResponse:
    study = or_404(study_for_owner(user=request.user, slug=slug))
    if request.method == "POST":
        try:
            count = int(request.POST.get("count", ""))
            created = rater_invites_create(study=study, count=count)
        except ValueError:
            messages.error(request, _("Enter a number of invitations between 1 and %(max)s.") % {"max": MAX_INVITES})
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("%(n)s invitation links created.") % {"n": len(created)})
        return redirect("owner-study-invites", slug=slug)
    base = request.build_absolute_uri(reverse("rater-entry", args=[study.slug]))
    invites = [
        {
            "link": f"{base}?{urlencode({'token': r.invite_token})}",
            "started": r.consented_at,
            "completed": r.completed_at,
        }
        for r in invited_raters(study=study)
    ]
    return render(request, "owner/invites.html", {"study": study, "invites": invites, "max": MAX_INVITES})
