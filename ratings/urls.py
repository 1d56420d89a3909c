"""Every URL of the ratings app, in three groups: owner result pages, the result REST API, the rater's submit."""

from django.urls import include, path

from ratings.apis import exports as export_apis
from ratings.apis import feedback as feedback_apis
from ratings.apis import judgments as judgment_apis
from ratings.apis import leaderboard as leaderboard_apis
from ratings.apis import quality as quality_apis
from ratings.views import exports, feedback, leaderboard, quality

owner_patterns = [
    path("studies/<slug:slug>/leaderboard/", leaderboard.owner_leaderboard, name="owner-leaderboard"),
    path(
        "studies/<slug:slug>/leaderboard/recompute/",
        leaderboard.owner_leaderboard_recompute,
        name="owner-leaderboard-recompute",
    ),
    path("studies/<slug:slug>/quality/", quality.owner_quality, name="owner-quality"),
    path(
        "studies/<slug:slug>/quality/raters/<int:rater_id>/action/",
        quality.owner_quality_action,
        name="owner-quality-action",
    ),
    path("studies/<slug:slug>/quality/recompute/", quality.owner_quality_recompute, name="owner-quality-recompute"),
    path("studies/<slug:slug>/exports/", exports.owner_exports, name="owner-exports"),
    path(
        "studies/<slug:slug>/exports/<int:export_id>/download/",
        exports.owner_export_download,
        name="owner-export-download",
    ),
    path("studies/<slug:slug>/feedback/", feedback.owner_feedback, name="owner-feedback"),
    path(
        "studies/<slug:slug>/feedback/keys/<int:key_id>/revoke/",
        feedback.owner_api_key_revoke,
        name="owner-api-key-revoke",
    ),
]

api_patterns = [
    path(
        "studies/<slug:slug>/leaderboards/", leaderboard_apis.LeaderboardListApi.as_view(), name="api-leaderboard-list"
    ),
    path("studies/<slug:slug>/leaderboard/", leaderboard_apis.LeaderboardApi.as_view(), name="api-leaderboard"),
    path(
        "studies/<slug:slug>/leaderboard/matrices/",
        leaderboard_apis.LeaderboardMatricesApi.as_view(),
        name="api-leaderboard-matrices",
    ),
    path(
        "studies/<slug:slug>/leaderboard/elo/", leaderboard_apis.LeaderboardEloApi.as_view(), name="api-leaderboard-elo"
    ),
    path(
        "studies/<slug:slug>/leaderboard/recompute/",
        leaderboard_apis.LeaderboardRecomputeApi.as_view(),
        name="api-leaderboard-recompute",
    ),
    path("studies/<slug:slug>/agreement/", quality_apis.AgreementApi.as_view(), name="api-quality-agreement"),
    path("studies/<slug:slug>/rater-quality/", quality_apis.RaterQualityListApi.as_view(), name="api-quality-raters"),
    path(
        "studies/<slug:slug>/rater-quality/recompute/",
        quality_apis.RaterQualityRecomputeApi.as_view(),
        name="api-quality-recompute",
    ),
    path(
        "studies/<slug:slug>/raters/<int:rater_id>/quality-actions/",
        quality_apis.RaterQualityActionApi.as_view(),
        name="api-quality-action",
    ),
    path("studies/<slug:slug>/exports/", export_apis.ExportListCreateApi.as_view(), name="api-export-list"),
    path("studies/<slug:slug>/exports/stream/", export_apis.ExportStreamApi.as_view(), name="api-export-stream"),
    path(
        "studies/<slug:slug>/exports/<int:export_id>/", export_apis.ExportDetailApi.as_view(), name="api-export-detail"
    ),
    path(
        "studies/<slug:slug>/exports/<int:export_id>/file/",
        export_apis.ExportFileApi.as_view(),
        name="api-export-file",
    ),
    path("feedback/", feedback_apis.FeedbackIngestApi.as_view(), name="api-feedback-ingest"),
    path("studies/<slug:slug>/api-keys/", feedback_apis.ApiKeyListCreateApi.as_view(), name="api-key-list"),
    path(
        "studies/<slug:slug>/api-keys/<int:key_id>/revoke/",
        feedback_apis.ApiKeyRevokeApi.as_view(),
        name="api-key-revoke",
    ),
]

rater_patterns = [
    path("<slug:slug>/a/<str:public_id>/submit/", judgment_apis.JudgmentSubmitApi.as_view(), name="rater-submit"),
]

urlpatterns = [
    path("api/", include(api_patterns)),
    path("r/", include(rater_patterns)),
    path("", include(owner_patterns)),
]
