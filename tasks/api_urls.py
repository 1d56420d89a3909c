from django.urls import path

from tasks import apis, apis_invites

urlpatterns = [
    path("studies/", apis.StudyListApi.as_view(), name="api-study-list"),
    path("studies/create/", apis.StudyCreateApi.as_view(), name="api-study-create"),
    path("studies/<slug:slug>/", apis.StudyDetailApi.as_view(), name="api-study-detail"),
    path("studies/<slug:slug>/update/", apis.StudyUpdateApi.as_view(), name="api-study-update"),
    path("studies/<slug:slug>/launch/", apis.StudyLaunchApi.as_view(), name="api-study-launch"),
    path("studies/<slug:slug>/pause/", apis.StudyPauseApi.as_view(), name="api-study-pause"),
    path("studies/<slug:slug>/resume/", apis.StudyResumeApi.as_view(), name="api-study-resume"),
    path("studies/<slug:slug>/close/", apis.StudyCloseApi.as_view(), name="api-study-close"),
    path("studies/<slug:slug>/import/", apis.StudyImportApi.as_view(), name="api-study-import"),
    path("studies/<slug:slug>/imports/<int:job_id>/", apis.StudyImportJobApi.as_view(), name="api-study-import-job"),
    path("studies/<slug:slug>/outputs/", apis.OutputListApi.as_view(), name="api-study-outputs"),
    path("studies/<slug:slug>/outputs/review/", apis.OutputReviewApi.as_view(), name="api-study-outputs-review"),
    path("studies/<slug:slug>/gold/", apis.GoldListApi.as_view(), name="api-study-gold"),
    path("studies/<slug:slug>/gold/mark/", apis.GoldMarkApi.as_view(), name="api-study-gold-mark"),
    path("studies/<slug:slug>/gold/unmark/", apis.GoldUnmarkApi.as_view(), name="api-study-gold-unmark"),
    path("studies/<slug:slug>/gold/import/", apis.GoldImportApi.as_view(), name="api-study-gold-import"),
    path(
        "studies/<slug:slug>/comparisons/counts/",
        apis.ComparisonCountsApi.as_view(),
        name="api-study-comparison-counts",
    ),
    path("studies/<slug:slug>/invites/", apis_invites.StudyInviteCreateApi.as_view(), name="api-study-invites"),
]
