"""Rater JSON endpoints owned by tasks: skip and report. (Submitting a judgment lives in ratings.)"""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from evalsite.api import ERRORS, RaterApiView, name_nested_serializers
from tasks.models import OutputReport
from tasks.selectors.rater import session_rater_or_error
from tasks.services.assignment import assignment_skip, output_report

TAGS = ["rater"]


class AssignmentSkipApi(RaterApiView):
    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(max_length=200, allow_blank=True, required=False, default="")

    class OutputSerializer(serializers.Serializer):
        assignment = serializers.CharField()
        status = serializers.CharField()
        next_url = serializers.CharField()

    @extend_schema(
        tags=TAGS,
        summary="Skip the current item",
        request=InputSerializer,
        responses={200: OutputSerializer, 400: ERRORS[400]},
    )
    def post(self, request: Request, slug: str, public_id: str) -> Response:
        rater = session_rater_or_error(session=request.session, slug=slug)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        assignment = assignment_skip(rater=rater, assignment_public_id=public_id, reason=data.validated_data["reason"])
        result = {
            "assignment": assignment.public_id,
            "status": assignment.status,
            "next_url": reverse("rater-task", args=[slug]),
        }
        return Response(self.OutputSerializer(result).data)


class OutputReportApi(RaterApiView):
    class InputSerializer(serializers.Serializer):
        target = serializers.ChoiceField(choices=["left", "right", "both"])
        reason = serializers.ChoiceField(choices=OutputReport.Reason.values)
        note = serializers.CharField(max_length=1000, allow_blank=True, required=False, default="")

    class OutputSerializer(serializers.Serializer):
        assignment = serializers.CharField()
        reported = serializers.IntegerField()

    @extend_schema(
        tags=TAGS,
        summary="Report an output (identity leak, broken, offensive…)",
        request=InputSerializer,
        responses={200: OutputSerializer, 400: ERRORS[400]},
    )
    def post(self, request: Request, slug: str, public_id: str) -> Response:
        rater = session_rater_or_error(session=request.session, slug=slug)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reports = output_report(rater=rater, assignment_public_id=public_id, **data.validated_data)
        return Response(self.OutputSerializer({"assignment": public_id, "reported": len(reports)}).data)


name_nested_serializers(globals().values())
