"""Owner API for agreement and rater quality. One APIView per operation; JSON, or CSV with ?format=csv."""

from __future__ import annotations

from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from evalsite.api import name_nested_serializers, or_404
from ratings.apis.renderers import JSON_OR_CSV, csv_wanted
from ratings.presentation import agreement_badge_for
from ratings.selectors import quality as selectors
from ratings.services import quality as services
from tasks.selectors.studies import study_for_owner


def _with_badge(result: dict) -> dict:
    return {**result, "badge": agreement_badge_for(result)}


class AgreementApi(APIView):
    """Agreement of one study: per criterion (or one ?criterion=), optionally one ?tag=."""

    renderer_classes = JSON_OR_CSV

    class InputSerializer(serializers.Serializer):
        criterion = serializers.CharField(required=False, allow_blank=True, default="")
        tag = serializers.CharField(required=False, allow_blank=True, default="")
        include_excluded = serializers.BooleanField(required=False, default=False)
        fold_both_bad = serializers.BooleanField(required=False, default=False)
        n_boot = serializers.IntegerField(required=False, default=1000, min_value=0, max_value=10000)

    def get(self, request: Request, slug: str) -> Response:
        study = or_404(study_for_owner(user=request.user, slug=slug))
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        p = params.validated_data
        keys = study.criterion_keys
        if p["criterion"] and p["criterion"] not in keys:
            raise serializers.ValidationError({"criterion": [f"unknown criterion; this study has {', '.join(keys)}"]})
        results = [
            _with_badge(
                selectors.study_agreement(
                    study=study,
                    criterion=key,
                    tag=p["tag"],
                    include_excluded=p["include_excluded"],
                    fold_both_bad=p["fold_both_bad"],
                    n_boot=p["n_boot"] or 1,
                )
            )
            for key in ([p["criterion"]] if p["criterion"] else keys)
        ]
        if csv_wanted(request):
            return Response(
                [
                    {
                        "criterion": r["criterion"],
                        "tag": r["tag"],
                        "level": r["level"],
                        "alpha": r["alpha"],
                        "ci_low": r["interval"][0],
                        "ci_high": r["interval"][1],
                        "check": r["badge"]["level"],
                        "n_units": r["n_units"],
                        "n_ratings": r["n_ratings"],
                        "n_raters": r["n_raters"],
                        "fleiss_kappa": r["fleiss_kappa"],
                        "percent_agreement": r["percent_agreement"],
                        "pairwise_cohen_mean": r["pairwise_cohen"]["mean_kappa"],
                        "likert_ordinal_alpha": (r["likert"] or {}).get("ordinal", {}).get("alpha"),
                        "likert_interval_alpha": (r["likert"] or {}).get("interval", {}).get("alpha"),
                    }
                    for r in results
                ]
            )
        return Response({"study": study.slug, "criteria": results})


class RaterQualityListApi(APIView):
    """Stored quality measures of every rater in the study (computed by the quality job)."""

    renderer_classes = JSON_OR_CSV

    class InputSerializer(serializers.Serializer):
        sort = serializers.ChoiceField(
            choices=[*selectors.RATER_SORT_KEYS, *(f"-{k}" for k in selectors.RATER_SORT_KEYS)],
            required=False,
            default="rater",
        )

    def get(self, request: Request, slug: str) -> Response:
        study = or_404(study_for_owner(user=request.user, slug=slug))
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        rows = selectors.rater_quality_rows(study=study, sort=params.validated_data["sort"])
        for row in rows:
            row["computed_at"] = row["computed_at"].isoformat() if row.get("computed_at") else None
        if csv_wanted(request):
            return Response(rows)
        return Response({"study": study.slug, "rules": services.study_quality_rules(study=study), "raters": rows})


class RaterQualityActionApi(APIView):
    """An owner action on one rater: flag, unflag, block, unblock, exclude, include. Writes a QualityEvent."""

    class InputSerializer(serializers.Serializer):
        action = serializers.ChoiceField(choices=services.OWNER_ACTIONS)
        reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)

    class OutputSerializer(serializers.Serializer):
        rater_id = serializers.IntegerField(source="id")
        status = serializers.CharField()
        excluded = serializers.BooleanField()

    def post(self, request: Request, slug: str, rater_id: int) -> Response:
        study = or_404(study_for_owner(user=request.user, slug=slug))
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rater = services.rater_quality_action(
            study=study,
            rater_id=rater_id,
            action=data.validated_data["action"],
            user=request.user,
            reason=data.validated_data["reason"],
        )
        return Response(self.OutputSerializer(rater).data)


class RaterQualityRecomputeApi(APIView):
    """Queue the quality recompute (measures + rules) for the study now."""

    def post(self, request: Request, slug: str) -> Response:
        study = or_404(study_for_owner(user=request.user, slug=slug))
        services.quality_recompute_request(study=study)
        return Response({"queued": True}, status=202)


name_nested_serializers(globals().values())
