"""Blinded images by opaque id: `/r/img/<public_id>.png`.

The URL holds only the output's (or prompt's) random public id; the response has a fixed
`Content-Type: image/png`, `nosniff`, no file name, and private caching. Raters may fetch
images of live or paused studies (never of excluded outputs); the study's owners always may.
"""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from tasks import selectors
from tasks.models import Output, Prompt, Study


def _owner_may_see(request: HttpRequest, study: Study) -> bool:
    return selectors.studies_visible_to(user=request.user).filter(pk=study.pk).exists()


@require_GET
def blind_image(request: HttpRequest, public_id: str) -> HttpResponse:
    item: Output | Prompt | None = (
        Output.objects.select_related("study").filter(public_id=public_id).exclude(image="").first()
    )
    excluded = bool(item and item.leak_review == Output.LeakReview.EXCLUDED)
    if item is None:
        item = Prompt.objects.select_related("study").filter(public_id=public_id).exclude(image="").first()
    if item is None:
        raise Http404
    study = item.study
    rater_visible = study.status in (Study.Status.LIVE, Study.Status.PAUSED) and not excluded
    if not rater_visible and not _owner_may_see(request, study):
        raise Http404
    try:
        with default_storage.open(item.image.name, "rb") as handle:
            body = handle.read()
    except (FileNotFoundError, OSError) as exc:
        raise Http404 from exc
    response = HttpResponse(body, content_type="image/png")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
