from django.urls import path

from ratings import rater_apis

urlpatterns = [
    path("<slug:slug>/a/<str:public_id>/submit/", rater_apis.JudgmentSubmitApi.as_view(), name="rater-submit"),
]
