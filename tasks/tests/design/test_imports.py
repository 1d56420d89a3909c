from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from evalsite.errors import ApplicationError
from tasks.models import Comparison, ImportJob, Output, Prompt, System
from tasks.services.imports import import_outputs
from tasks.tests.design.conftest import jsonl, make_zip, png_with_metadata, text_rows

pytestmark = pytest.mark.django_db


def good_rows(n_prompts: int = 3, systems=("alpha-one", "beta-two")) -> list[dict]:
    return [row | {"tags": ["t"]} for row in text_rows(n_prompts, systems)]


def errors_of(study, data, **kwargs) -> list[dict]:
    with pytest.raises(ApplicationError) as exc:
        import_outputs(study=study, data=data, **kwargs)
    assert exc.value.code == "import_invalid", exc.value.message
    return exc.value.extra["errors"]


def assert_nothing_written(study, media_root=None) -> None:
    assert not Prompt.objects.filter(study=study).exists()
    assert not System.objects.filter(study=study).exists()
    assert not Output.objects.filter(study=study).exists()
    assert not Comparison.objects.filter(study=study).exists()
    if media_root is not None:
        blind = Path(media_root) / "blind"
        assert not blind.exists() or not any(blind.iterdir())


def has(errors: list[dict], line, field, code) -> bool:
    return any(e["line"] == line and e["field"] == field and e["code"] == code for e in errors)


def test_good_text_import(draft_text_study):
    rows = good_rows()
    rows[0]["messages"] = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]
    rows[0]["meta"] = {"latency_ms": 120}
    summary = import_outputs(study=draft_text_study, data=jsonl(rows)).summary
    assert summary["outputs_created"] == 6 and summary["prompts_created"] == 3 and summary["systems_created"] == 2
    prompt = Prompt.objects.get(study=draft_text_study, external_id="p0")
    assert prompt.tags == ["t"] and prompt.messages[1]["role"] == "assistant"
    assert Output.objects.get(prompt=prompt, system__name="alpha-one").meta == {"latency_ms": 120}


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda r: r[1].update(colour="red"), (2, "colour", "unknown_field")),
        (lambda r: r[2].pop("prompt_id"), (3, "prompt_id", "missing_field")),
        (lambda r: r[2].pop("system"), (3, "system", "missing_field")),
        (lambda r: r[3].pop("output"), (4, "output", "missing_output")),
        (lambda r: r[3].update(output="   "), (4, "output", "missing_output")),
        (lambda r: r[1].update(output=42), (2, "output", "wrong_type")),
        (lambda r: r[1].update(prompt_id=["p"]), (2, "prompt_id", "wrong_type")),
        (lambda r: r[1].update(tags="not-a-list"), (2, "tags", "wrong_type")),
        (lambda r: r[1].update(messages=[{"role": "wizard", "content": "x"}]), (2, "messages", "wrong_type")),
        (lambda r: r[1].update(meta=[1, 2]), (2, "meta", "wrong_type")),
        (lambda r: r[5].update(system="alpha-one"), (6, "system", "duplicate_output")),
        (lambda r: r[1].update(prompt="A different question"), (2, "prompt", "inconsistent_prompt")),
        (lambda r: r[5].update(image="x.png"), (6, "image", "modality_mismatch")),
        (lambda r: r[0].update(prompt="", prompt_id="new"), (1, "prompt", "missing_field")),
        (lambda r: r[0].update(gold={"vs": "nobody", "answer": "a"}), (1, "gold", "invalid_gold")),
        (lambda r: r[0].update(gold={"vs": "beta-two", "answer": {"style": "a"}}), (1, "gold", "invalid_gold")),
        (lambda r: r[0].update(gold="a"), (1, "gold", "wrong_type")),
    ],
)
def test_each_validation_error_has_line_and_field_and_nothing_is_written(draft_text_study, mutate, expected, settings):
    rows = good_rows()
    mutate(rows)
    errors = errors_of(draft_text_study, jsonl(rows))
    assert has(errors, *expected), errors
    assert_nothing_written(draft_text_study, settings.MEDIA_ROOT)


def test_bad_json_bad_utf8_and_non_objects_are_reported_per_line(draft_text_study):
    good = jsonl(good_rows(1)).splitlines()
    nan = b'{"prompt_id": "p0", "prompt": "Question 0?", "system": "z-sys", "output": "x", "meta": {"score": NaN}}'
    data = (
        b"\n".join([good[0], b'{"prompt_id": "p9", ', b'["a list"]', b'{"prompt_id": "\xff\xfe"}', good[1], nan])
        + b"\n"
    )
    errors = errors_of(draft_text_study, data)
    assert has(errors, 6, None, "bad_json")
    assert has(errors, 2, None, "bad_json")
    assert has(errors, 3, None, "not_object")
    assert has(errors, 4, None, "bad_utf8")
    assert_nothing_written(draft_text_study)


def test_all_errors_reported_at_once(draft_text_study):
    rows = good_rows(5)
    rows[1]["colour"] = "x"
    rows[7].pop("output")
    errors = errors_of(draft_text_study, jsonl(rows))
    assert has(errors, 2, "colour", "unknown_field") and has(errors, 8, "output", "missing_output")


def test_empty_file(draft_text_study):
    assert has(errors_of(draft_text_study, b"\n\n"), None, "file", "empty_file")


def test_file_size_and_line_limits(draft_text_study, settings):
    settings.EVALSITE_IMPORT_MAX_BYTES = 100
    assert has(errors_of(draft_text_study, jsonl(good_rows())), None, "file", "file_too_large")
    settings.EVALSITE_IMPORT_MAX_BYTES = 10_000_000
    settings.EVALSITE_IMPORT_MAX_LINES = 3
    assert has(errors_of(draft_text_study, jsonl(good_rows())), None, "file", "too_many_lines")
    assert_nothing_written(draft_text_study)


def test_csv_same_columns(draft_text_study):
    data = (
        b"prompt_id,prompt,system,output,tags,meta\n"
        b'p1,"Explain RAG, briefly.",alpha-one,"Retrieval, then generation.",explain;short,"{""k"": 1}"\n'
        b'p1,"Explain RAG, briefly.",beta-two,"It fetches documents\nthen answers.",explain;short,\n'
    )
    summary = import_outputs(study=draft_text_study, data=data, file_format="csv").summary
    assert summary["outputs_created"] == 2
    prompt = Prompt.objects.get(study=draft_text_study)
    assert prompt.text == "Explain RAG, briefly." and prompt.tags == ["explain", "short"]
    assert Output.objects.get(system__name="beta-two").text == "It fetches documents\nthen answers."


def test_csv_errors_use_file_line_numbers(draft_text_study):
    data = (
        b"prompt_id,prompt,system,output,colour\n"  # line 1: unknown column
        b"p1,Q,alpha-one,A,\n"
        b'p1,Q,beta-two,"multi\nline",\n'  # lines 3-4
        b"p1,Q,beta-two,dup,\n"  # line 5: duplicate
        b"p2,Q2,alpha-one\n"  # line 6: wrong cell count
    )
    errors = errors_of(draft_text_study, data, file_format="csv")
    assert has(errors, 1, "colour", "unknown_field")
    assert has(errors, 5, "system", "duplicate_output")
    assert has(errors, 6, None, "bad_csv")
    assert_nothing_written(draft_text_study)


def test_csv_bad_utf8(draft_text_study):
    data = b"prompt_id,prompt,system,output\np1,Q,a-sys,ok\np2,Q,a-sys,\xff\n"
    assert has(errors_of(draft_text_study, data, file_format="csv"), 3, None, "bad_utf8")


def test_reimport_is_idempotent_and_adds_new_prompts_and_systems(draft_text_study):
    import_outputs(study=draft_text_study, data=jsonl(good_rows(2)))
    again = import_outputs(study=draft_text_study, data=jsonl(good_rows(2))).summary
    assert again["outputs_created"] == 0 and again["outputs_skipped"] == 4
    more = good_rows(3, systems=("alpha-one", "beta-two", "delta-four"))
    summary = import_outputs(study=draft_text_study, data=jsonl(more)).summary
    assert summary == {
        "lines": 9,
        "systems_created": 1,
        "prompts_created": 1,
        "outputs_created": 5,
        "outputs_skipped": 4,
        "images_stored": 0,
        "flagged": 0,
        "gold_marked": 0,
        "earlier_outputs_flagged": 0,
    }
    assert Output.objects.filter(study=draft_text_study).count() == 9
    assert Prompt.objects.filter(study=draft_text_study).count() == 3


def test_reimport_with_changed_prompt_text_is_refused(draft_text_study):
    import_outputs(study=draft_text_study, data=jsonl(good_rows(1)))
    rows = good_rows(1, systems=("gamma-three",))
    rows[0]["prompt"] = "Another text"
    assert has(errors_of(draft_text_study, jsonl(rows)), 1, "prompt", "inconsistent_prompt")
    assert not System.objects.filter(name="gamma-three").exists()


def test_import_only_into_draft(draft_text_study):
    from tasks.services.studies import study_transition

    import_outputs(study=draft_text_study, data=jsonl(good_rows(1)))
    study_transition(study=draft_text_study, action="launch")
    with pytest.raises(ApplicationError) as exc:
        import_outputs(study=draft_text_study, data=jsonl(good_rows(2)))
    assert exc.value.code == "study_not_draft"


def test_gold_in_import(draft_text_study):
    rows = good_rows(2)
    rows[0]["gold"] = {"vs": "beta-two", "answer": {"overall": "a"}, "explanation": "B is wrong."}
    summary = import_outputs(study=draft_text_study, data=jsonl(rows)).summary
    assert summary["gold_marked"] == 1
    gold = Comparison.objects.get(study=draft_text_study, kind="gold")
    winner = gold.output_a if gold.gold_answers["overall"] == "a" else gold.output_b
    assert winner.system.name == "alpha-one" and gold.gold_explanation == "B is wrong."


# ---------------------------------------------------------------- images


def image_rows(paths=("imgs/a.png", "imgs/b.png")) -> list[dict]:
    return [
        {"prompt_id": "p1", "prompt": "A red fox in snow", "system": f"sys-{i}", "image": path}
        for i, path in enumerate(paths)
    ]


def test_image_import_blinds_and_stores_under_random_names(draft_image_study, settings):
    archive = make_zip({"imgs/a.png": png_with_metadata(), "imgs/b.png": png_with_metadata((0, 0, 200))})
    rows = image_rows()
    rows[0]["prompt_image"] = "imgs/a.png"
    summary = import_outputs(study=draft_image_study, data=jsonl(rows), images_zip=archive).summary
    assert summary["outputs_created"] == 2 and summary["images_stored"] == 2
    for output in Output.objects.filter(study=draft_image_study):
        assert output.image.name.startswith("blind/") and output.image.name.endswith(".png")
        assert "sys" not in output.image.name and "imgs" not in output.image.name
        assert (output.image_width, output.image_height) == (8, 6)
    assert Prompt.objects.get(study=draft_image_study).image.name.startswith("blind/")


@pytest.mark.parametrize(
    ("files", "rows", "expected"),
    [
        ({"imgs/a.png": png_with_metadata()}, image_rows(), (2, "image", "image_missing")),
        (
            {"imgs/a.png": png_with_metadata(), "imgs/b.png": b"GIF89a not really"},
            image_rows(),
            (2, "image", "not_an_image"),
        ),
        ({"imgs/a.png": png_with_metadata(), "imgs/b.png": b"hello"}, image_rows(), (2, "image", "not_an_image")),
        ({"imgs/a.png": png_with_metadata()}, image_rows(("imgs/a.png", "../b.png")), (2, "image", "unsafe_path")),
    ],
)
def test_image_errors(draft_image_study, settings, files, rows, expected):
    errors = errors_of(draft_image_study, jsonl(rows), images_zip=make_zip(files))
    assert has(errors, *expected), errors
    assert_nothing_written(draft_image_study, settings.MEDIA_ROOT)


def test_image_without_zip(draft_image_study):
    assert has(errors_of(draft_image_study, jsonl(image_rows())), 1, "image", "image_missing")


def test_text_output_in_image_study_is_a_modality_mismatch(draft_image_study):
    rows = image_rows()
    rows[1]["output"] = "some text"
    errors = errors_of(draft_image_study, jsonl(rows), images_zip=make_zip({"imgs/a.png": png_with_metadata()}))
    assert has(errors, 2, "output", "modality_mismatch")


def test_one_bad_image_stores_no_file(draft_image_study, settings):
    rows = image_rows(("imgs/a.png", "imgs/b.png", "imgs/c.png"))
    archive = make_zip({"imgs/a.png": png_with_metadata(), "imgs/b.png": png_with_metadata(), "imgs/c.png": b"x"})
    assert has(errors_of(draft_image_study, jsonl(rows), images_zip=archive), 3, "image", "not_an_image")
    assert_nothing_written(draft_image_study, settings.MEDIA_ROOT)


def test_decompression_bomb_refused_from_header_without_decoding(draft_image_study, settings):
    settings.EVALSITE_IMAGE_MAX_PIXELS = 10_000
    big = io.BytesIO()
    Image.new("L", (200, 200)).save(big, format="PNG")  # 40000 px, compresses to a few hundred bytes
    archive = make_zip({"imgs/a.png": png_with_metadata(), "imgs/b.png": big.getvalue()})
    errors = errors_of(draft_image_study, jsonl(image_rows()), images_zip=archive)
    assert has(errors, 2, "image", "image_too_many_pixels")
    assert "not decoded" in next(e["message"] for e in errors if e["code"] == "image_too_many_pixels")


def test_image_file_size_limit(draft_image_study, settings):
    settings.EVALSITE_IMAGE_MAX_BYTES = 50
    archive = make_zip({"imgs/a.png": png_with_metadata(), "imgs/b.png": png_with_metadata()})
    assert has(errors_of(draft_image_study, jsonl(image_rows()), images_zip=archive), 1, "image", "image_too_large")


def _zip_with_names(names: list[str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in names:
            archive.writestr(zipfile.ZipInfo(name), png_with_metadata())
    return out.getvalue()


@pytest.mark.parametrize(
    "evil", ["../../etc/passwd", "/abs/b.png", "imgs/../../b.png", "C:/win/b.png", "imgs\\..\\b.png"]
)
def test_zip_path_traversal_refused(draft_image_study, evil):
    archive = _zip_with_names(["imgs/a.png", "imgs/b.png", evil])
    errors = errors_of(draft_image_study, jsonl(image_rows()), images_zip=archive)
    assert has(errors, None, "images", "zip_unsafe_path")
    assert_nothing_written(draft_image_study)


def test_zip_bomb_ratio_refused(draft_image_study):
    bomb = make_zip(
        {"imgs/a.png": png_with_metadata(), "imgs/b.png": png_with_metadata(), "bomb.bin": b"\0" * (5 * 1024 * 1024)},
        compression=zipfile.ZIP_DEFLATED,
    )
    assert len(bomb) < 100_000
    assert has(errors_of(draft_image_study, jsonl(image_rows()), images_zip=bomb), None, "images", "zip_bomb")


def test_zip_limits(draft_image_study, settings):
    archive = make_zip({"imgs/a.png": png_with_metadata(), "imgs/b.png": png_with_metadata(), "c": b"1"})
    settings.EVALSITE_ZIP_MAX_ENTRIES = 2
    assert has(
        errors_of(draft_image_study, jsonl(image_rows()), images_zip=archive), None, "images", "zip_too_many_entries"
    )
    settings.EVALSITE_ZIP_MAX_ENTRIES = 100
    settings.EVALSITE_ZIP_MAX_UNCOMPRESSED = 100
    assert has(errors_of(draft_image_study, jsonl(image_rows()), images_zip=archive), None, "images", "zip_too_large")
    settings.EVALSITE_ZIP_MAX_UNCOMPRESSED = 10**9
    assert has(
        errors_of(draft_image_study, jsonl(image_rows()), images_zip=b"not a zip"), None, "images", "zip_invalid"
    )
    assert_nothing_written(draft_image_study)


# ---------------------------------------------------------------- background jobs


def test_large_import_runs_as_a_job_with_progress(draft_text_study, settings, django_capture_on_commit_callbacks):
    settings.EVALSITE_IMPORT_ASYNC_LINES = 4
    with django_capture_on_commit_callbacks(execute=True):
        result = import_outputs(study=draft_text_study, data=jsonl(good_rows(3)))
    assert result.summary is None and result.job is not None
    job = ImportJob.objects.get(pk=result.job.pk)
    assert job.status == "done" and job.lines_total == 6 and job.lines_done == 6
    assert job.summary["outputs_created"] == 6
    assert Output.objects.filter(study=draft_text_study).count() == 6


def test_failed_job_keeps_line_errors_and_writes_nothing(
    draft_text_study, settings, django_capture_on_commit_callbacks
):
    settings.EVALSITE_IMPORT_ASYNC_LINES = 4
    rows = good_rows(3)
    rows[4]["colour"] = "x"
    with django_capture_on_commit_callbacks(execute=True):
        result = import_outputs(study=draft_text_study, data=jsonl(rows))
    job = ImportJob.objects.get(pk=result.job.pk)
    assert job.status == "failed"
    assert {"line": 5, "field": "colour", "code": "unknown_field"}.items() <= job.errors[0].items()
    assert_nothing_written(draft_text_study)


def test_callable_from_python_with_file_objects(draft_text_study):
    summary = import_outputs(study=draft_text_study, data=io.BytesIO(jsonl(good_rows(1))), file_format="jsonl").summary
    assert summary["outputs_created"] == 2
    assert json.loads(json.dumps(summary)) == summary


def test_duplicate_tags_on_a_prompt_count_once(draft_text_study):
    rows = [
        {"prompt_id": "p1", "prompt": "Q?", "system": "alpha", "output": "A", "tags": ["math", "math", "easy"]},
        {"prompt_id": "p1", "prompt": "Q?", "system": "bravo", "output": "B", "tags": ["math", "math", "easy"]},
    ]
    import_outputs(study=draft_text_study, data=jsonl(rows), background=False)
    assert Prompt.objects.get(study=draft_text_study, external_id="p1").tags == ["math", "easy"]
