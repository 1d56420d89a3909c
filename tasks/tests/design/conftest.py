"""Helpers for the study-design tests: tiny import files, images with metadata, zips."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from PIL import Image, PngImagePlugin

from tasks.tests.factories import OwnerFactory, StudyFactory


def jsonl(rows: list[dict]) -> bytes:
    return ("\n".join(json.dumps(row, ensure_ascii=False) for row in rows) + "\n").encode()


def png_with_metadata(color: tuple[int, int, int] = (200, 30, 30), size: tuple[int, int] = (8, 6)) -> bytes:
    """A PNG carrying everything blinding must drop: SD `parameters`, ComfyUI `prompt`/`workflow`, EXIF, XMP, ICC."""
    image = Image.new("RGB", size, color)
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", "a fox, Steps: 20, Model: secret-sdxl-v2")
    info.add_text("prompt", '{"ckpt_name": "secret-sdxl-v2.safetensors"}')
    info.add_text("workflow", '{"nodes": ["secret-sdxl-v2"]}')
    info.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta>secret-sdxl-v2</x:xmpmeta>")
    exif = Image.Exif()
    exif[0x0131] = "secret-sdxl-v2"  # Software
    out = io.BytesIO()
    image.save(out, format="PNG", pnginfo=info, exif=exif.tobytes(), icc_profile=b"\0" * 128 + b"secret-sdxl-v2")
    return out.getvalue()


def jpeg_with_exif() -> bytes:
    image = Image.new("RGB", (10, 10), (0, 120, 0))
    exif = Image.Exif()
    exif[0x0131] = "secret-sdxl-v2"
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


def make_zip(files: dict[str, bytes], *, compression: int = zipfile.ZIP_STORED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=compression) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


@pytest.fixture
def owner(db):
    return OwnerFactory()


@pytest.fixture
def browser(owner):
    """The owner's browser: a client that checks CSRF tokens, as a real browser session does."""
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    return client


@pytest.fixture
def draft_text_study(owner):
    return StudyFactory(owner=owner, status="draft", modality="text")


@pytest.fixture
def draft_image_study(owner):
    return StudyFactory(owner=owner, status="draft", modality="image")


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Account factories hash a password; the default PBKDF2 would dominate these tests' run time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def text_rows(n_prompts: int = 3, systems: tuple[str, ...] = ("alpha-one", "beta-two")) -> list[dict]:
    """Import rows: every system answers every prompt (outputs never mention a system)."""
    return [
        {"prompt_id": f"p{i}", "prompt": f"Question {i}?", "system": s, "output": f"Reply {i}/{j}."}
        for i in range(n_prompts)
        for j, s in enumerate(systems)
    ]


def load_text_outputs(study, n_prompts: int = 3, systems: tuple[str, ...] = ("alpha-one", "beta-two")) -> None:
    from tasks.services.imports import import_outputs

    import_outputs(study=study, data=jsonl(text_rows(n_prompts, systems)))
