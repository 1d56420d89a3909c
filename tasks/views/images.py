"""Blinded images by opaque id: `/r/img/<public_id>.png`.

The URL holds only the output's (or prompt's) random public id; the response has a fixed
`Content-Type: image/png`, `nosniff`, no file name, and private caching. Raters may fetch
images of live or paused studies (never of excluded outputs); the study's owners always may.
"""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from tasks.selectors.outputs import image_visible_to


@require_GET
def blind_image(request: HttpRequest, public_id: str) -> HttpResponse:
    item = image_visible_to(public_id=public_id, user=request.user)
    if item is None:
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
