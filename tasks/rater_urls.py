from django.urls import path

from tasks import image_views, rater_apis, rater_views

urlpatterns = [
    path("img/<str:public_id>.png", image_views.blind_image, name="blind-image"),
    path("<slug:slug>/", rater_views.rater_entry, name="rater-entry"),
    path("<slug:slug>/start/", rater_views.rater_consent_page, name="rater-consent"),
    path("<slug:slug>/task/", rater_views.rater_task, name="rater-task"),
    path("<slug:slug>/done/", rater_views.rater_done, name="rater-done"),
    path("<slug:slug>/a/<str:public_id>/skip/", rater_apis.AssignmentSkipApi.as_view(), name="rater-skip"),
    path("<slug:slug>/a/<str:public_id>/report/", rater_apis.OutputReportApi.as_view(), name="rater-report"),
]
