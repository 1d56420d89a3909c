"""Production refuses insecure defaults; the embedded default needs no configuration."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def load_settings(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL"}}
    clean.update(env)
    code = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG, settings.CELERY_TASK_ALWAYS_EAGER, settings.DATABASES['default']['ENGINE'])"
    return subprocess.run(
        [sys.executable, "-c", code], check=False, env=clean, cwd=ROOT, capture_output=True, text=True, timeout=60
    )


def test_embedded_default_is_sqlite_with_eager_jobs(tmp_path):
    result = load_settings(EVALSITE_VAR_DIR=str(tmp_path), CELERY_BROKER_URL="")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True", "django.db.backends.sqlite3"]


def test_broker_url_turns_off_eager_and_database_url_selects_postgres(tmp_path):
    result = load_settings(
        EVALSITE_VAR_DIR=str(tmp_path),
        CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
        DATABASE_URL="postgres://u@h:5432/d",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "False", "django.db.backends.postgresql"]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "0", "ALLOWED_HOSTS": "eval.example.org"}, "SECRET_KEY must be set"),
        ({"DEBUG": "0", "SECRET_KEY": "x" * 50}, "ALLOWED_HOSTS must list"),
        ({"DEBUG": "0", "SECRET_KEY": "x" * 50, "ALLOWED_HOSTS": "*"}, "ALLOWED_HOSTS must list"),
        ({"DEBUG": "maybe"}, "DEBUG='maybe' is not a boolean"),
    ],
)
def test_insecure_production_settings_refused(tmp_path, env, message):
    result = load_settings(EVALSITE_VAR_DIR=str(tmp_path), **env)
    assert result.returncode != 0
    assert message in result.stderr


def test_production_settings_accepted_when_complete(tmp_path):
    result = load_settings(
        EVALSITE_VAR_DIR=str(tmp_path), DEBUG="0", SECRET_KEY="s" * 50, ALLOWED_HOSTS="eval.example.org"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "False"
