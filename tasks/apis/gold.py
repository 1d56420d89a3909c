"""Owner REST API for gold pairs: list, mark, unmark, upload a gold file."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from evalsite.api import ERRORS, name_nested_serializers, or_404
from tasks.selectors.gold import gold_comparisons
from tasks.selectors.studies import study_for_owner
from tasks.services.gold import gold_import, gold_mark, gold_unmark

TAGS = ["study design"]


class GoldSerializer(serializers.Serializer):
    public_id = serializers.CharField()
    prompt_id = serializers.CharField(source="prompt.external_id")
    system_a = serializers.CharField(source="output_a.system.name")
    system_b = serializers.CharField(source="output_b.system.name")
    answer = serializers.DictField(source="gold_answers", child=serializers.CharField())
    explanation = serializers.CharField(source="gold_explanation")
    active = serializers.BooleanField()


class GoldListApi(APIView):
    @extend_schema(
        tags=TAGS,
        summary="List gold pairs",
        description="`answer` is stated for canonical sides: a = system_a.",
        responses={200: GoldSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request, slug: str) -> Response:
        study = or_404(study_for_owner(user=request.user, slug=slug))
        return Response(GoldSerializer(gold_comparisons(study=study), many=True).data)


class GoldMarkApi(APIView):
    parser_classes = [JSONParser]

    class InputSerializer(serializers.Serializer):
        prompt_id = serializers.CharField()
        system_a = serializers.CharField()
        system_b = serializers.CharField()
        answer = serializers.JSONField(help_text='{"overall": "a"} (a = system_a better), or just "a" for overall.')
        explanation = serializers.CharField(required=False, allow_blank=True, default="")

    @extend_schema(
        tags=TAGS,
        summary="Mark a pair gold",
        description="Creates (or updates) the gold comparison of system_a's and system_b's outputs for the prompt. "
        "Allowed in draft, live and paused studies.",
        request=InputSerializer,
        responses={201: GoldSerializer, **ERRORS},
        examples=[
            OpenApiExample(
                "Gold",
                value={
                    "prompt_id": "p1",
                    "system_a": "model-x",
                    "system_b": "model-y",
                    "answer": {"overall": "a"},
                    "explanation": "B invents a citation.",
                },
                request_only=True,
            )
        ],
    )
    def post(self, request: Request, slug: str) -> Response:
        study = or_404(study_for_owner(user=request.user, slug=slug))
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        comparison = gold_mark(study=study, **serializer.validated_data)
        comparison = gold_comparisons(study=study).get(pk=comparison.pk)
        return Response(GoldSerializer(comparison).data, status=status.HTTP_201_CREATED)


class GoldUnmarkApi(APIView):
    class InputSerializer(serializers.Serializer):
        comparison = serializers.CharField(help_text="public_id of the gold comparison")

    @extend_schema(
        tags=TAGS,
        summary="Remove a gold pair",
        description="Deleted if no rater was ever assigned it; otherwise deactivated.",
        request=InputSerializer,
        responses={204: None, **ERRORS},
    )
    def post(self, request: Request, slug: str) -> Response:
        study = or_404(study_for_owner(user=request.user, slug=slug))
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        gold_unmark(study=study, comparison_public_id=serializer.validated_data["comparison"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class GoldImportApi(APIView):
    parser_classes = [MultiPartParser, FormParser]

    class InputSerializer(serializers.Serializer):
        file = serializers.FileField(help_text="JSONL or CSV rows: prompt_id, system_a, system_b, answer, explanation.")

    @extend_schema(
        tags=TAGS,
        summary="Upload a gold file",
        description="All rows are checked first; any error answers 400 `import_invalid` with line errors and "
        "nothing is written.",
        request={"multipart/form-data": InputSerializer},
        responses={201: inline_serializer("GoldImportResult", {"gold_marked": serializers.IntegerField()}), **ERRORS},
    )
    def post(self, request: Request, slug: str) -> Response:
        study = or_404(study_for_owner(user=request.user, slug=slug))
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        result = gold_import(
            study=study, data=upload.read(), file_format="csv" if upload.name.lower().endswith(".csv") else "jsonl"
        )
        return Response(result, status=status.HTTP_201_CREATED)


name_nested_serializers(globals().values())
