"""The docs name no path of one developer's machine: commands are relative to the repository."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MACHINE_PATHS = re.compile(r"(?<![\w.])/(work|home|Users|root)/\S*")


def test_no_doc_names_a_machine_path():
    docs = [ROOT / "README.md", ROOT / ".env.example", *sorted((ROOT / "docs").glob("*.md"))]
    found = [
        f"{doc.relative_to(ROOT)}:{number}: {match.group(0)}"
        for doc in docs
        for number, line in enumerate(doc.read_text(encoding="utf-8").splitlines(), start=1)
        for match in MACHINE_PATHS.finditer(line)
    ]
    assert found == []
