"""Owner API for exports: stream small ones directly, run big ones as jobs, download finished files."""

from __future__ import annotations

from django.http import FileResponse, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from evalsite.api import or_404
from evalsite.errors import ApplicationError
from ratings.models import Export
from ratings.selectors.exports import CONTENT_TYPES, export_file, export_for_study, exports_for_study
from ratings.services import exports as export_services
from tasks.selectors.studies import study_for_owner

NON_FILTER_PARAMS = {"format", "file_type"}


class ExportOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    format = serializers.CharField()
    file_type = serializers.CharField()
    filters = serializers.DictField()
    status = serializers.CharField()
    rows_total = serializers.IntegerField()
    rows_done = serializers.IntegerField()
    error = serializers.CharField()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    download_url = serializers.SerializerMethodField()

    def get_download_url(self, obj: Export) -> str | None:
        if obj.status != Export.Status.DONE:
            return None
        return f"/api/studies/{obj.study.slug}/exports/{obj.pk}/file/"


def export_file_response(export: Export) -> FileResponse:
    """Stream a finished export file (the caller has checked ownership); 404 while it is not ready."""
    found = or_404(export_file(export=export), "Export file not ready")
    response = FileResponse(found.handle, as_attachment=True, filename=found.filename)
    response["Content-Type"] = found.content_type
    return response


class FormatIsNotARenderer(DefaultContentNegotiation):
    """`?format=` names the export format here, not DRF's renderer override: always answer with JSON errors."""

    def select_renderer(self, request: Request, renderers: list, format_suffix: str | None = None) -> tuple:
        return (renderers[0], renderers[0].media_type)


class ExportStreamApi(APIView):
    """GET: stream a small export straight away (query: format, file_type, and any filter)."""

    content_negotiation_class = FormatIsNotARenderer

    @extend_schema(
        operation_id="export_stream",
        parameters=[
            OpenApiParameter("format", str, enum=list(export_services.FORMATS), required=True),
            OpenApiParameter("file_type", str, enum=["jsonl", "json", "csv"]),
            *[
                OpenApiParameter(name, bool if name in export_services.BOOLEAN_FILTERS else str)
                for name in export_services.FILTER_NAMES
            ],
        ],
        responses={200: OpenApiTypes.BINARY},
        description="Stream a small export (docs/formats.md); 413 export_too_large when a job is needed.",
    )
    def get(self, request: Request, slug: str) -> StreamingHttpResponse:
        study = or_404(study_for_owner(user=request.user, slug=slug))
        fmt = request.query_params.get("format", "")
        file_type = export_services.export_validate_format(
            format=fmt, file_type=request.query_params.get("file_type", "")
        )
        raw = {k: v for k, v in request.query_params.items() if k not in NON_FILTER_PARAMS}
        if "tags" in request.query_params:
            raw["tags"] = ",".join(request.query_params.getlist("tags"))
        filters = export_services.export_filters_parse(study=study, data=raw)
        if not export_services.export_should_stream(study=study, format=fmt, filters=filters):
            raise ApplicationError(
                "This export is too large to stream (or needs a zip with images): start a background export with "
                f"POST /api/studies/{study.slug}/exports/ and download it when done.",
                code="export_too_large",
                extra={"limit": export_services.stream_max_rows()},
                status_code=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            )
        body = export_services.export_bytes(study=study, format=fmt, file_type=file_type, filters=filters)
        response = StreamingHttpResponse(body, content_type=CONTENT_TYPES[file_type])
        filename = export_services.export_filename(study=study, format=fmt, file_type=file_type)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


class ExportListCreateApi(APIView):
    @extend_schema_serializer(component_name="ExportCreateInput")
    class InputSerializer(serializers.Serializer):
        format = serializers.ChoiceField(choices=export_services.FORMATS)
        file_type = serializers.CharField(required=False, allow_blank=True, default="")
        filters = serializers.DictField(required=False, default=dict)

    @extend_schema(operation_id="export_list", responses=ExportOutputSerializer(many=True))
    def get(self, request: Request, slug: str) -> Response:
        study = or_404(study_for_owner(user=request.user, slug=slug))
        exports = exports_for_study(study=study)
        return Response(ExportOutputSerializer(exports, many=True).data)

    @extend_schema(operation_id="export_create", request=InputSerializer, responses={201: ExportOutputSerializer})
    def post(self, request: Request, slug: str) -> Response:
        study = or_404(study_for_owner(user=request.user, slug=slug))
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        export = export_services.export_create(
            study=study,
            user=request.user,
            format=data.validated_data["format"],
            file_type=data.validated_data["file_type"],
            filters=data.validated_data["filters"],
        )
        export.refresh_from_db()
        return Response(ExportOutputSerializer(export).data, status=status.HTTP_201_CREATED)


class ExportDetailApi(APIView):
    @extend_schema(operation_id="export_detail", responses=ExportOutputSerializer)
    def get(self, request: Request, slug: str, export_id: int) -> Response:
        study = or_404(study_for_owner(user=request.user, slug=slug))
        export = or_404(export_for_study(study=study, export_id=export_id), "No such export")
        return Response(ExportOutputSerializer(export).data)


class ExportFileApi(APIView):
    @extend_schema(operation_id="export_file", responses={200: OpenApiTypes.BINARY})
    def get(self, request: Request, slug: str, export_id: int) -> FileResponse:
        study = or_404(study_for_owner(user=request.user, slug=slug))
        export = or_404(export_for_study(study=study, export_id=export_id), "No such export")
        return export_file_response(export)
