from django.urls import include, path

# owner result pages: leaderboard, agreement and rater quality, exports, online feedback
urlpatterns: list = [
    path("", include("ratings.urls_quality")),
    path("", include("ratings.urls_exports")),
    path("", include("ratings.leaderboard_urls")),
]
