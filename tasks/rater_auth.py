"""DRF plumbing for the rater JSON endpoints.

DRF exempts views from Django's CSRF middleware and re-checks CSRF only for
*authenticated* users, which would leave anonymous crowd sessions unprotected.
`RaterCsrfAuthentication` checks CSRF on every request, signed in or not.
"""

from __future__ import annotations

from typing import Any

from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView


class RaterCsrfAuthentication(SessionAuthentication):
    def authenticate(self, request: Any) -> None:
        self.enforce_csrf(request)
        # the rater comes from the session binding, not from request.user


class RaterApiView(APIView):
    """Base for rater endpoints: session-bound rater, CSRF always enforced, no owner permission."""

    authentication_classes = [RaterCsrfAuthentication]
    permission_classes = [AllowAny]
