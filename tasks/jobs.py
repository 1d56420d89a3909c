"""Celery jobs for tasks. Jobs take ids, are idempotent, and call a service."""

from __future__ import annotations

from celery import shared_task

from tasks.services.assignment import assignments_expire


@shared_task(name="tasks.jobs.assignments_expire_job", time_limit=120, soft_time_limit=100)
def assignments_expire_job() -> int:
    """Sweep leases past their expiry to 'expired' (every minute via CELERY_BEAT_SCHEDULE)."""
    return assignments_expire()
