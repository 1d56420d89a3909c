from django.urls import include, path

urlpatterns: list = [  # result API: leaderboards, agreement, rater quality, exports, feedback ingestion
    path("", include("ratings.leaderboard_api_urls")),
]
