from django.urls import path

from tasks import views

urlpatterns = [
    path("", views.owner_home, name="owner-home"),
    path("studies/<slug:slug>/", views.owner_study, name="owner-study"),
]
