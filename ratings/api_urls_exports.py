from django.urls import path

from ratings import apis_exports, apis_feedback

urlpatterns = [
    path("studies/<slug:slug>/exports/", apis_exports.ExportListCreateApi.as_view(), name="api-export-list"),
    path("studies/<slug:slug>/exports/stream/", apis_exports.ExportStreamApi.as_view(), name="api-export-stream"),
    path(
        "studies/<slug:slug>/exports/<int:export_id>/", apis_exports.ExportDetailApi.as_view(), name="api-export-detail"
    ),
    path(
        "studies/<slug:slug>/exports/<int:export_id>/file/",
        apis_exports.ExportFileApi.as_view(),
        name="api-export-file",
    ),
    path("feedback/", apis_feedback.FeedbackIngestApi.as_view(), name="api-feedback-ingest"),
    path("studies/<slug:slug>/api-keys/", apis_feedback.ApiKeyListCreateApi.as_view(), name="api-key-list"),
    path(
        "studies/<slug:slug>/api-keys/<int:key_id>/revoke/",
        apis_feedback.ApiKeyRevokeApi.as_view(),
        name="api-key-revoke",
    ),
]
