"""A background export on a real Celery worker (Redis broker, PostgreSQL): the owner downloads the file."""

from __future__ import annotations

import pytest

from ratings.models import Export
from ratings.services import exports as ex
from ratings.tests.simulate import make_simulated_study
from tests.conftest import wait_for


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.slow
def test_export_job_runs_on_a_real_worker_and_only_the_owner_downloads(celery_worker, client):
    sim = make_simulated_study(n_prompts=3, votes_per_comparison=3, n_raters=4)
    export = ex.export_create(study=sim.study, user=sim.study.owner, format="preferences", file_type="csv")
    # generous wait for the worker (not a timing assertion: the machine may be busy)
    wait_for(lambda: Export.objects.get(pk=export.pk).status in ("done", "failed"), timeout=120, what="the export job")
    export.refresh_from_db()
    assert export.status == Export.Status.DONE, export.error
    assert export.rows_done == export.rows_total > 0
    client.force_login(sim.study.owner)
    response = client.get(f"/api/studies/{sim.study.slug}/exports/{export.pk}/file/")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    assert text.startswith("prompt_id,comparison_id") and len(text.strip().splitlines()) == export.rows_done + 1
