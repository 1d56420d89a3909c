"""Who counts as an eval owner.

Owners are Django accounts in the `owners` group (or staff). Raters are never
owners: crowd raters are anonymous sessions bound to a `tasks.Rater`, and a
rater who logs in with an account still is not in the group, so owner pages
and the owner API stay closed to them.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from rest_framework.permissions import BasePermission

OWNER_GROUP = "owners"


def is_owner(user: Any) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_staff:
        return True
    cached = getattr(user, "_evalsite_is_owner", None)
    if cached is None:
        cached = user.groups.filter(name=OWNER_GROUP).exists()
        user._evalsite_is_owner = cached
    return cached


def owner_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Owner pages: anonymous visitors go to the login page; logged-in non-owners (raters) get 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_owner(request.user):
            raise PermissionDenied("Owner pages are for eval owners.")
        return view(request, *args, **kwargs)

    return wrapper


class IsOwnerAccount(BasePermission):
    """DRF default: only owner accounts reach the owner API."""

    message = "This endpoint is for eval owners."

    def has_permission(self, request: Any, view: Any) -> bool:
        return is_owner(request.user)
