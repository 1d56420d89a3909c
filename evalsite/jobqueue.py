"""Queue a Celery job by its registered name.

One import direction between services and jobs: a jobs module (`<app>/jobs.py`) imports the services it
runs, and a service never imports a jobs module — it names the job it queues. Every jobs module is
imported when its app is ready (`AppConfig.ready`), so each name is registered in every web and worker
process and eager mode (no broker) runs the job in-process; an unknown name raises at once instead of
sending a message no worker would take.
"""

from __future__ import annotations

from typing import Any

from celery.result import AsyncResult

from evalsite.celery import app


def job_enqueue(name: str, *args: Any, countdown: float | None = None) -> AsyncResult:
    """Queue job `name` with positional `args` (ids only, JSON-serialisable); returns Celery's result handle."""
    try:
        task = app.tasks[name]
    except KeyError:
        raise LookupError(f"no Celery job named {name!r} is registered (is its app's jobs module imported?)") from None
    return task.apply_async(args=list(args), countdown=countdown)
