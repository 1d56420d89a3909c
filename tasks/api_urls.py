from django.urls import path

from tasks import apis, apis_invites

urlpatterns = [
    path("studies/", apis.StudyListApi.as_view(), name="api-study-list"),
    path("studies/<slug:slug>/", apis.StudyDetailApi.as_view(), name="api-study-detail"),
    path("studies/<slug:slug>/invites/", apis_invites.StudyInviteCreateApi.as_view(), name="api-study-invites"),
]
