"""The Celery app. Jobs live in `<app>/jobs.py` and are autodiscovered.

With no CELERY_BROKER_URL the settings make every job run eagerly in-process
(the embedded default); with one, real workers consume the queue.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "evalsite.settings")

app = Celery("evalsite")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(related_name="jobs")
