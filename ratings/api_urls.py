from django.urls import include, path

# result API: leaderboards, agreement, rater quality, exports, feedback ingestion
urlpatterns: list = [
    path("", include("ratings.api_urls_quality")),
    path("", include("ratings.api_urls_exports")),
    path("", include("ratings.leaderboard_api_urls")),
]
