"""A real Celery worker on Redis runs a job that writes to PostgreSQL (the production shape of jobs)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tasks.jobs import assignments_expire_job
from tasks.models import Assignment
from tasks.tests.factories import AssignmentFactory
from tests.conftest import wait_for


@pytest.mark.redis
@pytest.mark.postgres
def test_worker_runs_a_job_that_writes_to_postgres(celery_worker):
    past = timezone.now() - dt.timedelta(hours=1)
    stale = AssignmentFactory(leased_at=past, expires_at=past + dt.timedelta(minutes=15))
    live = AssignmentFactory()

    assignments_expire_job.delay()  # to the broker: eager mode is off while the worker runs

    wait_for(
        lambda: Assignment.objects.get(pk=stale.pk).status == Assignment.Status.EXPIRED,
        timeout=60,
        what="the worker to expire the stale lease",
    )
    assert Assignment.objects.get(pk=live.pk).status == Assignment.Status.LEASED
