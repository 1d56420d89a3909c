"""Who counts as an eval owner.

Owners are Django accounts in the `owners` group (or staff). Raters are never
owners: crowd raters are anonymous sessions bound to a `tasks.Rater`, and a
rater who logs in with an account still is not in the group, so owner pages
and the owner API stay closed to them.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import user_passes_test
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


owner_required = user_passes_test(is_owner)


class IsOwnerAccount(BasePermission):
    """DRF default: only owner accounts reach the owner API."""

    message = "This endpoint is for eval owners."

    def has_permission(self, request: Any, view: Any) -> bool:
        return is_owner(request.user)
