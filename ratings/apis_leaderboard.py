"""Owner REST API for leaderboards. One APIView per operation; JSON by default, CSV with ``?format=csv``.

Endpoints (all under /api/studies/<slug>/, owner-only, another owner's study is 404):

* ``leaderboards/`` — which snapshots exist (criterion, tag, method, n_judgments, computed_at)
* ``leaderboard/?criterion=&tag=`` — BT scores with 95% intervals, rank, wins/losses/ties, win rate, Elo
* ``leaderboard/matrices/?criterion=&tag=`` — win-rate (ties excluded / ties half), predicted and battle counts
* ``leaderboard/elo/?criterion=`` — online Elo (k=4)
* ``leaderboard/recompute/`` (POST) — queue a recompute now (202)
"""

from __future__ import annotations

import csv
import io
from typing import Any

from rest_framework import serializers, status
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from evalsite.errors import ApplicationError
from ratings.jobs import leaderboard_recompute_job
from ratings.leaderboard_selectors import leaderboard_snapshot, leaderboards_for_study
from ratings.models import Leaderboard
from ratings.services.exports import csv_safe
from ratings.services.leaderboard import METHOD_BT, METHOD_ELO
from tasks.selectors import study_for_owner


class CSVRenderer(BaseRenderer):
    """Renders a list of flat dicts as CSV (header from the first row); an error dict as message,code."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        buf = io.StringIO()
        rows = data if isinstance(data, list) else [data]
        if rows:
            fields = list(rows[0].keys())
            writer = csv.DictWriter(buf, fieldnames=fields, extrasaction="ignore", lineterminator="\n")
            writer.writeheader()
            for row in rows:
                writer.writerow({k: csv_safe("" if v is None else v) for k, v in row.items()})
        return buf.getvalue().encode("utf-8")


RENDERERS = [JSONRenderer, CSVRenderer]


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
    study = study_for_owner(user=request.user, slug=slug)
    query = SnapshotQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    tag = query.validated_data["tag"] if method == METHOD_BT else ""
    snap = _snapshot_or_404(study=study, criterion=query.validated_data.get("criterion"), tag=tag, method=method)
    return study, snap


def _csv_response(rows: list[dict[str, Any]], filename: str) -> Response:
    return Response(rows, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


class LeaderboardListApi(APIView):
    class OutputSerializer(serializers.ModelSerializer):
        class Meta:
            model = Leaderboard
            fields = ["criterion", "tag", "method", "n_judgments", "computed_at"]

    def get(self, request: Request, slug: str) -> Response:
        study = study_for_owner(user=request.user, slug=slug)
        snaps = leaderboards_for_study(study=study).only("criterion", "tag", "method", "n_judgments", "computed_at")
        return Response(self.OutputSerializer(snaps, many=True).data)


class LeaderboardApi(APIView):
    renderer_classes = RENDERERS

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
        if request.accepted_renderer.format == "csv":
            rows = [
                {"criterion": snap.criterion, "tag": snap.tag, **{k: v for k, v in row.items() if k != "system_id"}}
                for row in snap.result.get("systems", [])
            ]
            return _csv_response(
                rows, f"leaderboard-{study.slug}-{snap.criterion}{'-' + snap.tag if snap.tag else ''}.csv"
            )
        return Response(self.OutputSerializer(snap).data)


class LeaderboardMatricesApi(APIView):
    renderer_classes = RENDERERS

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
        if request.accepted_renderer.format == "csv":
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
    renderer_classes = RENDERERS

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
        if request.accepted_renderer.format == "csv":
            return _csv_response(snap.result.get("systems", []), f"elo-{study.slug}-{snap.criterion}.csv")
        return Response(self.OutputSerializer(snap).data)


class LeaderboardRecomputeApi(APIView):
    class OutputSerializer(serializers.Serializer):
        queued = serializers.BooleanField()

    def post(self, request: Request, slug: str) -> Response:
        study = study_for_owner(user=request.user, slug=slug)
        leaderboard_recompute_job.delay(study.id)
        return Response(self.OutputSerializer({"queued": True}).data, status=status.HTTP_202_ACCEPTED)
