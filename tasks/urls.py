"""Every URL of the tasks app, in three groups: owner pages, the owner REST API, rater pages and endpoints."""

from django.urls import include, path

from tasks.apis import gold as gold_apis
from tasks.apis import imports as import_apis
from tasks.apis import invites as invite_apis
from tasks.apis import outputs as output_apis
from tasks.apis import rater as rater_apis
from tasks.apis import studies as study_apis
from tasks.views import gold, images, imports, invites, outputs, rater, studies

owner_patterns = [
    path("", studies.owner_home, name="owner-home"),
    path("studies/new/", studies.study_create_page, name="owner-study-create"),
    path("studies/<slug:slug>/", studies.owner_study, name="owner-study"),
    path("studies/<slug:slug>/edit/", studies.study_edit_page, name="owner-study-edit"),
    path("studies/<slug:slug>/status/", studies.study_transition_page, name="owner-study-transition"),
    path("studies/<slug:slug>/launch/", studies.study_launch_page, name="owner-study-launch"),
    path("studies/<slug:slug>/import/", imports.study_import_page, name="owner-study-import"),
    path("studies/<slug:slug>/outputs/", outputs.study_outputs_page, name="owner-study-outputs"),
    path("studies/<slug:slug>/outputs/<str:public_id>/", outputs.study_output_page, name="owner-study-output"),
    path("studies/<slug:slug>/gold/", gold.study_gold_page, name="owner-study-gold"),
    path("studies/<slug:slug>/invites/", invites.owner_study_invites, name="owner-study-invites"),
]

api_patterns = [
    path("studies/", study_apis.StudyListApi.as_view(), name="api-study-list"),
    path("studies/create/", study_apis.StudyCreateApi.as_view(), name="api-study-create"),
    path("studies/<slug:slug>/", study_apis.StudyDetailApi.as_view(), name="api-study-detail"),
    path("studies/<slug:slug>/update/", study_apis.StudyUpdateApi.as_view(), name="api-study-update"),
    path("studies/<slug:slug>/launch/", study_apis.StudyLaunchApi.as_view(), name="api-study-launch"),
    path("studies/<slug:slug>/pause/", study_apis.StudyPauseApi.as_view(), name="api-study-pause"),
    path("studies/<slug:slug>/resume/", study_apis.StudyResumeApi.as_view(), name="api-study-resume"),
    path("studies/<slug:slug>/close/", study_apis.StudyCloseApi.as_view(), name="api-study-close"),
    path(
        "studies/<slug:slug>/comparisons/counts/",
        study_apis.ComparisonCountsApi.as_view(),
        name="api-study-comparison-counts",
    ),
    path("studies/<slug:slug>/import/", import_apis.StudyImportApi.as_view(), name="api-study-import"),
    path(
        "studies/<slug:slug>/imports/<int:job_id>/",
        import_apis.StudyImportJobApi.as_view(),
        name="api-study-import-job",
    ),
    path("studies/<slug:slug>/outputs/", output_apis.OutputListApi.as_view(), name="api-study-outputs"),
    path("studies/<slug:slug>/outputs/review/", output_apis.OutputReviewApi.as_view(), name="api-study-outputs-review"),
    path("studies/<slug:slug>/gold/", gold_apis.GoldListApi.as_view(), name="api-study-gold"),
    path("studies/<slug:slug>/gold/mark/", gold_apis.GoldMarkApi.as_view(), name="api-study-gold-mark"),
    path("studies/<slug:slug>/gold/unmark/", gold_apis.GoldUnmarkApi.as_view(), name="api-study-gold-unmark"),
    path("studies/<slug:slug>/gold/import/", gold_apis.GoldImportApi.as_view(), name="api-study-gold-import"),
    path("studies/<slug:slug>/invites/", invite_apis.StudyInviteCreateApi.as_view(), name="api-study-invites"),
]

rater_patterns = [
    path("img/<str:public_id>.png", images.blind_image, name="blind-image"),
    path("<slug:slug>/", rater.rater_entry, name="rater-entry"),
    path("<slug:slug>/start/", rater.rater_consent_page, name="rater-consent"),
    path("<slug:slug>/task/", rater.rater_task, name="rater-task"),
    path("<slug:slug>/done/", rater.rater_done, name="rater-done"),
    path("<slug:slug>/a/<str:public_id>/skip/", rater_apis.AssignmentSkipApi.as_view(), name="rater-skip"),
    path("<slug:slug>/a/<str:public_id>/report/", rater_apis.OutputReportApi.as_view(), name="rater-report"),
]

urlpatterns = [
    path("api/", include(api_patterns)),
    path("r/", include(rater_patterns)),
    path("", include(owner_patterns)),
]
