"""Owner API: create personal invitation links for an invite-only study."""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tasks import selectors
from tasks.services.rater_session import MAX_INVITES, rater_invites_create


class StudyInviteCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        count = serializers.IntegerField(min_value=1, max_value=MAX_INVITES)

    def post(self, request: Request, slug: str) -> Response:
        study = selectors.study_for_owner(user=request.user, slug=slug)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        raters = rater_invites_create(study=study, count=data.validated_data["count"])
        base = request.build_absolute_uri(reverse("rater-entry", args=[study.slug]))
        return Response(
            {"invites": [{"rater_id": r.pk, "link": f"{base}?{urlencode({'token': r.invite_token})}"} for r in raters]},
            status=201,
        )
