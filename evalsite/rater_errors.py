"""Friendly "not found" and "something went wrong" pages for raters, with DEBUG on or off.

Raters follow links from crowd platforms: a mistyped, draft or unknown study link must never show Django's
yellow debug page with the URL list (`make run` has DEBUG=1, and that is where people first try it), and a
server error must never show a traceback. Under the rater prefix (/r/, images excepted) this middleware
turns any HTML 404 — the resolver's, a view's Http404 — and any unhandled view exception into
rater/message.html, translated, with the study name unknown (a draft and an unknown slug look the same).
The JSON endpoints under /r/ keep their own error shape (DRF's handler); an exception escaping one is
answered in that shape. Exceptions are still logged on `django.request` with their traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

RATER_PREFIX = "/r/"
IMAGE_PREFIX = "/r/img/"
logger = logging.getLogger("django.request")


def _is_rater_page(request: HttpRequest) -> bool:
    return request.path.startswith(RATER_PREFIX) and not request.path.startswith(IMAGE_PREFIX)


def _wants_json(request: HttpRequest) -> bool:
    return "/a/" in request.path or request.content_type == "application/json"


def _page(request: HttpRequest, title: str, text: str, status: int) -> HttpResponse:
    # study None: the page must not say whether a study behind the link exists
    return render(request, "rater/message.html", {"study": None, "title": title, "text": text}, status=status)


def rater_not_found(request: HttpRequest) -> HttpResponse:
    """The page for an unknown, draft or mistyped study link (status 404)."""
    text = _(
        "The study may not have started yet, or the link may be incomplete. Please use the link "
        "exactly as you received it, or contact the people who invited you."
    )
    return _page(request, _("This link does not lead to an open study"), text, 404)


def rater_server_error(request: HttpRequest) -> HttpResponse:
    """The page for a server error on a rater page (status 500); nothing about the error itself."""
    text = _(
        "Your answers so far are saved. Please reload the page in a moment; if it happens again, "
        "return to the study platform and contact the people who run the study."
    )
    return _page(request, _("Something went wrong"), text, 500)


class RaterErrorPagesMiddleware:
    """See the module docstring. Place it after LocaleMiddleware (the pages are translated)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code == 404
            and _is_rater_page(request)
            and not _wants_json(request)
            and response.get("Content-Type", "").startswith("text/html")
            and not getattr(response, "rater_page", False)
        ):
            response = rater_not_found(request)
            response.rater_page = True  # type: ignore[attr-defined]
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not _is_rater_page(request):
            return None
        if isinstance(exception, Http404):
            if _wants_json(request):
                return JsonResponse({"message": "Not found.", "code": "not_found", "extra": {}}, status=404)
            response = rater_not_found(request)
        else:
            logger.error("Server error on a rater page: %s", request.path, exc_info=exception)
            if _wants_json(request):
                body = {"message": "Server error. Please try again.", "code": "server_error", "extra": {}}
                return JsonResponse(body, status=500)
            response = rater_server_error(request)
        response.rater_page = True  # type: ignore[attr-defined]
        return response
