"""Reads for imports: a study's background import jobs."""

from __future__ import annotations

from django.db.models import QuerySet

from tasks.models import ImportJob, Study

ACTIVE_STATUSES = (ImportJob.Status.PENDING, ImportJob.Status.RUNNING)


def import_jobs(*, study: Study) -> QuerySet[ImportJob]:
    return ImportJob.objects.filter(study=study).select_related("study").order_by("-created_at")


def import_job(*, study: Study, job_id: int) -> ImportJob | None:
    return import_jobs(study=study).filter(pk=job_id).first()


def import_jobs_recent(*, study: Study, limit: int = 10) -> tuple[list[ImportJob], bool]:
    """The latest jobs, and whether any is still pending or running (the page then refreshes itself)."""
    jobs = list(import_jobs(study=study)[:limit])
    return jobs, any(job.status in ACTIVE_STATUSES for job in jobs)
