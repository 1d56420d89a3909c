from django.urls import path

from tasks import image_views, rater_views

urlpatterns = [
    path("img/<str:public_id>.png", image_views.blind_image, name="blind-image"),
    path("<slug:slug>/", rater_views.rater_entry, name="rater-entry"),
]
