"""Owner REST API for importing outputs (JSONL/CSV + images zip) and following background imports."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from evalsite.api import ERRORS, name_nested_serializers, or_404
from tasks.models import ImportJob
from tasks.selectors.imports import import_job
from tasks.selectors.studies import study_for_owner
from tasks.services.imports import import_outputs

TAGS = ["study design"]


class ImportErrorItemSerializer(serializers.Serializer):
    line = serializers.IntegerField(allow_null=True, help_text="1-based line in the file (CSV header = line 1).")
    field = serializers.CharField(allow_null=True)
    code = serializers.CharField()
    message = serializers.CharField()


class ImportJobSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    file_format = serializers.CharField()
    lines_total = serializers.IntegerField()
    lines_done = serializers.IntegerField()
    errors = ImportErrorItemSerializer(many=True)
    summary = serializers.DictField()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    status_url = serializers.SerializerMethodField()

    def get_status_url(self, job: ImportJob) -> str:
        return reverse("api-study-import-job", kwargs={"slug": job.study.slug, "job_id": job.pk})


class ImportSummarySerializer(serializers.Serializer):
    lines = serializers.IntegerField()
    systems_created = serializers.IntegerField()
    prompts_created = serializers.IntegerField()
    outputs_created = serializers.IntegerField()
    outputs_skipped = serializers.IntegerField(help_text="(prompt_id, system) already in the study: skipped.")
    images_stored = serializers.IntegerField()
    flagged = serializers.IntegerField(help_text="Outputs flagged for possible identity leaks.")
    gold_marked = serializers.IntegerField()


class StudyImportApi(APIView):
    parser_classes = [MultiPartParser, FormParser]

    class InputSerializer(serializers.Serializer):
        file = serializers.FileField(help_text="JSONL or CSV, one line per output (see docs/import-format.md).")
        images = serializers.FileField(required=False, help_text="Optional zip of the images the file references.")
        file_format = serializers.ChoiceField(
            choices=["jsonl", "csv"], required=False, help_text="Default: from the file name (.csv → csv, else jsonl)."
        )

    @extend_schema(
        tags=TAGS,
        summary="Import outputs (JSONL/CSV + optional images zip)",
        description="Validates the whole file first; any error answers 400 `import_invalid` with every error in "
        "`extra.errors` ({line, field, code, message}) and nothing is written. Small files answer 201 with the "
        "summary. Files with EVALSITE_IMPORT_ASYNC_LINES lines or more (default 100000) answer 202 with a job; "
        "poll its `status_url`. Only draft studies accept imports. Re-importing skips (prompt_id, system) pairs "
        "already present.",
        request={"multipart/form-data": InputSerializer},
        responses={
            201: ImportSummarySerializer,
            202: ImportJobSerializer,
            **ERRORS,
        },
    )
    def post(self, request: Request, slug: str) -> Response:
        study = or_404(study_for_owner(user=request.user, slug=slug))
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        file_format = serializer.validated_data.get("file_format") or (
            "csv" if upload.name.lower().endswith(".csv") else "jsonl"
        )
        result = import_outputs(
            study=study,
            data=upload,
            images_zip=serializer.validated_data.get("images"),
            file_format=file_format,
            created_by=request.user,
        )
        if result.job is not None:
            return Response(ImportJobSerializer(result.job).data, status=status.HTTP_202_ACCEPTED)
        return Response(ImportSummarySerializer(result.summary).data, status=status.HTTP_201_CREATED)


class StudyImportJobApi(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Background import status",
        description="status: pending → running → done | failed. lines_done counts validated lines.",
        responses={200: ImportJobSerializer, **ERRORS},
    )
    def get(self, request: Request, slug: str, job_id: int) -> Response:
        study = or_404(study_for_owner(user=request.user, slug=slug))
        job = or_404(import_job(study=study, job_id=job_id), "No such import job.")
        return Response(ImportJobSerializer(job).data)


name_nested_serializers(globals().values())
