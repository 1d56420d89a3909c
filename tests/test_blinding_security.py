"""Blinding, end to end: what a rater's browser can learn from a served image, its URL and headers."""

from __future__ import annotations

import io
import re
import struct
import zlib

import pytest
from django.test import Client
from PIL import Image

from evalsite.errors import ApplicationError
from tasks.models import Output, Prompt
from tasks.services.blinding import ImageRejected, image_blind
from tasks.services.imports import import_outputs
from tasks.services.outputs import outputs_review
from tasks.services.studies import study_transition
from tasks.tests.design.conftest import jpeg_with_exif, jsonl, make_zip, png_with_metadata
from tasks.tests.factories import OwnerFactory, StudyFactory

pytestmark = pytest.mark.django_db

SYSTEM = "secret-sdxl-v2"
FORBIDDEN = [
    b"parameters",
    b"workflow",
    b"prompt",
    b"exif",
    b"Exif",
    b"eXIf",
    b"XML:com.adobe.xmp",
    b"iCCP",
    b"tEXt",
    b"iTXt",
    b"zTXt",
    b"secret",
    b"sdxl",
    b"caBX",
    b"jumb",
    b"c2pa",
]


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _image_study(status_after: str = "live"):
    study = StudyFactory(status="draft", modality="image")
    archive = make_zip(
        {
            f"{SYSTEM}/fox.png": png_with_metadata(),
            "other/fox.jpg": jpeg_with_exif(),
            "prompts/fox-ref.png": png_with_metadata((1, 1, 1)),
        }
    )
    rows = [
        {
            "prompt_id": "p1",
            "prompt": "A red fox",
            "system": SYSTEM,
            "image": f"{SYSTEM}/fox.png",
            "prompt_image": "prompts/fox-ref.png",
        },
        {"prompt_id": "p1", "prompt": "A red fox", "system": "other-model", "image": "other/fox.jpg"},
    ]
    import_outputs(study=study, data=jsonl(rows), images_zip=archive)
    if status_after == "live":
        study_transition(study=study, action="launch")
    return study


def test_served_image_has_pixels_only_and_reveals_nothing():
    study = _image_study()
    client = Client()  # an anonymous rater's browser
    for output in Output.objects.filter(study=study):
        url = f"/r/img/{output.public_id}.png"
        assert SYSTEM not in url and "fox" not in url
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/png"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Disposition"] == "inline"  # no file name
        assert response["Cache-Control"].startswith("private")
        body = response.content
        assert body.startswith(b"\x89PNG\r\n\x1a\n")
        for marker in FORBIDDEN:
            assert marker not in body, marker
        chunks = _png_chunk_types(body)
        assert set(chunks) <= {b"IHDR", b"IDAT", b"IEND"}, chunks
        with Image.open(io.BytesIO(body)) as im:
            assert im.info == {} or set(im.info) <= {"dpi"}
            assert im.getexif() == {}
        assert output.image.name.startswith("blind/") and SYSTEM not in output.image.name
    prompt = Prompt.objects.get(study=study)
    response = client.get(f"/r/img/{prompt.public_id}.png")
    assert response.status_code == 200 and b"parameters" not in response.content


def test_pixels_survive_blinding():
    blind = image_blind(png_with_metadata((200, 30, 30)))
    with Image.open(io.BytesIO(blind.png)) as im:
        assert im.size == (8, 6) and im.convert("RGB").getpixel((3, 3)) == (200, 30, 30)


def _png_chunk_types(data: bytes) -> list[bytes]:
    types, pos = [], 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        types.append(data[pos + 4 : pos + 8])
        pos += 12 + length
    return types


def test_image_access_rules():
    study = _image_study(status_after="draft")
    output = Output.objects.filter(study=study).first()
    url = f"/r/img/{output.public_id}.png"
    assert Client().get(url).status_code == 404  # draft: raters see nothing
    owner = Client()
    owner.force_login(study.owner)
    assert owner.get(url).status_code == 200
    other = Client()
    other.force_login(OwnerFactory())
    assert other.get(url).status_code == 404
    study_transition(study=study, action="launch")
    assert Client().get(url).status_code == 200
    outputs_review(study=study, public_ids=[output.public_id], decision="exclude")
    assert Client().get(url).status_code == 404  # excluded outputs never reach raters
    assert owner.get(url).status_code == 200
    assert Client().get("/r/img/not-a-real-id.png").status_code == 404
    assert Client().post(url).status_code == 405


def _png_header_only(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge image (a decompression bomb's shape)."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def test_decompression_bomb_rejected_before_decoding(monkeypatch):
    bomb = _png_header_only(60_000, 60_000)  # 3.6 gigapixels, < 200 bytes
    assert len(bomb) < 200

    def never_decode(self, *args, **kwargs):
        raise AssertionError("a decompression bomb must never be decoded")

    monkeypatch.setattr("PIL.ImageFile.ImageFile.load", never_decode)
    with pytest.raises(ImageRejected) as exc:
        image_blind(bomb)
    assert exc.value.code == "image_too_many_pixels"


def test_decompression_bomb_in_import_names_line_and_field():
    study = StudyFactory(status="draft", modality="image")
    rows = [
        {"prompt_id": "p1", "prompt": "x", "system": "a-gen", "image": "ok.png"},
        {"prompt_id": "p1", "prompt": "x", "system": "b-gen", "image": "bomb.png"},
    ]
    archive = make_zip({"ok.png": png_with_metadata(), "bomb.png": _png_header_only(60_000, 60_000)})
    with pytest.raises(ApplicationError) as exc:
        import_outputs(study=study, data=jsonl(rows), images_zip=archive)
    errors = exc.value.extra["errors"]
    assert any(e["line"] == 2 and e["field"] == "image" and e["code"] == "image_too_many_pixels" for e in errors)
    assert not Output.objects.exists()


def test_outputs_public_ids_are_random():
    study = _image_study()
    ids = list(Output.objects.filter(study=study).order_by("pk").values_list("public_id", flat=True))
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{20,}", pid) for pid in ids)
    assert len(set(ids)) == len(ids)
    assert not any(str(study.pk) == pid or pid.isdigit() for pid in ids)
