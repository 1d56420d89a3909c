"""Celery jobs of the ratings app. Jobs take ids, are idempotent, have time limits, and call a service."""

from __future__ import annotations

import logging

from celery import shared_task

from ratings.services import exports as export_services

logger = logging.getLogger(__name__)


@shared_task(
    name="ratings.export_run",
    acks_late=True,
    reject_on_worker_lost=True,
    time_limit=3 * 3600,
    soft_time_limit=3 * 3600 - 60,
    max_retries=0,
)
def export_run(export_id: int) -> str:
    """Write the file of Export `export_id` (see `ratings.services.exports.export_run`); returns its status.

    A failure is recorded on the Export (status `failed`, `error`) by the service and logged here, not
    re-raised: retrying a deterministic failure would only repeat it, and in eager mode (no broker) it
    would turn the owner's "start export" request into a server error.
    """
    try:
        return export_services.export_run(export_id=export_id).status
    except Exception:
        logger.exception("export %s failed", export_id)
        return "failed"
