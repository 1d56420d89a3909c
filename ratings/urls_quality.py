from django.urls import path

from ratings import views_quality

urlpatterns = [
    path("studies/<slug:slug>/quality/", views_quality.owner_quality, name="owner-quality"),
    path(
        "studies/<slug:slug>/quality/raters/<int:rater_id>/action/",
        views_quality.owner_quality_action,
        name="owner-quality-action",
    ),
    path(
        "studies/<slug:slug>/quality/recompute/", views_quality.owner_quality_recompute, name="owner-quality-recompute"
    ),
]
