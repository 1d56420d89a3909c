urlpatterns: list = []  # owner result pages: leaderboard, agreement, raters, exports, feedback
