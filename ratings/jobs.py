"""Celery jobs of the ratings app. Jobs take ids, are idempotent, have time limits, and call a service.

One import direction: this module imports the services it runs; services queue a job by its name
(`evalsite.jobqueue.job_enqueue`) and never import this module. Imported by `RatingsConfig.ready`.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import OperationalError

from ratings.services import exports as export_services
from ratings.services import quality as quality_services
from ratings.services.leaderboard import leaderboard_recompute
from tasks.models import Study

logger = logging.getLogger(__name__)


@shared_task(
    name="ratings.quality_recompute_study",
    time_limit=600,
    soft_time_limit=540,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
    acks_late=True,
)
def quality_recompute_study(study_id: int) -> dict[str, int]:
    """Recompute rater quality and apply the rules for one study. Idempotent; a vanished study is a no-op."""
    study = Study.objects.filter(pk=study_id).first()
    if study is None:
        return {"raters": 0, "flagged": 0, "blocked": 0}
    return quality_services.quality_recompute(study=study)


@shared_task(name="ratings.quality_recompute_live_studies", time_limit=120, soft_time_limit=100)
def quality_recompute_live_studies() -> int:
    """Periodic (CELERY_BEAT_SCHEDULE): queue a quality recompute for every live study. Returns how many."""
    study_ids = list(Study.objects.filter(status=Study.Status.LIVE).values_list("id", flat=True))
    for study_id in study_ids:
        quality_recompute_study.delay(study_id)
    return len(study_ids)


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
