"""Debounced scheduling of leaderboard recomputes (separate from the service so jobs.py can import the service)."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from ratings.jobs import leaderboard_recompute_job


def debounce_seconds() -> int:
    """The window, ``settings.LEADERBOARD_DEBOUNCE_SECONDS`` (default 30)."""
    return settings.LEADERBOARD_DEBOUNCE_SECONDS


def leaderboard_schedule_recompute(*, study_id: int) -> bool:
    """Queue a recompute of the study's leaderboards, at most once per debounce window; True if queued.

    The first call in a window sets a cache key (``cache.add`` is atomic) and queues the Celery job with
    ``countdown`` = the window, so the job runs after the window and sees every judgment that arrived in
    it; later calls in the window do nothing. Call it from ``transaction.on_commit`` after storing a
    judgment::

        transaction.on_commit(lambda: leaderboard_schedule_recompute(study_id=study.id))

    The debounce is as shared as the cache backend: configure a shared cache (Redis) in production. In
    eager mode (no broker) the job runs at once, in-process.
    """
    window = debounce_seconds()
    if not cache.add(f"evalsite:leaderboard:debounce:{study_id}", timezone.now().isoformat(), timeout=window):
        return False
    leaderboard_recompute_job.apply_async(args=[study_id], countdown=window)
    return True
