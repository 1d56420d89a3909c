from django.urls import include, path

urlpatterns: list = [  # result API: leaderboards, agreement, rater quality, exports, feedback ingestion
    path("", include("ratings.api_urls_quality")),
]
