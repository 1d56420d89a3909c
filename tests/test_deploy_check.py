"""`manage.py check --deploy` is clean on the production settings the README documents (a subprocess)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The README's production checklist, as environment variables (DATABASE_URL is not needed by the checks).
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "k7#Qm2@vL9xR4pZ8wN1cT6yB3hJ5fD0gS-aE_uK~oI*rW+eY!t",
    "ALLOWED_HOSTS": "eval.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://eval.example.org",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
    "SECURE_HSTS_PRELOAD": "1",
}
# Schema-generation notes of drf-spectacular (views without serializers): the phase-2 schema fixes, not settings.
SCHEMA_NOTES = "drf_spectacular."


def deploy_check(tmp_path: Path, **env: str) -> tuple[set[str], str]:
    # DJANGO_ALLOW_ASYNC_UNSAFE (set by the browser tests for Playwright) is itself a deploy error (async.E001).
    dropped = {*PRODUCTION, "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean = {k: v for k, v in os.environ.items() if k not in dropped and not k.startswith("SECURE_")}
    clean.update(env, EVALSITE_VAR_DIR=str(tmp_path))
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = result.stdout + result.stderr
    ids = set(re.findall(r"^\S*: \(([\w.]+)\)", output, flags=re.MULTILINE))
    return {i for i in ids if not i.startswith(SCHEMA_NOTES)}, output


def test_deploy_check_is_clean_on_the_documented_production_settings(tmp_path):
    issues, output = deploy_check(tmp_path, **PRODUCTION)
    assert issues == set(), output[-3000:]
    assert "Traceback" not in output


def test_deploy_check_notices_when_hsts_is_left_out(tmp_path):
    env = {k: v for k, v in PRODUCTION.items() if not k.startswith("SECURE_HSTS")}
    issues, output = deploy_check(tmp_path, **env)
    assert "security.W004" in issues, output[-2000:]


def test_deploy_check_notices_when_the_https_redirect_is_turned_off(tmp_path):
    issues, output = deploy_check(tmp_path, **PRODUCTION, SECURE_SSL_REDIRECT="0")
    assert "security.W008" in issues, output[-2000:]
