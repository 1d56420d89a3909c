"""Owner REST API for study design. One APIView per operation, serializers nested inside.

Every endpoint is owner-only (group `owners` or staff); another owner's study is a 404.
Errors always have the shape {"message", "code", "extra"}; import errors list
{"line", "field", "code", "message"} in extra.errors.
"""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tasks import design_selectors, selectors
from tasks.lib.markdown import render_markdown
from tasks.models import Comparison, ImportJob, Output, Study
from tasks.services.gold import gold_import, gold_mark, gold_unmark
from tasks.services.imports import import_outputs
from tasks.services.review import outputs_review
from tasks.services.studies import EDITABLE_FIELDS, frozen_fields, study_create, study_transition, study_update

TAGS = ["study design"]


class ErrorSerializer(serializers.Serializer):
    message = serializers.CharField()
    code = serializers.CharField()
    extra = serializers.DictField(help_text="Details: `fields` (setting -> messages) or `errors` (import lines).")


class ImportErrorItemSerializer(serializers.Serializer):
    line = serializers.IntegerField(allow_null=True, help_text="1-based line in the file (CSV header = line 1).")
    field = serializers.CharField(allow_null=True)
    code = serializers.CharField()
    message = serializers.CharField()


ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Invalid input or business rule (see `code`)."),
    403: OpenApiResponse(ErrorSerializer, description="Not an owner account."),
    404: OpenApiResponse(ErrorSerializer, description="No such study (or not yours)."),
}


class CriterionSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="lowercase slug, e.g. overall, helpfulness")
    label = serializers.CharField(required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)


class StudyOutputSerializer(serializers.ModelSerializer):
    criteria = CriterionSerializer(many=True)
    instructions_html = serializers.SerializerMethodField(help_text="Instructions rendered as sanitized HTML.")
    frozen_fields = serializers.SerializerMethodField(help_text="Settings that can no longer change.")
    rater_link = serializers.SerializerMethodField()

    class Meta:
        model = Study
        fields = [
            "slug",
            "status",
            *EDITABLE_FIELDS,
            "instructions_html",
            "frozen_fields",
            "rater_link",
            "created_at",
            "launched_at",
            "closed_at",
        ]

    def get_instructions_html(self, study: Study) -> str:
        return render_markdown(study.instructions)

    def get_frozen_fields(self, study: Study) -> list[str]:
        return sorted(frozen_fields(study=study))

    def get_rater_link(self, study: Study) -> str:
        request = self.context.get("request")
        path = reverse("rater-entry", kwargs={"slug": study.slug})
        return request.build_absolute_uri(path) if request else path


class StudySettingsInputSerializer(serializers.Serializer):
    """Every setting is optional here; the service checks ranges and combinations."""

    name = serializers.CharField(required=False, max_length=200)
    instructions = serializers.CharField(required=False, allow_blank=True, help_text="Markdown.")
    modality = serializers.ChoiceField(choices=Study.Modality.choices, required=False)
    criteria = CriterionSerializer(many=True, required=False, help_text="Must include `overall`.")
    likert_scale = serializers.IntegerField(required=False, help_text="0 (off), 5 or 7.")
    rationale = serializers.ChoiceField(choices=Study.Rationale.choices, required=False)
    rationale_min_length = serializers.IntegerField(required=False)
    redundancy = serializers.IntegerField(required=False, help_text="Ratings per comparison (1–100).")
    pairing = serializers.ChoiceField(choices=Study.Pairing.choices, required=False)
    pairs_per_prompt = serializers.IntegerField(required=False, help_text="k for sampled pairing.")
    gold_rate = serializers.FloatField(required=False, help_text="0–0.5")
    repeat_rate = serializers.FloatField(required=False, help_text="0–0.5")
    min_seconds = serializers.IntegerField(required=False)
    quota_per_rater = serializers.IntegerField(required=False, allow_null=True)
    lease_minutes = serializers.IntegerField(required=False)
    access = serializers.ChoiceField(choices=Study.Access.choices, required=False)
    completion_code = serializers.CharField(required=False, allow_blank=True)
    completion_redirect_url = serializers.CharField(required=False, allow_blank=True)
    gold_feedback = serializers.BooleanField(required=False)


def _study_response(request: Request, study: Study, code: int = status.HTTP_200_OK) -> Response:
    return Response(StudyOutputSerializer(study, context={"request": request}).data, status=code)


def _settings(data: dict) -> dict:
    values = dict(data)
    if "criteria" in values:
        values["criteria"] = [dict(c) for c in values["criteria"]]
    return values


class StudyListApi(APIView):
    class OutputSerializer(serializers.ModelSerializer):
        class Meta:
            model = Study
            fields = ["slug", "name", "modality", "status", "redundancy", "created_at"]

    @extend_schema(
        tags=TAGS, summary="List your studies", responses={200: OutputSerializer(many=True), 403: ERRORS[403]}
    )
    def get(self, request: Request) -> Response:
        studies = selectors.studies_visible_to(user=request.user)
        return Response(self.OutputSerializer(studies, many=True).data)


class StudyCreateApi(APIView):
    class InputSerializer(StudySettingsInputSerializer):
        name = serializers.CharField(max_length=200)

    @extend_schema(
        tags=TAGS,
        summary="Create a study (draft)",
        description="Creates a draft study. Omitted settings take their defaults (criteria: overall only, "
        "redundancy 3, all pairs). Invalid settings answer 400 with `extra.fields`.",
        request=InputSerializer,
        responses={201: StudyOutputSerializer, **ERRORS},
        examples=[
            OpenApiExample(
                "Text study",
                value={
                    "name": "Support answers, March",
                    "modality": "text",
                    "instructions": "Pick the **more helpful** answer.",
                    "criteria": [
                        {"key": "overall", "label": "Overall"},
                        {"key": "helpfulness", "label": "Helpfulness"},
                    ],
                    "redundancy": 3,
                    "gold_rate": 0.1,
                    "repeat_rate": 0.05,
                },
                request_only=True,
            )
        ],
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = _settings(serializer.validated_data)
        study = study_create(owner=request.user, **values)
        return _study_response(request, study, status.HTTP_201_CREATED)


class StudyDetailApi(APIView):
    @extend_schema(tags=TAGS, summary="Get a study", responses={200: StudyOutputSerializer, **ERRORS})
    def get(self, request: Request, slug: str) -> Response:
        study = selectors.study_for_owner(user=request.user, slug=slug)
        return _study_response(request, study)


class StudyUpdateApi(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Change study settings",
        description="Send only the settings to change. Once live, modality, criteria, likert_scale, pairing, "
        "pairs_per_prompt and repeat_rate are frozen (400 `invalid_settings` naming the field); modality is "
        "also frozen once outputs exist; a closed study only accepts a new name.",
        request=StudySettingsInputSerializer,
        responses={200: StudyOutputSerializer, **ERRORS},
    )
    def post(self, request: Request, slug: str) -> Response:
        study = selectors.study_for_owner(user=request.user, slug=slug)
        serializer = StudySettingsInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        study = study_update(study=study, **_settings(serializer.validated_data))
        return _study_response(request, study)


class _TransitionApi(APIView):
    action = ""

    def post(self, request: Request, slug: str) -> Response:
        study = selectors.study_for_owner(user=request.user, slug=slug)
        study = study_transition(study=study, action=self.action)
        return _study_response(request, study)


def _transition_schema(action: str, text: str) -> dict:
    return {
        "tags": TAGS,
        "summary": f"{action.capitalize()} the study",
        "description": text + " Repeating the call after it succeeded is a no-op (idempotent). "
        "A wrong starting status answers 400 `invalid_transition`.",
        "request": None,
        "responses": {200: StudyOutputSerializer, **ERRORS},
    }


class StudyLaunchApi(_TransitionApi):
    action = "launch"

    @extend_schema(
        **_transition_schema(
            "launch",
            "draft → live. Generates the comparisons: the pairing policy's regular pairs (sides balanced per "
            "system), repeats at repeat_rate; gold pairs were made from gold marks. Refused (`leaks_unreviewed`) "
            "while outputs are flagged for identity leaks, and (`nothing_to_pair`) with no prompt having two systems.",
        )
    )
    def post(self, request: Request, slug: str) -> Response:
        return super().post(request, slug)


class StudyPauseApi(_TransitionApi):
    action = "pause"

    @extend_schema(**_transition_schema("pause", "live → paused: raters get no new work."))
    def post(self, request: Request, slug: str) -> Response:
        return super().post(request, slug)


class StudyResumeApi(_TransitionApi):
    action = "resume"

    @extend_schema(**_transition_schema("resume", "paused → live."))
    def post(self, request: Request, slug: str) -> Response:
        return super().post(request, slug)


class StudyCloseApi(_TransitionApi):
    action = "close"

    @extend_schema(**_transition_schema("close", "live or paused → closed, for good."))
    def post(self, request: Request, slug: str) -> Response:
        return super().post(request, slug)


class ImportJobSerializer(serializers.ModelSerializer):
    errors = ImportErrorItemSerializer(many=True)
    status_url = serializers.SerializerMethodField()

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "status",
            "file_format",
            "lines_total",
            "lines_done",
            "errors",
            "summary",
            "created_at",
            "finished_at",
            "status_url",
        ]

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
        study = selectors.study_for_owner(user=request.user, slug=slug)
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
        study = selectors.study_for_owner(user=request.user, slug=slug)
        job = design_selectors.import_jobs(study=study).filter(pk=job_id).select_related("study").first()
        if job is None:
            return Response({"message": "No such import job.", "code": "not_found", "extra": {}}, status=404)
        return Response(ImportJobSerializer(job).data)


class OutputListApi(APIView):
    class OutputSerializer(serializers.ModelSerializer):
        prompt_id = serializers.CharField(source="prompt.external_id")
        system = serializers.CharField(source="system.name")
        leak_flags = inline_serializer(
            "LeakFlag", {"kind": serializers.CharField(), "match": serializers.CharField()}, many=True
        )
        image_url = serializers.SerializerMethodField()

        class Meta:
            model = Output
            fields = ["public_id", "prompt_id", "system", "text", "image_url", "leak_flags", "leak_review"]

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
        study = selectors.study_for_owner(user=request.user, slug=slug)
        review = request.query_params.get("leak_review") or None
        if review is not None and review not in Output.LeakReview.values:
            return Response(
                {"message": "Unknown leak_review.", "code": "invalid", "extra": {"allowed": Output.LeakReview.values}},
                status=400,
            )
        qs = design_selectors.outputs_for_owner(
            study=study, leak_review=review, system=request.query_params.get("system") or None
        )
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
        study = selectors.study_for_owner(user=request.user, slug=slug)
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


class GoldSerializer(serializers.ModelSerializer):
    prompt_id = serializers.CharField(source="prompt.external_id")
    system_a = serializers.CharField(source="output_a.system.name")
    system_b = serializers.CharField(source="output_b.system.name")
    answer = serializers.DictField(source="gold_answers", child=serializers.CharField())
    explanation = serializers.CharField(source="gold_explanation")

    class Meta:
        model = Comparison
        fields = ["public_id", "prompt_id", "system_a", "system_b", "answer", "explanation", "active"]


class GoldListApi(APIView):
    @extend_schema(
        tags=TAGS,
        summary="List gold pairs",
        description="`answer` is stated for canonical sides: a = system_a.",
        responses={200: GoldSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request, slug: str) -> Response:
        study = selectors.study_for_owner(user=request.user, slug=slug)
        return Response(GoldSerializer(design_selectors.gold_comparisons(study=study), many=True).data)


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
        study = selectors.study_for_owner(user=request.user, slug=slug)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        comparison = gold_mark(study=study, **serializer.validated_data)
        comparison = design_selectors.gold_comparisons(study=study).get(pk=comparison.pk)
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
        study = selectors.study_for_owner(user=request.user, slug=slug)
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
        study = selectors.study_for_owner(user=request.user, slug=slug)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        result = gold_import(
            study=study, data=upload.read(), file_format="csv" if upload.name.lower().endswith(".csv") else "jsonl"
        )
        return Response(result, status=status.HTTP_201_CREATED)


class ComparisonCountsApi(APIView):
    class OutputSerializer(serializers.Serializer):
        total = serializers.IntegerField()
        active = serializers.IntegerField()
        regular = serializers.IntegerField()
        gold = serializers.IntegerField()
        repeat = serializers.IntegerField()

    @extend_schema(tags=TAGS, summary="Comparison counts", responses={200: OutputSerializer, **ERRORS})
    def get(self, request: Request, slug: str) -> Response:
        study = selectors.study_for_owner(user=request.user, slug=slug)
        return Response(self.OutputSerializer(design_selectors.comparison_counts(study=study)).data)


def _name_nested_serializers() -> None:
    """Give each view's nested Input/OutputSerializer a unique OpenAPI component name (e.g. GoldMarkInput)."""
    for view in list(globals().values()):
        if not (isinstance(view, type) and issubclass(view, APIView)):
            continue
        for attr in ("InputSerializer", "OutputSerializer"):
            serializer = view.__dict__.get(attr)
            if serializer is not None:
                name = view.__name__.removesuffix("Api") + attr.removesuffix("Serializer")
                extend_schema_serializer(component_name=name)(serializer)


_name_nested_serializers()
