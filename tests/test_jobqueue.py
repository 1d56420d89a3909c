"""Services queue jobs by name (evalsite.jobqueue): every name they use is a registered job, and a typo fails."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from evalsite.celery import app
from evalsite.jobqueue import job_enqueue

ROOT = Path(__file__).resolve().parents[1]


def _enqueued_names() -> set[str]:
    names: set[str] = set()
    for path in [*ROOT.glob("tasks/**/*.py"), *ROOT.glob("ratings/**/*.py")]:
        if "tests" in path.parts:
            continue
        names |= set(re.findall(r"job_enqueue\(\s*\"([^\"]+)\"", path.read_text(encoding="utf-8")))
    return names


def test_every_job_a_service_queues_is_registered():
    names = _enqueued_names()
    assert {"tasks.jobs.import_job_run", "ratings.export_run", "ratings.leaderboard_recompute"} <= names
    missing = sorted(name for name in names if name not in app.tasks)
    assert missing == []


def test_an_unknown_job_name_raises_instead_of_sending():
    with pytest.raises(LookupError, match=r"no Celery job named 'ratings\.no_such_job'"):
        job_enqueue("ratings.no_such_job", 1)
