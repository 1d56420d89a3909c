from django.urls import path

from ratings import views_exports

urlpatterns = [
    path("studies/<slug:slug>/exports/", views_exports.owner_exports, name="owner-exports"),
    path(
        "studies/<slug:slug>/exports/<int:export_id>/download/",
        views_exports.owner_export_download,
        name="owner-export-download",
    ),
    path("studies/<slug:slug>/feedback/", views_exports.owner_feedback, name="owner-feedback"),
    path(
        "studies/<slug:slug>/feedback/keys/<int:key_id>/revoke/",
        views_exports.owner_api_key_revoke,
        name="owner-api-key-revoke",
    ),
]
