urlpatterns: list = []  # result API: leaderboards, agreement, rater quality, exports, feedback ingestion
