"""Property-based fuzzing of everything that takes untrusted structured input at the service level.

- the importer (JSONL, CSV, and image zips): generated hostile files either import cleanly or raise the
  documented error shape (docs/import-format.md), never another exception, and a refused import leaves
  no row and no blinded file behind;
- the gold-file import: the same contract;
- the rater submit service (`judgment_submit`) and the feedback ingest service (`feedback_ingest`) with
  hostile JSON-like payloads: a result or an ApplicationError with a 4xx status, never another exception,
  and a refused submission writes nothing.

Runs on SQLite (`make test`) and on PostgreSQL (set DATABASE_URL), where the bulk insert goes through the raw
psycopg2 cursor. EVALSITE_FUZZ_EXAMPLES sets the number of generated inputs per property (default 40).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import struct
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from evalsite.errors import ApplicationError
from ratings.models import Feedback, Judgment
from ratings.services.feedback import api_key_create, feedback_ingest
from ratings.services.judgments import judgment_submit
from tasks.models import Comparison, Output, Prompt, System
from tasks.services.assignment import assignment_next
from tasks.services.gold import gold_import
from tasks.services.imports import FIELDS, import_outputs
from tasks.tests.factories import ComparisonFactory, OutputFactory, RaterFactory, StudyFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = int(os.environ.get("EVALSITE_FUZZ_EXAMPLES", "40"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
DOCUMENTED = set(re.findall(r"^\| `([a-z0-9_]+)` \|", (ROOT / "docs" / "import-format.md").read_text(), re.MULTILINE))

# ------------------------------------------------------------------ strategies

SPECIAL = [
    "\x00",
    "\ud800",
    "\udfff",
    '"',
    '""',
    "\n",
    "\r",
    "\r\n",
    ",",
    ";",
    "\\",
    "=cmd|' /C calc'!A0",
    "\u202e",
    "\ufeff",
    "Claude",
    "C l a u d e",
    "../../etc/passwd",
    "/abs.png",
    "a.png",
    "img/b.png",
    "",
    " ",
    "x" * 300,
]
hostile_text = st.one_of(
    st.sampled_from(SPECIAL),
    st.text(st.characters(codec=None, exclude_categories=()), max_size=12),
    st.text(max_size=20),
)
scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    hostile_text,
)
json_like = st.recursive(
    scalar,
    lambda children: st.one_of(st.lists(children, max_size=3), st.dictionaries(hostile_text, children, max_size=3)),
    max_leaves=8,
)
systems = st.sampled_from(["sys-a", "sys-b", "sys-c"])
prompt_ids = st.sampled_from(["p1", "p2", "p3"])


@st.composite
def records(draw: st.DrawFn, image: bool = False) -> dict[str, Any]:
    record: dict[str, Any] = {
        "prompt_id": draw(st.one_of(prompt_ids, prompt_ids, json_like)),
        "system": draw(st.one_of(systems, systems, json_like)),
        "prompt": draw(st.one_of(st.just("Say something."), hostile_text, json_like)),
    }
    if image:
        record["image"] = draw(st.one_of(st.sampled_from(["a.png", "img/b.png", "missing.png"]), hostile_text))
    else:
        record["output"] = draw(st.one_of(st.just("An answer."), hostile_text, json_like))
    for name in draw(st.sets(st.sampled_from([*FIELDS, "colour"]), max_size=3)):
        if name in ("messages", "tags"):
            record[name] = draw(
                st.one_of(
                    st.lists(st.fixed_dictionaries({"role": st.just("user"), "content": hostile_text}), max_size=2),
                    st.lists(hostile_text, max_size=3),
                    json_like,
                )
            )
        elif name == "gold":
            record[name] = draw(
                st.one_of(st.fixed_dictionaries({"vs": systems, "answer": st.sampled_from(["a", "b", "x"])}), json_like)
            )
        elif name not in record:
            record[name] = draw(json_like)
    return record


def nest(depth: int) -> str:
    return "[" * depth + "]" * depth


@st.composite
def mutated(draw: st.DrawFn, data: bytes) -> bytes:
    """Byte-level damage on top of a generated file."""
    op = draw(st.sampled_from(["none", "none", "truncate", "insert", "nest", "number", "quote", "bom", "crlf"]))
    if op == "truncate" and data:
        return data[: draw(st.integers(0, len(data) - 1))]
    if op == "insert":
        at = draw(st.integers(0, len(data)))
        return data[:at] + draw(st.binary(min_size=1, max_size=4)) + data[at:]
    if op == "nest":
        return data.replace(b'"Say something."', nest(draw(st.sampled_from([70, 3000, 6000]))).encode(), 1)
    if op == "number":
        return data.replace(b'"An answer."', draw(st.sampled_from([b"1e400", b"-1e999", b"NaN", b"9" * 5000])), 1)
    if op == "quote" and data:
        at = draw(st.integers(0, len(data)))
        return data[:at] + b'"' + data[at:]
    if op == "bom":
        return b"\xef\xbb\xbf" + data
    if op == "crlf":
        return data.replace(b"\n", b"\r\n")
    return data


def encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")  # a lone surrogate becomes invalid UTF-8, as a careless tool writes


@st.composite
def jsonl_files(draw: st.DrawFn, image: bool = False) -> bytes:
    lines = [
        json.dumps(record, ensure_ascii=draw(st.booleans()), allow_nan=True)
        for record in draw(st.lists(records(image=image), min_size=1, max_size=4))
    ]
    return draw(mutated(encode("\n".join(lines) + "\n")))


@st.composite
def csv_files(draw: st.DrawFn) -> bytes:
    rows = draw(st.lists(records(), min_size=1, max_size=4))
    header = sorted({name for row in rows for name in row})
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=draw(st.sampled_from(["\n", "\r\n"])))
    writer.writerow(header)
    for row in rows:
        cells = []
        for name in header:
            value = row.get(name, "")
            cells.append(value if isinstance(value, str) else json.dumps(value, allow_nan=True))
        writer.writerow(cells)
    return draw(mutated(encode(buffer.getvalue())))


def png(size: tuple[int, int], mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (10, 200, 30, 128)[: len(mode)]).save(out, format="PNG")
    return out.getvalue()


@st.composite
def zips(draw: st.DrawFn) -> bytes:
    out = io.BytesIO()
    method = draw(st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED]))
    with zipfile.ZipFile(out, "w", compression=method) as archive:
        archive.writestr(
            "a.png", png((draw(st.integers(1, 40)), draw(st.integers(1, 40))), draw(st.sampled_from(["RGB", "RGBA"])))
        )
        archive.writestr("img/b.png", draw(st.one_of(st.just(png((8, 8))), st.binary(max_size=64))))
    raw = bytearray(out.getvalue())
    op = draw(st.sampled_from(["none", "flip", "crc", "size", "method", "truncate"]))
    directory = raw.rfind(b"PK\x01\x02")
    if op == "flip":
        at = draw(st.integers(30, max(30, directory - 1)))
        raw[at] ^= draw(st.integers(1, 255))
    elif op in ("crc", "size", "method"):
        local, central, width = {"crc": (14, 16, 4), "size": (22, 24, 4), "method": (8, 10, 2)}[op]
        value = draw(st.integers(0, 2 ** (8 * width) - 1))
        packed = struct.pack("<I" if width == 4 else "<H", value)
        raw[local : local + width] = packed
        if draw(st.booleans()):  # headers that agree with each other, or not
            raw[directory + central : directory + central + width] = packed
    elif op == "truncate":
        raw = raw[: draw(st.integers(0, len(raw) - 1))]
    return bytes(raw)


# ------------------------------------------------------------------ the properties


def blind_files(media_root: Path) -> set[str]:
    blind = Path(media_root) / "blind"
    return {p.name for p in blind.iterdir()} if blind.exists() else set()


def rows_of(study) -> tuple[int, int, int, int]:
    return (
        Prompt.objects.filter(study=study).count(),
        System.objects.filter(study=study).count(),
        Output.objects.filter(study=study).count(),
        Comparison.objects.filter(study=study).count(),
    )


def assert_import_contract(study, media_root, **kwargs: Any) -> None:
    before_rows, before_files = rows_of(study), blind_files(media_root)
    try:
        summary = import_outputs(study=study, background=False, **kwargs).summary
    except ApplicationError as exc:
        assert exc.code == "import_invalid", (exc.code, exc.message)
        errors = exc.extra["errors"]
        assert errors and isinstance(exc.extra["truncated"], bool)
        for error in errors:
            assert set(error) == {"line", "field", "code", "message"}, error
            assert error["code"] in DOCUMENTED, error
            assert error["line"] is None or (isinstance(error["line"], int) and error["line"] >= 1), error
            json.dumps(error, ensure_ascii=False).encode("utf-8")  # the answer itself can be rendered
            assert "\x00" not in json.dumps(error, ensure_ascii=False)
        assert rows_of(study) == before_rows, "a refused import wrote rows"
        assert blind_files(media_root) == before_files, "a refused import left blinded files"
        return
    assert summary is not None
    prompts, system_rows, outputs, _ = rows_of(study)
    assert outputs - before_rows[2] == summary["outputs_created"]
    assert prompts - before_rows[0] == summary["prompts_created"]
    assert system_rows - before_rows[1] == summary["systems_created"]
    for output in Output.objects.filter(study=study):
        json.dumps(output.meta, allow_nan=False)  # what was stored is real JSON


@FUZZ
@given(data=jsonl_files())
def test_jsonl_import_fuzz(data, settings):
    assert_import_contract(StudyFactory(status="draft", modality="text"), settings.MEDIA_ROOT, data=data)


@FUZZ
@given(data=csv_files())
def test_csv_import_fuzz(data, settings):
    study = StudyFactory(status="draft", modality="text")
    assert_import_contract(study, settings.MEDIA_ROOT, data=data, file_format="csv")


@FUZZ
@given(data=jsonl_files(image=True), images=st.one_of(zips(), st.none(), st.binary(max_size=40)))
def test_image_import_fuzz(data, images, settings):
    study = StudyFactory(status="draft", modality="image")
    assert_import_contract(study, settings.MEDIA_ROOT, data=data, images_zip=images)


gold_rows = st.fixed_dictionaries(
    {
        "prompt_id": st.one_of(st.just("p1"), json_like),
        "system_a": st.one_of(st.just("a"), json_like),
        "system_b": st.one_of(st.just("b"), json_like),
        "answer": st.one_of(st.sampled_from(["a", "tie", "x"]), json_like),
    },
    optional={"explanation": json_like, "other": json_like},
)


@FUZZ
@given(rows=st.lists(gold_rows, min_size=1, max_size=3), file_format=st.sampled_from(["jsonl", "csv"]))
def test_gold_import_fuzz(rows, file_format):
    study = StudyFactory(status="draft")
    a = OutputFactory(study=study, system__name="a", prompt__external_id="p1")
    OutputFactory(study=study, system__name="b", prompt=a.prompt)
    if file_format == "jsonl":
        data = encode("\n".join(json.dumps(r, allow_nan=True) for r in rows) + "\n")
    else:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        names = sorted({k for r in rows for k in r})
        writer.writerow(names)
        for r in rows:
            writer.writerow(
                [r.get(k) if isinstance(r.get(k), str) else json.dumps(r.get(k), allow_nan=True) for k in names]
            )
        data = encode(buffer.getvalue())
    try:
        result = gold_import(study=study, data=data, file_format=file_format)
    except ApplicationError as exc:
        assert exc.code in {"import_invalid", "empty_file", "gold_answer_frozen"}, (exc.code, exc.message)
        for error in exc.extra.get("errors", []):
            assert set(error) == {"line", "field", "code", "message"}, error
            json.dumps(error, ensure_ascii=False).encode("utf-8")
        assert not Comparison.objects.filter(study=study, kind="gold").exists()
        return
    assert Comparison.objects.filter(study=study, kind="gold").count() == result["gold_marked"] == 1


@FUZZ
@given(
    choices=st.one_of(
        st.fixed_dictionaries({"overall": st.sampled_from(["left", "right", "tie", "both_bad"])}),
        json_like,
        st.dictionaries(hostile_text, json_like, max_size=3),
    ),
    likert=st.one_of(st.none(), json_like, st.just({"overall": {"left": 3, "right": 9}})),
    rationale=st.one_of(st.just(""), hostile_text, json_like),
    public_id=st.one_of(st.none(), hostile_text),
)
def test_judgment_submit_fuzz(choices, likert, rationale, public_id):
    study = StudyFactory(status="live", likert_scale=5, rationale="optional", min_seconds=0)
    ComparisonFactory(study=study)
    rater = RaterFactory(study=study)
    assignment = assignment_next(rater=rater)
    assert assignment is not None
    try:
        result = judgment_submit(
            rater=rater,
            assignment_public_id=public_id if public_id is not None else assignment.public_id,
            choices=choices,
            likert=likert,
            rationale=rationale,
        )
    except ApplicationError as exc:
        assert 400 <= exc.status_code < 500, exc
        json.dumps({"message": exc.message, "code": exc.code, "extra": exc.extra}, ensure_ascii=False).encode()
        assert not Judgment.objects.filter(assignment=assignment).exists()
        return
    assert result.created and Judgment.objects.filter(assignment=assignment).count() == 1


feedback_events = st.one_of(
    st.fixed_dictionaries(
        {
            "event_id": st.one_of(st.text(min_size=1, max_size=8), json_like),
            "kind": st.sampled_from(["thumbs", "score", "preference", "x"]),
        },
        optional={
            "system": st.one_of(systems, json_like),
            "system_b": st.one_of(systems, json_like),
            "output": json_like,
            "value": json_like,
            "winner": st.one_of(st.sampled_from(["a", "b", "tie"]), json_like),
            "comment": json_like,
            "segment": json_like,
            "timestamp": st.one_of(
                st.sampled_from(
                    [
                        "2026-02-30T10:00:00",
                        "0001-01-01T00:00:00+05:00",
                        "9999-12-31T23:59:59-05:00",
                        "2026-11-01T25:00:00Z",
                        "2026-11-01T10:00:00Z",
                    ]
                ),
                json_like,
            ),
        },
    ),
    json_like,
)


@FUZZ
@given(events=st.one_of(st.lists(feedback_events, max_size=5), json_like))
def test_feedback_ingest_fuzz(events):
    study = StudyFactory(status="live")
    for name in ("sys-a", "sys-b"):
        System.objects.create(study=study, name=name)
    key = api_key_create(study=study, name="fuzz", user=None).api_key
    try:
        result = feedback_ingest(api_key=key, events=events)
    except ApplicationError as exc:
        assert 400 <= exc.status_code < 500 and exc.code in {"invalid_batch", "batch_too_large"}, exc
        assert not Feedback.objects.filter(study=study).exists()
        return
    json.dumps(result, ensure_ascii=False, default=str).encode("utf-8")
    assert result["received"] == len(events)
    assert result["accepted"] + result["duplicates"] + result["rejected"] == len(events)
    assert Feedback.objects.filter(study=study).count() == result["accepted"]
