from django.urls import path

from tasks import rater_views

urlpatterns = [
    path("<slug:slug>/", rater_views.rater_entry, name="rater-entry"),
]
