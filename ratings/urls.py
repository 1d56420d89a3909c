from django.urls import include, path

urlpatterns: list = [  # owner result pages: leaderboard, agreement, raters, exports, feedback
    path("", include("ratings.leaderboard_urls")),
]
