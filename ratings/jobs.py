"""Celery jobs of the ratings app: quality recompute (per study, and the periodic sweep over live studies)."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from ratings.services import quality as quality_services
from tasks.models import Study


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
