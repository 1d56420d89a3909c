"""Owner REST API for leaderboards. One APIView per operation; JSON by default, CSV with ``?format=csv``.

Endpoints (all under /api/studies/<slug>/, owner-only, another owner's study is 404):

* ``leaderboards/`` — which snapshots exist (criterion, tag, method, n_judgments, computed_at)
* ``leaderboard/?criterion=&tag=`` — BT scores with 95% intervals, rank, wins/losses/ties, win rate, Elo
* ``leaderboard/matrices/?criterion=&tag=`` — win-rate (ties excluded / ties half), predicted and battle counts
* ``leaderboard/elo/?criterion=`` — online Elo (k=4)
* ``leaderboard/recompute/`` (POST) — queue a recompute now (202)
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from evalsite.api import ERRORS, name_nested_serializers, or_404
from evalsite.errors import ApplicationError
from ratings.apis.renderers import JSON_OR_CSV, csv_wanted
from ratings.models import METHOD_BT, METHOD_ELO, Leaderboard
from ratings.selectors.leaderboard import leaderboard_snapshot, leaderboard_summaries
from ratings.services.leaderboard import leaderboard_recompute_request
from tasks.selectors.studies import study_for_owner

TAGS = ["leaderboards"]


class SnapshotQuerySerializer(serializers.Serializer):
    criterion = serializers.CharField(required=False, allow_blank=True, max_length=50)
    tag = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")


def _snapshot_or_404(*, study: Any, criterion: str | None, tag: str, method: str) -> Leaderboard:
    if not criterion:
        criterion = study.criterion_keys[0]
    snap = leaderboard_snapshot(study=study, criterion=criterion, tag=tag, method=method)
    if snap is None:
        raise ApplicationError(
            "No leaderboard has been computed for this criterion and tag yet.",
            code="leaderboard_not_computed",
            extra={"criterion": criterion, "tag": tag, "method": method},
            status_code=status.HTTP_404_NOT_FOUND,
        )
    return snap


def _requested_snapshot(*, request: Request, slug: str, method: str) -> tuple[Any, Leaderboard]:
    """The owner's study and the snapshot named by ``?criterion=&tag=`` (Elo has no tag breakdown)."""
    study = or_404(study_for_owner(user=request.user, slug=slug))
    query = SnapshotQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    tag = query.validated_data["tag"] if method == METHOD_BT else ""
    snap = _snapshot_or_404(study=study, criterion=query.validated_data.get("criterion"), tag=tag, method=method)
    return study, snap


def _csv_response(rows: list[dict[str, Any]], filename: str) -> Response:
    return Response(rows, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


class LeaderboardListApi(APIView):
    class OutputSerializer(serializers.Serializer):
        criterion = serializers.CharField()
        tag = serializers.CharField(allow_blank=True)
        method = serializers.CharField()
        n_judgments = serializers.IntegerField()
        computed_at = serializers.DateTimeField()

    @extend_schema(
        tags=TAGS, summary="Which leaderboards exist", responses={200: OutputSerializer(many=True), **ERRORS}
    )
    def get(self, request: Request, slug: str) -> Response:
        study = or_404(study_for_owner(user=request.user, slug=slug))
        return Response(self.OutputSerializer(leaderboard_summaries(study=study), many=True).data)


class LeaderboardApi(APIView):
    renderer_classes = JSON_OR_CSV

    class OutputSerializer(serializers.Serializer):
        class SystemRow(serializers.Serializer):
            system = serializers.CharField()
            score = serializers.FloatField()
            lower = serializers.FloatField()
            upper = serializers.FloatField()
            rank = serializers.IntegerField()
            wins = serializers.IntegerField()
            losses = serializers.IntegerField()
            ties = serializers.IntegerField()
            battles = serializers.IntegerField()
            win_rate = serializers.FloatField(allow_null=True)
            avg_predicted_win_rate = serializers.FloatField(allow_null=True)
            elo = serializers.FloatField(required=False, allow_null=True)

        criterion = serializers.CharField()
        tag = serializers.CharField(allow_blank=True)
        method = serializers.CharField()
        n_judgments = serializers.IntegerField()
        computed_at = serializers.DateTimeField()
        params = serializers.JSONField()
        systems = SystemRow(many=True, source="result.systems")
        unrated = serializers.ListField(child=serializers.CharField(), source="result.unrated")
        separation = serializers.JSONField(source="result.separation")
        fit = serializers.JSONField(source="result.fit")

    def get(self, request: Request, slug: str) -> Response:
        study, snap = _requested_snapshot(request=request, slug=slug, method=METHOD_BT)
        if csv_wanted(request):
            rows = [
                {"criterion": snap.criterion, "tag": snap.tag, **{k: v for k, v in row.items() if k != "system_id"}}
                for row in snap.result.get("systems", [])
            ]
            return _csv_response(
                rows, f"leaderboard-{study.slug}-{snap.criterion}{'-' + snap.tag if snap.tag else ''}.csv"
            )
        return Response(self.OutputSerializer(snap).data)


class LeaderboardMatricesApi(APIView):
    renderer_classes = JSON_OR_CSV

    class OutputSerializer(serializers.Serializer):
        criterion = serializers.CharField()
        tag = serializers.CharField(allow_blank=True)
        n_judgments = serializers.IntegerField()
        computed_at = serializers.DateTimeField()
        order = serializers.ListField(child=serializers.CharField(), source="result.order")
        win_rate = serializers.JSONField(source="result.win_rate", help_text="row beats column, ties excluded")
        win_rate_ties_half = serializers.JSONField(source="result.win_rate_ties_half")
        predicted_win_rate = serializers.JSONField(source="result.predicted_win_rate")
        battles = serializers.JSONField(source="result.battles")

    def get(self, request: Request, slug: str) -> Response:
        study, snap = _requested_snapshot(request=request, slug=slug, method=METHOD_BT)
        if csv_wanted(request):
            r = snap.result
            order = r.get("order", [])
            rows = [
                {
                    "system": a,
                    "opponent": b,
                    "battles": r["battles"][x][y],
                    "win_rate": r["win_rate"][x][y],
                    "win_rate_ties_half": r["win_rate_ties_half"][x][y],
                    "predicted_win_rate": r["predicted_win_rate"][x][y],
                }
                for x, a in enumerate(order)
                for y, b in enumerate(order)
                if x != y
            ]
            return _csv_response(rows, f"matrices-{study.slug}-{snap.criterion}.csv")
        return Response(self.OutputSerializer(snap).data)


class LeaderboardEloApi(APIView):
    renderer_classes = JSON_OR_CSV

    class OutputSerializer(serializers.Serializer):
        class EloRow(serializers.Serializer):
            system = serializers.CharField()
            rating = serializers.FloatField()

        criterion = serializers.CharField()
        n_judgments = serializers.IntegerField()
        computed_at = serializers.DateTimeField()
        params = serializers.JSONField()
        systems = EloRow(many=True, source="result.systems")

    def get(self, request: Request, slug: str) -> Response:
        study, snap = _requested_snapshot(request=request, slug=slug, method=METHOD_ELO)
        if csv_wanted(request):
            return _csv_response(snap.result.get("systems", []), f"elo-{study.slug}-{snap.criterion}.csv")
        return Response(self.OutputSerializer(snap).data)


class LeaderboardRecomputeApi(APIView):
    class OutputSerializer(serializers.Serializer):
        queued = serializers.BooleanField()

    def post(self, request: Request, slug: str) -> Response:
        study = or_404(study_for_owner(user=request.user, slug=slug))
        leaderboard_recompute_request(study=study)
        return Response(self.OutputSerializer({"queued": True}).data, status=status.HTTP_202_ACCEPTED)


name_nested_serializers(globals().values())
