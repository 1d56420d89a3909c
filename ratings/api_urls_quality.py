from django.urls import path

from ratings import apis_quality

urlpatterns = [
    path("studies/<slug:slug>/agreement/", apis_quality.AgreementApi.as_view(), name="api-quality-agreement"),
    path("studies/<slug:slug>/rater-quality/", apis_quality.RaterQualityListApi.as_view(), name="api-quality-raters"),
    path(
        "studies/<slug:slug>/rater-quality/recompute/",
        apis_quality.RaterQualityRecomputeApi.as_view(),
        name="api-quality-recompute",
    ),
    path(
        "studies/<slug:slug>/raters/<int:rater_id>/quality-actions/",
        apis_quality.RaterQualityActionApi.as_view(),
        name="api-quality-action",
    ),
]
