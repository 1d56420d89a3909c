"""Brute-force guards and rate limits: login lockout answers, API throttles, who may read the API docs.

- `client_ip`: the client address behind EVALSITE_TRUSTED_PROXIES proxies; lockouts and throttles key on it.
- `lockout_response`: django-axes calls it once a (username, client) pair is locked out: 429 with Retry-After,
  JSON on API paths (the house error shape), a short HTML page elsewhere.
- `LockoutBasicAuthentication`: DRF basic auth that answers 429 (not 401) while the pair is locked out.
- `RouteThrottle`: the one DRF throttle, set globally in settings; it picks the scope from the route: feedback
  (per API key), rater submit/skip/report (per rater session), owner API (per account), anonymous (per client).
- `RaterEntryRate`: the per-client limit on rater entry (a Django page, so the middleware applies it).
- `OwnerOnlyBrowsableNegotiation`, `ApiDocsPermission`: DRF's browsable HTML, the schema and Swagger UI only
  for owners, unless EVALSITE_PUBLIC_API_DOCS.
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

from axes.helpers import get_cool_off
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BasicAuthentication
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import BasePermission
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.throttling import SimpleRateThrottle

from evalsite.permissions import is_owner

FEEDBACK_PREFIX = "/api/feedback/"


def client_ip(request: Any) -> str:
    """The client's address: REMOTE_ADDR, or with N trusted proxies the N-th address from the right of
    X-Forwarded-For (what the outermost trusted proxy saw). Never a value a client can choose alone."""
    meta = getattr(request, "META", {})
    remote = meta.get("REMOTE_ADDR", "") or ""
    proxies = settings.EVALSITE_TRUSTED_PROXIES
    if proxies <= 0:
        return remote
    forwarded = [part.strip() for part in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < proxies:
        return remote
    return forwarded[-proxies]


def _retry_after(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))


def lockout_response(request: HttpRequest, original_response: Any = None, credentials: Any = None) -> HttpResponse:
    """The answer to a locked-out login attempt (django-axes AXES_LOCKOUT_CALLABLE): 429 + Retry-After."""
    cool_off = get_cool_off(request)
    seconds = cool_off.total_seconds() if cool_off else 3600.0
    message = "Too many failed logins for this account from here. Try again later."
    response: HttpResponse
    if request.path.startswith("/api/") or request.headers.get("Accept", "").startswith("application/json"):
        response = JsonResponse(
            {"message": message, "code": "login_locked_out", "extra": {"retry_after": int(seconds)}}, status=429
        )
    else:
        response = HttpResponse(
            render_to_string("registration/locked_out.html", {"minutes": math.ceil(seconds / 60)}, request=request),
            status=429,
        )
    response["Retry-After"] = _retry_after(seconds)
    return response


class LockoutBasicAuthentication(BasicAuthentication):
    """Basic auth counted by django-axes like every login; a locked-out pair gets 429 + Retry-After, even with
    the right password, until the cool-off ends."""

    def authenticate_credentials(self, userid: str, password: str, request: Any = None) -> Any:
        try:
            return super().authenticate_credentials(userid, password, request)
        except exceptions.AuthenticationFailed:
            if request is not None and getattr(request, "axes_locked_out", False):
                cool_off = get_cool_off(request)
                raise exceptions.Throttled(
                    wait=cool_off.total_seconds() if cool_off else None,
                    detail="Too many failed logins for this account from here. Try again later.",
                ) from None
            raise


def throttle_rate(scope: str) -> str | None:
    """The configured rate of a throttle scope (REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]), e.g. "60/min"."""
    rates: dict[str, str] = settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {})  # type: ignore[assignment]
    return rates.get(scope)


def _scope_for(request: Any, view: Any) -> str:
    path = request.path
    explicit = getattr(view, "throttle_scope", None)
    if explicit:
        return explicit
    if path.startswith(FEEDBACK_PREFIX):
        return "feedback"
    if path.startswith("/r/"):
        return "rater_submit"
    if is_owner(getattr(request, "user", None)):
        return "owner"
    return "anonymous"


class RouteThrottle(SimpleRateThrottle):
    """One throttle for every API view (DEFAULT_THROTTLE_CLASSES), its scope from the route.

    Keys: feedback by API key (its hash, never the key), rater endpoints by rater session, owner API by
    account, anything else by client address. A view may name its own `throttle_scope` (phase 2 can set
    `rater_entry` or a tighter one per view). Rates: DEFAULT_THROTTLE_RATES, from the environment.
    """

    def allow_request(self, request: Any, view: Any) -> bool:
        self.scope = _scope_for(request, view)
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_rate(self) -> str | None:
        return throttle_rate(self.scope)

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        if self.scope == "feedback":
            key_pk = getattr(getattr(request, "auth", None), "pk", None)  # the ApiKey the feedback API authenticated
            if key_pk is not None:
                ident = f"apikey:{key_pk}"
            else:
                sent = request.META.get("HTTP_AUTHORIZATION", "") or request.META.get("HTTP_X_API_KEY", "")
                ident = "key:" + hashlib.sha256(sent.encode()).hexdigest()[:32] if sent else "ip:" + client_ip(request)
        elif self.scope == "rater_submit":
            session_key = getattr(getattr(request, "session", None), "session_key", None)
            ident = f"session:{session_key}" if session_key else "ip:" + client_ip(request)
        elif self.scope == "owner":
            ident = f"user:{request.user.pk}"
        else:
            ident = "ip:" + client_ip(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


class RaterEntryRate(SimpleRateThrottle):
    """Rater entries per client address (each cookieless entry may create a Rater): scope `rater_entry`."""

    scope = "rater_entry"

    def get_rate(self) -> str | None:
        return throttle_rate(self.scope)

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": client_ip(request)}


class OwnerOnlyBrowsableNegotiation(DefaultContentNegotiation):
    """DRF's browsable HTML API only for owner accounts (or everyone with EVALSITE_PUBLIC_API_DOCS); others get JSON."""

    def select_renderer(self, request: Any, renderers: list[Any], format_suffix: str | None = None) -> Any:
        chosen = super().select_renderer(request, renderers, format_suffix)
        if not isinstance(chosen[0], BrowsableAPIRenderer) or settings.EVALSITE_PUBLIC_API_DOCS:
            return chosen
        if is_owner(getattr(request, "user", None)):  # authenticates only for a client that asked for HTML
            return chosen
        kept = [r for r in renderers if not isinstance(r, BrowsableAPIRenderer)]
        if not kept:
            return chosen
        try:
            return super().select_renderer(request, kept, format_suffix)
        except exceptions.NotAcceptable:
            return (kept[0], kept[0].media_type)


class ApiDocsPermission(BasePermission):
    """The OpenAPI schema and Swagger UI: owners only, unless EVALSITE_PUBLIC_API_DOCS (DEBUG turns it on)."""

    message = "The API documentation is for eval owners: log in first."

    def has_permission(self, request: Any, view: Any) -> bool:
        return bool(settings.EVALSITE_PUBLIC_API_DOCS) or is_owner(request.user)


class LockoutBasicScheme(OpenApiAuthenticationExtension):
    """The OpenAPI schema documents LockoutBasicAuthentication as the HTTP basic auth it is."""

    target_class = "evalsite.security.LockoutBasicAuthentication"
    name = "basicAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "basic"}


class RaterSessionScheme(OpenApiAuthenticationExtension):
    """Rater endpoints: the rater session cookie (RATER_SESSION_COOKIE_NAME) plus the CSRF header."""

    target_class = "evalsite.api.RaterCsrfAuthentication"
    name = "raterSession"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "apiKey", "in": "cookie", "name": settings.RATER_SESSION_COOKIE_NAME}
