"""Shared pytest setup: environment-dependent skips that turn into failures in strict mode.

Tests that need PostgreSQL, Redis (+ a Celery worker) or Chromium call the
`require_*` helpers (or use the fixtures). Without EVALSITE_STRICT=1 a missing
service skips the test with the reason; with it, the test fails, so CI can never
go green by skipping.
"""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.conf import settings


def _strict() -> bool:
    return os.environ.get("EVALSITE_STRICT", "").strip().lower() in {"1", "true", "yes", "on"}


def missing(reason: str) -> None:
    """Skip (or fail, in strict mode) because an external dependency is missing."""
    if _strict():
        pytest.fail(f"EVALSITE_STRICT=1 and {reason}", pytrace=False)
    pytest.skip(reason)


def require_postgres() -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        missing("this test needs PostgreSQL: set DATABASE_URL=postgres://...")


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=1):
            return True
    except OSError:
        return False


def require_redis() -> str:
    url = settings.CELERY_BROKER_URL
    if not url.startswith("redis"):
        missing("this test needs Redis: set CELERY_BROKER_URL=redis://...")
    if not _reachable(url, 6379):
        missing(f"Redis at {url} is not reachable")
    return url


def chromium_path() -> str:
    for candidate in (os.environ.get("CHROMIUM_PATH", ""), "/usr/bin/chromium", shutil.which("chromium") or ""):
        if candidate and Path(candidate).exists():
            return candidate
    missing("this test needs Debian's chromium (apt-get install -y chromium)")
    return ""  # unreachable


@pytest.fixture
def postgres_db(transactional_db: None) -> None:
    require_postgres()


@pytest.fixture
def redis_url() -> str:
    return require_redis()


@pytest.fixture(autouse=True, scope="session")
def _jobs_run_eagerly() -> None:
    """Tests run Celery jobs in-process even when CELERY_BROKER_URL points at Redis (as in CI).

    Only the real-worker tests (tests/test_celery_worker.py) switch this off for their duration.
    """
    from evalsite.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Each test starts with an empty cache: ids are reused after rollbacks, so cached results (leaderboard
    debounce, agreement) of one test must never be seen by the next."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _media_root(tmp_path_factory: pytest.TempPathFactory, settings: object) -> None:
    """Every test writes uploaded and blinded files under its own temporary MEDIA_ROOT."""
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")  # type: ignore[attr-defined]
    # Fast hashing: tests create many accounts; PBKDF2's deliberate slowness is not under test here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]
