"""Owner REST API for studies. One APIView per operation, serializers nested inside."""

from __future__ import annotations

from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tasks import selectors
from tasks.models import Study


class StudyListApi(APIView):
    class OutputSerializer(serializers.ModelSerializer):
        class Meta:
            model = Study
            fields = ["slug", "name", "modality", "status", "redundancy", "created_at"]

    def get(self, request: Request) -> Response:
        studies = selectors.studies_visible_to(user=request.user)
        return Response(self.OutputSerializer(studies, many=True).data)


class StudyDetailApi(APIView):
    class OutputSerializer(serializers.ModelSerializer):
        class Meta:
            model = Study
            fields = ["slug", "name", "instructions", "modality", "status", "criteria", "redundancy", "created_at"]

    def get(self, request: Request, slug: str) -> Response:
        study = selectors.study_for_owner(user=request.user, slug=slug)
        return Response(self.OutputSerializer(study).data)
