from django.urls import include, path

# owner result pages: leaderboard, agreement, raters, exports, feedback
urlpatterns: list = [path("", include("ratings.urls_exports"))]
