"""Celery jobs of the tasks app. Jobs take ids, are idempotent, and call a service.

One import direction: this module imports the services it runs; services queue a job by its name
(`evalsite.jobqueue.job_enqueue`) and never import this module. Imported by `TasksConfig.ready`.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.db.models import F
from django.utils import timezone

from evalsite.errors import ApplicationError
from tasks.models import ImportJob
from tasks.services.assignment import assignments_expire
from tasks.services.blinding import images_delete
from tasks.services.imports import import_run

logger = logging.getLogger(__name__)


@shared_task(
    name="tasks.jobs.import_job_run", bind=True, acks_late=True, max_retries=0, time_limit=3600, soft_time_limit=3500
)
def import_job_run(self: object, job_id: int) -> str:
    """Run a background import. A job that already finished (or another worker took) is left alone."""
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.PENDING).update(
        status=ImportJob.Status.RUNNING
    )
    if not claimed:
        return "skipped"
    job = ImportJob.objects.select_related("study").get(pk=job_id)

    def progress(done: int) -> None:
        ImportJob.objects.filter(pk=job_id).update(lines_done=done)

    try:
        with job.file.open("rb") as data:
            images = job.images.open("rb") if job.images else None
            try:
                summary = import_run(
                    study=job.study, data=data, images_zip=images, file_format=job.file_format, progress=progress
                )
            finally:
                if images is not None:
                    images.close()
    except ApplicationError as exc:
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportJob.Status.FAILED,
            errors=exc.extra.get("errors") or [{"line": None, "field": None, "code": exc.code, "message": exc.message}],
            summary={"message": exc.message, "code": exc.code},
            finished_at=timezone.now(),
        )
        return "failed"
    except Exception:
        logger.exception("import job %s crashed", job_id)
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportJob.Status.FAILED,
            errors=[{"line": None, "field": None, "code": "internal_error", "message": "The import crashed."}],
            finished_at=timezone.now(),
        )
        raise
    finally:
        # The uploaded files are only needed while the job runs.
        images_delete([name for name in (job.file.name, job.images.name) if name])
    ImportJob.objects.filter(pk=job_id).update(
        status=ImportJob.Status.DONE, summary=summary, lines_done=F("lines_total"), finished_at=timezone.now()
    )
    return "done"


@shared_task(name="tasks.jobs.assignments_expire_job", time_limit=120, soft_time_limit=100)
def assignments_expire_job() -> int:
    """Sweep leases past their expiry to 'expired' (every minute via CELERY_BEAT_SCHEDULE)."""
    return assignments_expire()
