"""Feedback ingestion (authenticated by a per-study API key) and owner API-key management."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import extend_schema, extend_schema_serializer, inline_serializer
from rest_framework import serializers, status
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed, ParseError
from rest_framework.parsers import BaseParser
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from evalsite.api import or_404
from evalsite.errors import ApplicationError
from ratings.models import ApiKey
from ratings.selectors.feedback import api_keys_for_study
from ratings.services import feedback as feedback_services
from tasks.selectors.studies import study_for_owner


class ApiKeyAuthentication(BaseAuthentication):
    """`Authorization: Bearer evk_...` (or `X-Api-Key: evk_...`). request.auth becomes the ApiKey."""

    def authenticate(self, request: Request) -> tuple[Any, ApiKey] | None:
        header = get_authorization_header(request).decode("latin-1").strip()
        plaintext = ""
        if header:
            scheme, _, value = header.partition(" ")
            if scheme.lower() != "bearer":
                return None
            plaintext = value.strip()
        else:
            plaintext = request.META.get("HTTP_X_API_KEY", "").strip()
        if not plaintext:
            return None
        try:
            key = feedback_services.api_key_authenticate(plaintext=plaintext)
        except ApplicationError as err:
            raise AuthenticationFailed(err.message, code=err.code) from None
        return (AnonymousUser(), key)

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="evalsite feedback"'


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    """Tells drf-spectacular how the feedback endpoint authenticates (a bearer API key)."""

    target_class = "ratings.apis.feedback.ApiKeyAuthentication"
    name = "studyApiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "description": "A study API key: evk_<prefix>_<secret>"}


class FeedbackJSONParser(BaseParser):
    """JSON with its own body limit (EVALSITE_FEEDBACK_MAX_BODY_BYTES): 5000 events with comments outgrow
    Django's 2.5 MB DATA_UPLOAD_MAX_MEMORY_SIZE, which DRF's JSONParser enforces through request.body."""

    media_type = "application/json"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        limit = settings.EVALSITE_FEEDBACK_MAX_BODY_BYTES
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise ApplicationError(
                f"The request body is larger than {limit} bytes. Send smaller batches.",
                code="body_too_large",
                extra={"limit_bytes": limit},
                status_code=413,
            )
        try:
            return json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as err:
            raise ParseError(f"JSON parse error - {err}") from None


class HasApiKey(BasePermission):
    message = "Send a study API key: Authorization: Bearer <key>."

    def has_permission(self, request: Any, view: Any) -> bool:
        return isinstance(request.auth, ApiKey)


class FeedbackIngestApi(APIView):
    """POST a batch of feedback events: {"events": [...]} (or a bare list). See docs/feedback.md."""

    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [HasApiKey]
    parser_classes = [FeedbackJSONParser]

    class OutputSerializer(serializers.Serializer):
        received = serializers.IntegerField()
        accepted = serializers.IntegerField()
        duplicates = serializers.IntegerField()
        rejected = serializers.IntegerField()
        errors = serializers.ListField(child=serializers.DictField())
        duplicate_event_ids = serializers.ListField(child=serializers.CharField())

    @extend_schema(
        operation_id="feedback_ingest",
        request=inline_serializer(
            "FeedbackBatch", {"events": serializers.ListField(child=serializers.DictField(), max_length=5000)}
        ),
        responses=OutputSerializer,
        description="Batch of feedback events, authenticated by a study API key (docs/feedback.md).",
    )
    def post(self, request: Request) -> Response:
        payload = request.data
        events = payload.get("events") if isinstance(payload, dict) else payload
        result = feedback_services.feedback_ingest(api_key=request.auth, events=events)
        return Response(self.OutputSerializer(result).data, status=status.HTTP_200_OK)


class ApiKeyOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    prefix = serializers.CharField()
    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)


class ApiKeyListCreateApi(APIView):
    @extend_schema_serializer(component_name="ApiKeyCreateInput")
    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=100)

    @extend_schema(operation_id="api_key_list", responses=ApiKeyOutputSerializer(many=True))
    def get(self, request: Request, slug: str) -> Response:
        study = or_404(study_for_owner(user=request.user, slug=slug))
        return Response(ApiKeyOutputSerializer(api_keys_for_study(study=study), many=True).data)

    @extend_schema(operation_id="api_key_create", request=InputSerializer, responses={201: ApiKeyOutputSerializer})
    def post(self, request: Request, slug: str) -> Response:
        study = or_404(study_for_owner(user=request.user, slug=slug))
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        created = feedback_services.api_key_create(study=study, name=data.validated_data["name"], user=request.user)
        body = dict(ApiKeyOutputSerializer(created.api_key).data)
        body["key"] = created.plaintext  # shown once; only its hash is stored
        return Response(body, status=status.HTTP_201_CREATED)


class ApiKeyRevokeApi(APIView):
    @extend_schema(operation_id="api_key_revoke", request=None, responses=ApiKeyOutputSerializer)
    def post(self, request: Request, slug: str, key_id: int) -> Response:
        study = or_404(study_for_owner(user=request.user, slug=slug))
        key = feedback_services.api_key_revoke(study=study, key_id=key_id)
        return Response(ApiKeyOutputSerializer(key).data)
