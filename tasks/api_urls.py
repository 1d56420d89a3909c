from django.urls import path

from tasks import apis

urlpatterns = [
    path("studies/", apis.StudyListApi.as_view(), name="api-study-list"),
    path("studies/<slug:slug>/", apis.StudyDetailApi.as_view(), name="api-study-detail"),
]
