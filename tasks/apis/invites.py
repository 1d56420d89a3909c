"""Owner REST API: create personal invitation links for an invite-only study."""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from evalsite.api import ERRORS, name_nested_serializers, or_404
from tasks.selectors.studies import study_for_owner
from tasks.services.invites import MAX_INVITES, rater_invites_create


class StudyInviteCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        count = serializers.IntegerField(min_value=1, max_value=MAX_INVITES)

    class OutputSerializer(serializers.Serializer):
        invites = inline_serializer(
            "Invite", {"rater_id": serializers.IntegerField(), "link": serializers.CharField()}, many=True
        )

    @extend_schema(
        tags=["study design"],
        summary="Create personal invitation links",
        description="For invite-only studies: `count` new raters, each with a secret personal link.",
        request=InputSerializer,
        responses={201: OutputSerializer, **ERRORS},
    )
    def post(self, request: Request, slug: str) -> Response:
        study = or_404(study_for_owner(user=request.user, slug=slug))
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        raters = rater_invites_create(study=study, count=data.validated_data["count"])
        base = request.build_absolute_uri(reverse("rater-entry", args=[study.slug]))
        invites = [{"rater_id": r.pk, "link": f"{base}?{urlencode({'token': r.invite_token})}"} for r in raters]
        return Response(self.OutputSerializer({"invites": invites}).data, status=status.HTTP_201_CREATED)


name_nested_serializers(globals().values())
