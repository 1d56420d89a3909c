"""Celery jobs of the ratings app. Jobs take ids, are idempotent, have time limits, and call a service."""

from __future__ import annotations

from celery import shared_task

from ratings.services.leaderboard import leaderboard_recompute
from tasks.models import Study


@shared_task(
    name="ratings.leaderboard_recompute",
    acks_late=True,
    soft_time_limit=240,
    time_limit=300,
    autoretry_for=(ConnectionError,),
    retry_backoff=True,
    max_retries=3,
)
def leaderboard_recompute_job(study_id: int) -> int:
    """Recompute every leaderboard snapshot of one study; returns how many snapshots it stored.

    Idempotent: it reads the current judgments and upserts the snapshots, so a retry or a duplicate
    delivery writes the same rows. A study deleted meanwhile is a no-op.
    """
    if not Study.objects.filter(pk=study_id).exists():
        return 0
    return len(leaderboard_recompute(study_id=study_id))
