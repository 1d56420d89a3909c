"""Owner REST API for outputs: the list with identity-leak flags, and the keep/exclude review."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from evalsite.api import ERRORS, name_nested_serializers, or_404
from evalsite.errors import ApplicationError
from tasks.models import Output
from tasks.selectors.outputs import outputs_for_owner
from tasks.selectors.studies import study_for_owner
from tasks.services.outputs import outputs_review

TAGS = ["study design"]


class OutputListApi(APIView):
    class OutputSerializer(serializers.Serializer):
        public_id = serializers.CharField()
        prompt_id = serializers.CharField(source="prompt.external_id")
        system = serializers.CharField(source="system.name")
        leak_flags = inline_serializer(
            "LeakFlag", {"kind": serializers.CharField(), "match": serializers.CharField()}, many=True
        )
        text = serializers.CharField()
        image_url = serializers.SerializerMethodField()
        leak_review = serializers.CharField()

        def get_image_url(self, output: Output) -> str | None:
            return reverse("blind-image", kwargs={"public_id": output.public_id}) if output.image else None

    @extend_schema(
        tags=TAGS,
        summary="List outputs with identity-leak flags",
        parameters=[
            OpenApiParameter("leak_review", enum=Output.LeakReview.values, required=False),
            OpenApiParameter("system", str, required=False, description="A system name."),
        ],
        responses={200: OutputSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request, slug: str) -> Response:
        study = or_404(study_for_owner(user=request.user, slug=slug))
        review = request.query_params.get("leak_review") or None
        if review is not None and review not in Output.LeakReview.values:
            raise ApplicationError("Unknown leak_review.", extra={"allowed": Output.LeakReview.values})
        qs = outputs_for_owner(study=study, leak_review=review, system=request.query_params.get("system") or None)
        paginator = LimitOffsetPagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(self.OutputSerializer(page, many=True).data)


class OutputReviewApi(APIView):
    class InputSerializer(serializers.Serializer):
        outputs = serializers.ListField(child=serializers.CharField(), required=False, help_text="Output public ids.")
        all_flagged = serializers.BooleanField(required=False, default=False, help_text="Every output still flagged.")
        decision = serializers.ChoiceField(choices=["keep", "exclude"])

    class OutputSerializer(serializers.Serializer):
        outputs = serializers.IntegerField(help_text="Outputs updated.")
        comparisons_changed = serializers.IntegerField(help_text="Comparisons deactivated or reactivated.")

    @extend_schema(
        tags=TAGS,
        summary="Keep or exclude outputs",
        description="Excluded outputs never reach raters: their comparisons become inactive (and are not paired "
        "at launch). Keep re-activates them unless the other output is excluded.",
        request=InputSerializer,
        responses={200: OutputSerializer, **ERRORS},
    )
    def post(self, request: Request, slug: str) -> Response:
        study = or_404(study_for_owner(user=request.user, slug=slug))
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        result = outputs_review(
            study=study,
            public_ids=data.get("outputs"),
            decision=data["decision"],
            all_flagged=data["all_flagged"],
        )
        return Response(self.OutputSerializer(result).data)


name_nested_serializers(globals().values())
