from django.urls import path

from tasks import views, views_invites

urlpatterns = [
    path("", views.owner_home, name="owner-home"),
    path("studies/<slug:slug>/", views.owner_study, name="owner-study"),
    path("studies/<slug:slug>/invites/", views_invites.owner_study_invites, name="owner-study-invites"),
]
