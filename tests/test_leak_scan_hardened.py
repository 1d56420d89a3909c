"""The leak scan sees through disguises, scans everything a rater reads, rescans when systems are added;
image studies put every output on one canvas without alpha, so size and transparency give nothing away."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image

from tasks.lib.skeleton import confusable_map, skeletons
from tasks.models import Output, Study
from tasks.services.blinding import image_blind, leak_scan
from tasks.services.gold import gold_mark
from tasks.services.imports import import_outputs
from tasks.services.studies import study_create, study_update
from tasks.tests.design.conftest import jsonl, make_zip
from tasks.tests.factories import OwnerFactory, StudyFactory

DISGUISED = [
    ("C l a u d e", "claude"),
    ("C.l.a.u.d.e", "claude"),
    ("C-l-a-u-d-e", "claude"),
    ("Cl4ude", "claude"),
    ("0penAI", "openai"),
    ("Ch\u0430tGPT", "chatgpt"),  # Cyrillic а
    ("\u0421l\u0430ud\u0435", "claude"),  # Cyrillic С, а, е
    ("G e m 1 n i", "gemini"),
    ("D\u0435\u0435pS\u0435\u0435k", "deepseek"),
    ("\U0001d402\U0001d425\U0001d41a\U0001d42e\U0001d41d\U0001d41e", "claude"),  # mathematical bold
]


@pytest.mark.parametrize(("text", "word"), DISGUISED)
def test_disguised_vendor_names_are_flagged(text, word):
    flags = leak_scan(text=f"Hello, I am {text} and I can help.", system_names=[])
    assert any(f["kind"] == "vendor" and f["match"].lower().replace(" ", "") == word for f in flags), flags


@pytest.mark.parametrize(
    "text",
    ["Z3phyr here", "z e p h y r - b e t a says hi", "I am ZΕPHYR"],  # Greek Ε
)
def test_disguised_system_names_are_flagged(text):
    flags = leak_scan(text=text, system_names=["zephyr-beta", "acme-7b"])
    assert any(f["kind"] == "system_name" for f in flags), flags


@pytest.mark.parametrize(
    "text",
    [
        "The bond will yield 4% and the llama ate grass.",
        "I am a U.S. citizen and a d u l t.",
        "Привет, как дела? Это обычный текст.",
        "数学题：3 + 4 = 7。",
        "Version 1.0.3 of the a-b-c library; see h4x0r culture.",
        "Plain answer with no names at all.",
    ],
)
def test_ordinary_text_stays_clean(text):
    assert leak_scan(text=text, system_names=["zephyr-beta"]) == []


def test_confusables_come_from_the_unicode_table():
    table = confusable_map()
    assert table["\u0430"] == "a" and table["\u041e"] == "o" and table["\u03bf"] == "o"
    assert len(table) > 1000
    assert skeletons("Ch\u0430tGPT") == ["chatgpt"]


@pytest.mark.django_db
def test_an_import_that_adds_a_system_rescans_earlier_outputs(settings):
    study = StudyFactory(status="draft", modality="text")
    first = [
        {"prompt_id": "p1", "prompt": "Q?", "system": "alpha-one", "output": "As Zephyr I think so."},
        {"prompt_id": "p1", "prompt": "Q?", "system": "beta-two", "output": "Plain."},
    ]
    assert import_outputs(study=study, data=jsonl(first)).summary["flagged"] == 0
    later = [{"prompt_id": "p1", "system": "zephyr-beta", "output": "Another plain answer."}]
    summary = import_outputs(study=study, data=jsonl(later)).summary
    assert summary["earlier_outputs_flagged"] == 1
    earlier = Output.objects.get(study=study, system__name="alpha-one")
    assert earlier.leak_review == "flagged"
    assert [f["match"].lower() for f in earlier.leak_flags] == ["zephyr"]
    assert earlier.leak_flags[0]["kind"] == "system_name" and earlier.leak_flags[0]["rescan"] is True
    # importing again finds nothing new and never duplicates a flag
    import_outputs(study=study, data=jsonl(later))
    assert len(Output.objects.get(pk=earlier.pk).leak_flags) == 1


@pytest.mark.django_db
def test_everything_a_rater_reads_is_scanned_and_kept_reviewable():
    owner = OwnerFactory()
    study = study_create(
        owner=owner,
        name="Zephyr vs the rest",
        instructions="Compare with what Cl4ude would say.",
        criteria=[{"key": "overall", "label": "Overall (ChatGPT style)", "description": ""}],
    )
    where = {f["where"] for f in study.leak_findings}
    assert {"study.instructions", "criteria.overall.label"} <= where
    rows = [
        {
            "prompt_id": "p1",
            "prompt": "Ask 0penAI something",
            "messages": [{"role": "assistant", "content": "I am zephyr-beta."}],
            "system": "zephyr-beta",
            "output": "A.",
        },
        {"prompt_id": "p1", "system": "acme-7b", "output": "B."},
    ]
    import_outputs(study=study, data=jsonl(rows))
    study.refresh_from_db()
    where = {f["where"] for f in study.leak_findings}
    assert "study.name" in where  # "Zephyr" is a part of a system name now
    assert "prompt:p1" in where and "prompt:p1.messages[0]" in where
    gold_mark(
        study=study,
        prompt_id="p1",
        system_a="zephyr-beta",
        system_b="acme-7b",
        answer="a",
        explanation="Acme is worse.",
    )
    study.refresh_from_db()
    assert "gold:" in json.dumps(study.leak_findings)
    # renaming the study clears its own finding; the prompt findings stay for review
    study_update(study=study, name="Blind test 7")
    study.refresh_from_db()
    where = {f["where"] for f in study.leak_findings}
    assert "study.name" not in where and "prompt:p1" in where
    assert all(set(f) >= {"kind", "match", "where", "part"} for f in study.leak_findings)


def png(size: tuple[int, int], mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    color = (200, 30, 30, 90)[: len(mode)] if mode != "L" else 128
    Image.new(mode, size, color).save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize("mode", ["pad", "fit"])
def test_image_on_canvas_has_the_canvas_size_and_no_alpha(mode):
    blind = image_blind(png((37, 20), "RGBA"), canvas=(mode, 64, 48))
    with Image.open(io.BytesIO(blind.png)) as image:
        assert image.size == (64, 48) and image.mode == "RGB"
        assert blind.width == 64 and blind.height == 48


def test_canvas_off_keeps_size_and_alpha():
    blind = image_blind(png((37, 20), "RGBA"), canvas=("off", None, None))
    with Image.open(io.BytesIO(blind.png)) as image:
        assert image.size == (37, 20) and image.mode == "RGBA"


@pytest.mark.django_db
def test_new_image_studies_put_every_output_on_one_canvas():
    study = StudyFactory(status="draft", modality="image")
    assert Study._meta.get_field("image_canvas").default == "pad" and study.image_canvas == "pad"
    rows = [
        {"prompt_id": "p1", "prompt": "A fox", "system": "wide-sys", "image": "a.png"},
        {"prompt_id": "p1", "system": "tall-sys", "image": "b.png"},
        {"prompt_id": "p1", "system": "alpha-sys", "image": "c.png"},
    ]
    images = make_zip({"a.png": png((80, 40)), "b.png": png((30, 90)), "c.png": png((50, 50), "RGBA")})
    import_outputs(study=study, data=jsonl(rows), images_zip=images)
    study.refresh_from_db()
    assert (study.image_canvas_width, study.image_canvas_height) == (80, 40)  # the first image fixed it
    sizes = set()
    for output in Output.objects.filter(study=study):
        with output.image.open("rb") as handle, Image.open(handle) as image:
            sizes.add((image.size, image.mode))
        assert (output.image_width, output.image_height) == (80, 40)
    assert sizes == {((80, 40), "RGB")}
    # a later import uses the same canvas
    more = [{"prompt_id": "p2", "prompt": "A cat", "system": "wide-sys", "image": "d.png"}]
    import_outputs(study=study, data=jsonl(more), images_zip=make_zip({"d.png": png((10, 300))}))
    assert set(Output.objects.filter(study=study).values_list("image_width", "image_height")) == {(80, 40)}


@pytest.mark.django_db
def test_canvas_settings_are_validated_and_freeze_with_data():
    from evalsite.errors import ApplicationError

    owner = OwnerFactory()
    with pytest.raises(ApplicationError) as caught:
        study_create(owner=owner, name="x", modality="image", image_canvas="stretch", image_canvas_width=5)
    assert {"image_canvas", "image_canvas_width"} <= set(caught.value.extra["fields"])
    study = study_create(owner=owner, name="x", modality="image", image_canvas_width=512, image_canvas_height=512)
    assert (study.image_canvas, study.image_canvas_width) == ("pad", 512)
