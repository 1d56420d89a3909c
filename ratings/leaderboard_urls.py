from django.urls import path

from ratings import leaderboard_views

urlpatterns = [
    path("studies/<slug:slug>/leaderboard/", leaderboard_views.owner_leaderboard, name="owner-leaderboard"),
    path(
        "studies/<slug:slug>/leaderboard/recompute/",
        leaderboard_views.owner_leaderboard_recompute,
        name="owner-leaderboard-recompute",
    ),
]
