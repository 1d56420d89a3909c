"""The rater's judgment endpoint (JSON, CSRF-checked, session-bound rater). Answers in screen sides only."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from evalsite.api import ERRORS, RaterApiView, name_nested_serializers
from ratings.selectors.judgments import judgment_submitted_view
from ratings.services.judgments import judgment_submit
from tasks.selectors.rater import session_rater_or_error


class JudgmentSubmitApi(RaterApiView):
    class InputSerializer(serializers.Serializer):
        choices = serializers.DictField(child=serializers.CharField(max_length=20))
        likert = serializers.DictField(required=False, default=dict)
        rationale = serializers.CharField(
            required=False, allow_blank=True, default="", max_length=10000, trim_whitespace=False
        )

    @extend_schema(
        tags=["rater"],
        summary="Submit a judgment (idempotent)",
        description="Choices per criterion in screen sides (left, right, tie, both_bad). A retry of the same "
        "submission answers the same body and status.",
        request=InputSerializer,
        responses={200: dict, 400: ERRORS[400]},
    )
    def post(self, request: Request, slug: str, public_id: str) -> Response:
        rater = session_rater_or_error(session=request.session, slug=slug)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = judgment_submit(rater=rater, assignment_public_id=public_id, **data.validated_data)
        # Same body and status for the first submission and any retry (idempotent).
        body = judgment_submitted_view(assignment=result.assignment, judgment=result.judgment)
        return Response({**body, "next_url": reverse("rater-task", args=[slug])})


name_nested_serializers(globals().values())
