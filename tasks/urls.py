from django.urls import path

from tasks import views, views_invites

urlpatterns = [
    path("", views.owner_home, name="owner-home"),
    path("studies/new/", views.study_create_page, name="owner-study-create"),
    path("studies/<slug:slug>/", views.owner_study, name="owner-study"),
    path("studies/<slug:slug>/edit/", views.study_edit_page, name="owner-study-edit"),
    path("studies/<slug:slug>/status/", views.study_transition_page, name="owner-study-transition"),
    path("studies/<slug:slug>/import/", views.study_import_page, name="owner-study-import"),
    path("studies/<slug:slug>/outputs/", views.study_outputs_page, name="owner-study-outputs"),
    path("studies/<slug:slug>/gold/", views.study_gold_page, name="owner-study-gold"),
    path("studies/<slug:slug>/invites/", views_invites.owner_study_invites, name="owner-study-invites"),
]
