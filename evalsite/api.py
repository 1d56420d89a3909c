"""Shared plumbing of every app's REST API: the error shape in the OpenAPI schema, 404 from a selector's None,
unique schema names for the Input/Output serializers nested in each APIView, and the base of the rater
JSON endpoints.

DRF exempts views from Django's CSRF middleware and re-checks CSRF only for *authenticated* users, which
would leave anonymous crowd sessions unprotected: `RaterApiView` checks CSRF on every request, signed in
or not.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema_serializer
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

T = TypeVar("T")


class ErrorSerializer(serializers.Serializer):
    message = serializers.CharField()
    code = serializers.CharField()
    extra = serializers.DictField(help_text="Details: `fields` (setting -> messages) or `errors` (import lines).")


ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Invalid input or business rule (see `code`)."),
    403: OpenApiResponse(ErrorSerializer, description="Not an owner account."),
    404: OpenApiResponse(ErrorSerializer, description="No such study (or not yours)."),
}


def or_404(value: T | None, message: str = "Not found.") -> T:
    """The selector's result, or a 404 when it found nothing (selectors return None; views decide the status)."""
    if value is None:
        raise Http404(message)
    return value


def name_nested_serializers(namespace: Iterable[Any]) -> None:
    """Give each APIView's nested Input/OutputSerializer a unique OpenAPI component name (e.g. GoldMarkInput)."""
    for view in list(namespace):
        if not (isinstance(view, type) and issubclass(view, APIView)):
            continue
        for attr in ("InputSerializer", "OutputSerializer"):
            serializer = view.__dict__.get(attr)
            if serializer is not None:
                name = view.__name__.removesuffix("Api") + attr.removesuffix("Serializer")
                extend_schema_serializer(component_name=name)(serializer)


class RaterCsrfAuthentication(SessionAuthentication):
    def authenticate(self, request: Any) -> None:
        self.enforce_csrf(request)
        # the rater comes from the session binding, not from request.user


class RaterApiView(APIView):
    """Base for rater endpoints: session-bound rater, CSRF always enforced, no owner permission."""

    authentication_classes = [RaterCsrfAuthentication]
    permission_classes = [AllowAny]
