"""Production refuses insecure defaults; the embedded default needs no configuration."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STRONG = "k7#Qm2@vL9xR4pZ8wN1cT6yB3hJ5fD0gS-aE_uK~oI*rW+eY!t"  # 51 characters, all distinct


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
        ({"DEBUG": "0", "SECRET_KEY": STRONG}, "ALLOWED_HOSTS must list"),
        ({"DEBUG": "0", "SECRET_KEY": STRONG, "ALLOWED_HOSTS": "*"}, "ALLOWED_HOSTS must list"),
        ({"DEBUG": "maybe"}, "DEBUG='maybe' is not a boolean"),
    ],
)
def test_insecure_production_settings_refused(tmp_path, env, message):
    result = load_settings(EVALSITE_VAR_DIR=str(tmp_path), **env)
    assert result.returncode != 0
    assert message in result.stderr


def test_production_settings_accepted_when_complete(tmp_path):
    result = load_settings(
        EVALSITE_VAR_DIR=str(tmp_path), DEBUG="0", SECRET_KEY=STRONG, ALLOWED_HOSTS="eval.example.org"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "False"


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("abc", "it has 3 characters"),
        ("s" * 50, "fewer than 5 distinct characters"),
        ("abcd" * 20, "fewer than 5 distinct characters"),
        ("django-insecure-" + "k7#Qm2@vL9xR4pZ8wN1cT6yB3hJ5fD0gS-aE_uK~o", "generated development key"),
        ("abcde" * 12, "repeats itself"),
        ("correct horse battery staple " * 2, "repeats itself"),
        ("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaabcde", "too predictable"),
    ],
)
def test_weak_secret_key_refused_in_production(tmp_path, key, reason):
    result = load_settings(EVALSITE_VAR_DIR=str(tmp_path), DEBUG="0", SECRET_KEY=key, ALLOWED_HOSTS="eval.example.org")
    assert result.returncode != 0
    assert "SECRET_KEY is too weak" in result.stderr and reason in result.stderr, result.stderr[-500:]


def test_weak_secret_key_still_fine_for_local_debug(tmp_path):
    result = load_settings(EVALSITE_VAR_DIR=str(tmp_path), DEBUG="1", SECRET_KEY="abc")
    assert result.returncode == 0, result.stderr


def test_a_generated_key_is_accepted():
    import secrets

    from evalsite.settings import secret_key_problem

    assert all(secret_key_problem(secrets.token_urlsafe(50)) is None for _ in range(50))
    assert all(secret_key_problem(secrets.token_hex(32)) is None for _ in range(50))
