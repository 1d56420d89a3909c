"""Locate the published reference tables (shared/reference beside the repository) for the math tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def reference_dir() -> Path:
    """`shared/reference` beside the repo (CI: repo_root.parent/shared/reference); worktrees look further up.

    EVALSITE_REFERENCE_DIR overrides. Missing tables fail the test (never skip): they are the published values.
    """
    override = os.environ.get("EVALSITE_REFERENCE_DIR")
    candidates = [Path(override)] if override else []
    candidates += [parent / "shared" / "reference" for parent in REPO_ROOT.parents]
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    pytest.fail(
        f"reference tables not found: expected {REPO_ROOT.parent / 'shared' / 'reference'} "
        "(or set EVALSITE_REFERENCE_DIR)",
        pytrace=False,
    )
    raise AssertionError  # unreachable
