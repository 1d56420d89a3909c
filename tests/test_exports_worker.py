"""A background export on a real Celery worker (Redis broker, PostgreSQL): the owner downloads the file."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from ratings.models import Export
from ratings.services import exports as ex
from ratings.tests.simulate import make_simulated_study

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.slow
def test_export_job_runs_on_a_real_worker_and_only_the_owner_downloads(postgres_db, redis_url, settings, client):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    sim = make_simulated_study(n_prompts=3, votes_per_comparison=3, n_raters=4)
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_BROKER_URL": redis_url,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "evalsite",
            "worker",
            "-P",
            "solo",
            "-l",
            "warning",
            "-Q",
            settings.CELERY_TASK_DEFAULT_QUEUE,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        env=env,
        cwd=ROOT,
    )
    try:
        export = ex.export_create(study=sim.study, user=sim.study.owner, format="preferences", file_type="csv")
        for _ in range(240):  # wait for the worker (not a timing assertion: generous, shared machine)
            export.refresh_from_db()
            if export.status in (Export.Status.DONE, Export.Status.FAILED):
                break
            time.sleep(0.5)
        assert export.status == Export.Status.DONE, export.error
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    assert export.rows_done == export.rows_total > 0
    client.force_login(sim.study.owner)
    response = client.get(f"/api/studies/{sim.study.slug}/exports/{export.pk}/file/")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    assert text.startswith("prompt_id,comparison_id") and len(text.strip().splitlines()) == export.rows_done + 1
