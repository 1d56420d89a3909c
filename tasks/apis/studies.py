"""Owner REST API for studies: list, create, read, change settings, launch/pause/resume/close, comparison counts.

One APIView per operation, serializers nested inside. Every endpoint is owner-only (group `owners` or
staff); another owner's study is a 404. Errors always have the shape {"message", "code", "extra"}.
"""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from evalsite.api import ERRORS, name_nested_serializers, or_404
from tasks.lib.markdown import render_markdown
from tasks.models import Study
from tasks.selectors.studies import comparison_counts, studies_visible_to, study_for_owner
from tasks.services.studies import frozen_fields, study_create, study_transition, study_update

TAGS = ["study design"]


class CriterionSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="lowercase slug, e.g. overall, helpfulness")
    label = serializers.CharField(required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)


class StudyOutputSerializer(serializers.Serializer):
    slug = serializers.CharField()
    status = serializers.CharField()
    name = serializers.CharField()
    instructions = serializers.CharField()
    modality = serializers.CharField()
    criteria = CriterionSerializer(many=True)
    likert_scale = serializers.IntegerField()
    rationale = serializers.CharField()
    rationale_min_length = serializers.IntegerField()
    redundancy = serializers.IntegerField()
    pairing = serializers.CharField()
    pairs_per_prompt = serializers.IntegerField()
    gold_rate = serializers.FloatField()
    repeat_rate = serializers.FloatField()
    min_seconds = serializers.IntegerField()
    quota_per_rater = serializers.IntegerField(allow_null=True)
    lease_minutes = serializers.IntegerField()
    access = serializers.CharField()
    completion_code = serializers.CharField()
    completion_redirect_url = serializers.CharField()
    gold_feedback = serializers.BooleanField()
    instructions_html = serializers.SerializerMethodField(help_text="Instructions rendered as sanitized HTML.")
    frozen_fields = serializers.SerializerMethodField(help_text="Settings that can no longer change.")
    rater_link = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    launched_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)

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
    class OutputSerializer(serializers.Serializer):
        slug = serializers.CharField()
        name = serializers.CharField()
        modality = serializers.CharField()
        status = serializers.CharField()
        redundancy = serializers.IntegerField()
        created_at = serializers.DateTimeField()

    @extend_schema(
        tags=TAGS, summary="List your studies", responses={200: OutputSerializer(many=True), 403: ERRORS[403]}
    )
    def get(self, request: Request) -> Response:
        studies = studies_visible_to(user=request.user)
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
        study = or_404(study_for_owner(user=request.user, slug=slug))
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
        study = or_404(study_for_owner(user=request.user, slug=slug))
        serializer = StudySettingsInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        study = study_update(study=study, **_settings(serializer.validated_data))
        return _study_response(request, study)


class _TransitionApi(APIView):
    action = ""

    def post(self, request: Request, slug: str) -> Response:
        study = or_404(study_for_owner(user=request.user, slug=slug))
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


class ComparisonCountsApi(APIView):
    class OutputSerializer(serializers.Serializer):
        total = serializers.IntegerField()
        active = serializers.IntegerField()
        regular = serializers.IntegerField()
        gold = serializers.IntegerField()
        repeat = serializers.IntegerField()

    @extend_schema(tags=TAGS, summary="Comparison counts", responses={200: OutputSerializer, **ERRORS})
    def get(self, request: Request, slug: str) -> Response:
        study = or_404(study_for_owner(user=request.user, slug=slug))
        return Response(self.OutputSerializer(comparison_counts(study=study)).data)


name_nested_serializers(globals().values())
