from django.urls import path

from ratings import apis_leaderboard as apis

urlpatterns = [
    path("studies/<slug:slug>/leaderboards/", apis.LeaderboardListApi.as_view(), name="api-leaderboard-list"),
    path("studies/<slug:slug>/leaderboard/", apis.LeaderboardApi.as_view(), name="api-leaderboard"),
    path(
        "studies/<slug:slug>/leaderboard/matrices/",
        apis.LeaderboardMatricesApi.as_view(),
        name="api-leaderboard-matrices",
    ),
    path("studies/<slug:slug>/leaderboard/elo/", apis.LeaderboardEloApi.as_view(), name="api-leaderboard-elo"),
    path(
        "studies/<slug:slug>/leaderboard/recompute/",
        apis.LeaderboardRecomputeApi.as_view(),
        name="api-leaderboard-recompute",
    ),
]
