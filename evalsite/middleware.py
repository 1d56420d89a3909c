"""Security middleware: the rater session, framing by crowd platforms, Content-Security-Policy.

Rater pages (`/r/...`) live inside MTurk's HIT page, a cross-site iframe. A cookie reaches a
cross-site frame only with `SameSite=None; Secure`, and we do not want the owners' session (which
opens every study and the admin) to travel on cross-site requests. So there are two sessions:

- the **site session** (`SESSION_COOKIE_NAME`, Path=/, SameSite=Lax): owners, admin, API;
- the **rater session** (`RATER_SESSION_COOKIE_NAME`, Path=/r/, SameSite=None, Secure and
  Partitioned when cookies are secure, else Lax): the only session rater pages read or write.
  Partitioned (CHIPS) because browsers that block third-party cookies still keep a partitioned one:
  the cookie is stored for "evalsite inside mturk.com" and is never sent anywhere else. It holds the rater
  binding and (CSRF_USE_SESSIONS) the CSRF secret of the rater forms, so a rater can judge inside
  the MTurk frame and nothing an owner holds is ever sent cross-site.

A signed-in account opening a rater link at the top level (not framed: the Lax site cookie is sent)
is still recognised as that account: on rater paths `request.user` is read from the site session,
which is never written there.

Framing: rater pages may be framed by `EVALSITE_RATER_FRAME_ANCESTORS` (MTurk's worker and sandbox
hosts) through CSP `frame-ancestors`, and carry no X-Frame-Options; every other page keeps
`frame-ancestors 'none'` and `X-Frame-Options: DENY`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Container
from http.cookies import Morsel
from types import SimpleNamespace
from typing import Any, Literal

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.contrib import auth
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.exceptions import SessionInterrupted
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.template.loader import render_to_string
from django.utils.cache import patch_vary_headers
from django.utils.functional import SimpleLazyObject
from django.utils.http import http_date

from evalsite.security import RaterEntryRate

RATER_PATH_PREFIX = "/r/"
RATER_ENTRY_RE = re.compile(r"^/r/[-\w]+/$")


def is_rater_path(path: str) -> bool:
    """Rater pages and rater JSON endpoints: everything under /r/."""
    return path.startswith(RATER_PATH_PREFIX)


SameSite = Literal["Lax", "Strict", "None"]


class PartitionedMorsel(Morsel):  # type: ignore[type-arg]
    """A cookie with the `Partitioned` attribute (CHIPS), which Python's http.cookies (3.11) cannot write."""

    def OutputString(self, attrs: Container[str] | None = None) -> str:
        return super().OutputString(attrs) + "; Partitioned"


def partition_cross_site_cookies(response: HttpResponseBase) -> None:
    """Every cookie a rater page sets with SameSite=None becomes Partitioned (it lives inside the crowd frame)."""
    for name, morsel in list(response.cookies.items()):
        if morsel["samesite"] == "None" and not isinstance(morsel, PartitionedMorsel):
            partitioned = PartitionedMorsel()
            partitioned.update(morsel)
            partitioned.set(morsel.key, morsel.value, morsel.coded_value)
            dict.__setitem__(response.cookies, name, partitioned)


def rater_cookie_samesite() -> SameSite:
    """SameSite=None needs Secure (browsers drop it otherwise): None in production (HTTPS), Lax on plain HTTP."""
    return "None" if settings.SESSION_COOKIE_SECURE else "Lax"


class SplitSessionMiddleware(SessionMiddleware):
    """Django's SessionMiddleware with one more cookie: the rater session on /r/ (see the module docstring)."""

    def process_request(self, request: HttpRequest) -> None:
        if not is_rater_path(request.path_info):
            super().process_request(request)
            return
        request.session = self.SessionStore(request.COOKIES.get(settings.RATER_SESSION_COOKIE_NAME))
        site_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
        request.site_session = self.SessionStore(site_key) if site_key else None  # type: ignore[attr-defined]

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if not is_rater_path(request.path_info):
            return super().process_response(request, response)
        response = self._save(
            request,
            response,
            name=settings.RATER_SESSION_COOKIE_NAME,
            path=RATER_PATH_PREFIX,
            samesite=rater_cookie_samesite(),
        )
        partition_cross_site_cookies(response)  # also the language cookie of the rater language switch
        return response

    def _save(
        self, request: HttpRequest, response: HttpResponse, *, name: str, path: str, samesite: SameSite
    ) -> HttpResponse:
        """Django 5.2's SessionMiddleware.process_response, for a cookie with its own name, path and SameSite."""
        try:
            accessed = request.session.accessed
            modified = request.session.modified
            empty = request.session.is_empty()
        except AttributeError:
            return response
        if name in request.COOKIES and empty:
            response.delete_cookie(name, path=path, domain=settings.SESSION_COOKIE_DOMAIN, samesite=samesite)
            need_vary_cookie = True
        else:
            need_vary_cookie = accessed
            if (modified or settings.SESSION_SAVE_EVERY_REQUEST) and not empty:
                if request.session.get_expire_at_browser_close():
                    max_age, expires = None, None
                else:
                    max_age = request.session.get_expiry_age()
                    expires = http_date(time.time() + max_age)
                if response.status_code < 500:
                    try:
                        request.session.save()
                    except UpdateError as exc:
                        raise SessionInterrupted("The request's session was deleted before it completed.") from exc
                    response.set_cookie(
                        name,
                        request.session.session_key or "",
                        max_age=max_age,
                        expires=expires,
                        domain=settings.SESSION_COOKIE_DOMAIN,
                        path=path,
                        secure=bool(settings.SESSION_COOKIE_SECURE),
                        httponly=True,
                        samesite=samesite,
                    )
                    need_vary_cookie = True
        if need_vary_cookie:
            patch_vary_headers(response, ("Cookie",))
        return response


class SplitSessionAuthenticationMiddleware(AuthenticationMiddleware):
    """On rater paths the signed-in account comes from the site session, read only; elsewhere as Django does."""

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)
        if not is_rater_path(request.path_info):
            return
        site_session = getattr(request, "site_session", None)
        if site_session is None:
            request.user = SimpleLazyObject(AnonymousUser)  # type: ignore[assignment]
        else:
            # auth.get_user only touches `.session`; a view can never log in or out through this shim.
            shim: Any = SimpleNamespace(session=site_session)
            request.user = SimpleLazyObject(lambda: auth.get_user(shim))  # type: ignore[assignment]


class EvalsiteCSPMiddleware(CSPMiddleware):
    """django-csp's middleware; rater pages may be framed by the crowd platforms' hosts only."""

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if is_rater_path(request.path_info):
            ancestors = list(settings.EVALSITE_RATER_FRAME_ANCESTORS) or ["'none'"]
            # The MTurk completion form posts to MTurk's externalSubmit; nothing else may receive a rater form.
            actions = ["'self'", *settings.EVALSITE_RATER_FORM_ACTIONS]
            parts.replace = {**(parts.replace or {}), "frame-ancestors": ancestors, "form-action": actions}
            if ancestors != ["'none'"]:
                # X-Frame-Options cannot name an allowed host; CSP frame-ancestors (above) is what browsers apply.
                response.xframe_options_exempt = True  # type: ignore[attr-defined]
        return parts


class RaterEntryThrottleMiddleware:
    """Rater entry (`GET /r/<slug>/`) per client address: each cookieless entry can create a Rater, so a script
    is held to the `rater_entry` rate (429 + Retry-After); a browser that already has a rater session is not
    counted. Only the entry page: the task loop is limited per session by the API throttle."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if (
            request.method == "GET"
            and RATER_ENTRY_RE.match(request.path_info)
            and settings.RATER_SESSION_COOKIE_NAME not in request.COOKIES
        ):
            throttle = RaterEntryRate()
            if not throttle.allow_request(request, None):
                wait = throttle.wait() or 60
                response = HttpResponse(
                    render_to_string("rater/too_many.html", {"seconds": int(wait) + 1}, request=request),
                    status=429,
                )
                response["Retry-After"] = str(int(wait) + 1)
                return response
        return self.get_response(request)
