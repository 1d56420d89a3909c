"""The hostile import corpus (tests/hostile/): each file gets a clear error with line and field, nothing is written.

Run on SQLite by `make test` and on PostgreSQL with DATABASE_URL set (the bulk insert goes
through the raw psycopg2 cursor there, so these values must be refused before any write).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from evalsite.errors import ApplicationError
from tasks.models import Comparison, Output, Prompt, System
from tasks.services.gold import gold_import
from tasks.services.imports import import_outputs
from tasks.tests.factories import OutputFactory, StudyFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = ROOT / "tests" / "hostile"
DOC = ROOT / "docs" / "import-format.md"

# file, study modality, images zip (or None), expected (line, field, code)
IMPORTS = [
    ("images_for_zips.jsonl", "image", "zip_bad_crc.zip", (1, "image", "zip_entry_invalid")),
    ("images_for_zips.jsonl", "image", "zip_lying_size.zip", (1, "image", "zip_entry_invalid")),
    ("images_for_zips.jsonl", "image", "zip_unsupported_method.zip", (1, "image", "zip_entry_invalid")),
    ("output_nul.jsonl", "text", None, (1, "output", "bad_character")),
    ("prompt_lone_surrogate.jsonl", "text", None, (1, "prompt", "bad_character")),
    ("key_lone_surrogate.jsonl", "text", None, (1, "\\udfff", "bad_character")),
    ("messages_nul.jsonl", "text", None, (1, "messages", "bad_character")),
    ("meta_1e400.jsonl", "text", None, (1, None, "bad_number")),
    ("meta_nan.jsonl", "text", None, (1, None, "bad_json")),
    ("meta_infinity.jsonl", "text", None, (1, None, "bad_json")),
    ("nested_5000.jsonl", "text", None, (1, None, "too_deep")),
    ("nested_100.jsonl", "text", None, (1, "meta", "too_deep")),
    ("cell_nul.csv", "text", None, (2, "output", "bad_character")),
    ("cell_json_nul.csv", "text", None, (2, "meta", "bad_character")),
    ("cell_json_1e400.csv", "text", None, (2, "meta", "bad_number")),
    ("unterminated_quote.csv", "text", None, (3, None, "bad_csv")),
    ("stray_quote.csv", "text", None, (2, None, "bad_csv")),
]
GOLD = [
    ("gold_nul.jsonl", (1, "explanation", "invalid_gold")),
    ("gold_unterminated.csv", (2, None, "bad_csv")),
    ("gold_nested.jsonl", (1, None, "too_deep")),
]


def documented_codes() -> set[str]:
    """The error codes in the table of docs/import-format.md (first column, in backticks)."""
    return set(re.findall(r"^\| `([a-z0-9_]+)` \|", DOC.read_text(), flags=re.MULTILINE))


def assert_error_shape(exc: ApplicationError) -> list[dict]:
    assert exc.code == "import_invalid", exc.message
    assert "nothing was imported" in exc.message or "rejected" in exc.message
    errors = exc.extra["errors"]
    assert errors, exc.extra
    for error in errors:
        assert set(error) == {"line", "field", "code", "message"}, error
        assert error["code"] in documented_codes(), f"{error['code']} is not documented in {DOC.name}"
        assert isinstance(error["message"], str) and error["message"]
        # what is echoed back is itself storable and encodable
        for text in (error["message"], error["field"] or ""):
            text.encode("utf-8")
            assert "\x00" not in text
    return errors


def assert_nothing_written(study, media_root) -> None:
    assert not Prompt.objects.filter(study=study).exists()
    assert not System.objects.filter(study=study).exists()
    assert not Output.objects.filter(study=study).exists()
    blind = Path(media_root) / "blind"
    assert not blind.exists() or not any(blind.iterdir())


@pytest.mark.parametrize(("name", "modality", "images", "expected"), IMPORTS, ids=[f"{i[0]}+{i[2]}" for i in IMPORTS])
def test_hostile_import_gets_a_clear_error_and_writes_nothing(name, modality, images, expected, settings):
    study = StudyFactory(status="draft", modality=modality)
    data = (HOSTILE / name).read_bytes()
    zip_bytes = (HOSTILE / images).read_bytes() if images else None
    with pytest.raises(ApplicationError) as caught:
        import_outputs(study=study, data=data, images_zip=zip_bytes, file_format=name.rsplit(".", 1)[1])
    errors = assert_error_shape(caught.value)
    assert any((e["line"], e["field"], e["code"]) == expected for e in errors), errors
    assert_nothing_written(study, settings.MEDIA_ROOT)


@pytest.mark.parametrize(("name", "expected"), GOLD, ids=[g[0] for g in GOLD])
def test_hostile_gold_file_gets_a_clear_error_and_writes_nothing(name, expected):
    study = StudyFactory(status="draft")
    a = OutputFactory(study=study, system__name="a", prompt__external_id="p1")
    OutputFactory(study=study, system__name="b", prompt=a.prompt)
    with pytest.raises(ApplicationError) as caught:
        gold_import(study=study, data=(HOSTILE / name).read_bytes(), file_format=name.rsplit(".", 1)[1])
    errors = assert_error_shape(caught.value)
    assert any((e["line"], e["field"], e["code"]) == expected for e in errors), errors
    assert not Comparison.objects.filter(study=study, kind="gold").exists()


def test_every_code_the_import_can_give_is_documented():
    source = (ROOT / "tasks" / "services" / "imports.py").read_text() + (
        ROOT / "tasks" / "lib" / "jsonsafe.py"
    ).read_text()
    raised = set(re.findall(r'errors\.add\([^,]+,\s*[^,]+,\s*"([a-z0-9_]+)"', source))
    raised |= set(re.findall(r'(?:ImageRejected|JsonRejected)\(\s*"([a-z0-9_]+)"', source))
    raised |= set(
        re.findall(r'ImageRejected\(\s*"([a-z0-9_]+)"', (ROOT / "tasks" / "services" / "blinding.py").read_text())
    )
    assert raised, "the pattern found no codes"
    assert raised <= documented_codes(), raised - documented_codes()
