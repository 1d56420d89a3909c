"""The published reference tables the math tests reproduce, kept in the repository (`ratings/tests/reference/`).

Their sources are listed in `ratings/tests/reference/README.md`. A missing table fails the test (never skips):
they are the published values.
"""

from __future__ import annotations

from pathlib import Path

import pytest

REFERENCE_DIR = Path(__file__).resolve().parent / "reference"


def reference_path(name: str) -> Path:
    """Path of one reference table; fails the calling test when it is missing."""
    path = REFERENCE_DIR / name
    if not path.is_file():
        pytest.fail(f"reference table missing: {path} (see ratings/tests/reference/README.md)", pytrace=False)
    return path
