"""Blinding: images re-encoded pixels-only under random names; text scanned for identity leaks.

Images: the header is read first and the pixel count checked against
EVALSITE_IMAGE_MAX_PIXELS *before* any decoding (decompression bombs are never
decoded); then the pixels are decoded, EXIF orientation applied, and copied into a
brand-new image that has no metadata at all, saved as PNG. EXIF, XMP, PNG text
chunks (Stable Diffusion `parameters`, ComfyUI `prompt`/`workflow`), ICC profiles
and C2PA manifests are all dropped, because only pixels are copied. Files are stored
as `blind/<random>.png`.

Text: `leak_scan` finds the study's system names and their distinctive parts,
vendor and model names (word-boundary aware: "yield" is not "yi"), and
self-identification phrases in English and Chinese.
"""

from __future__ import annotations

import html
import io
import re
import secrets
import unicodedata
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, ImageOps, UnidentifiedImageError

ALLOWED_IMAGE_FORMATS = {"PNG", "JPEG", "WEBP", "GIF"}


class ImageRejected(Exception):
    """Why an image cannot be used; `code` is the import error code."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class BlindImage:
    png: bytes
    width: int
    height: int


def image_blind(data: bytes) -> BlindImage:
    """Decode an uploaded image safely and re-encode its pixels (only) as PNG."""
    max_pixels = settings.EVALSITE_IMAGE_MAX_PIXELS
    if len(data) > settings.EVALSITE_IMAGE_MAX_BYTES:
        raise ImageRejected(
            "image_too_large", f"Image file is {len(data)} bytes; the limit is {settings.EVALSITE_IMAGE_MAX_BYTES}."
        )
    # Pillow's own guard (raises past 2x, warns past 1x; set once from settings in TasksConfig.ready) is a
    # second line behind the header check below.
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as im:  # lazy: reads the header only
                if im.format not in ALLOWED_IMAGE_FORMATS:
                    raise ImageRejected("not_an_image", f"Unsupported image format {im.format}; use PNG, JPEG or WebP.")
                width, height = im.size
                if width * height > max_pixels:
                    raise ImageRejected(
                        "image_too_many_pixels",
                        f"Image is {width}x{height} = {width * height} pixels; the limit is {max_pixels} "
                        "(not decoded).",
                    )
                im.seek(0)
                im.load()
                upright = ImageOps.exif_transpose(im)
                has_alpha = upright.mode in ("RGBA", "LA", "PA") or (
                    upright.mode == "P" and "transparency" in upright.info
                )
                pixels = upright.convert("RGBA" if has_alpha else "RGB")
                clean = Image.frombytes(pixels.mode, pixels.size, pixels.tobytes())  # no info, no metadata
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected(
            "image_too_many_pixels",
            f"Image has more pixels than the limit of {max_pixels} (decompression bomb; not decoded).",
        ) from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError) as exc:
        raise ImageRejected("not_an_image", "Not a readable image (PNG, JPEG or WebP).") from exc
    out = io.BytesIO()
    clean.save(out, format="PNG", optimize=False, compress_level=6)
    return BlindImage(png=out.getvalue(), width=clean.width, height=clean.height)


def image_store(*, image: BlindImage) -> str:
    """Save a blinded PNG under a random name; returns the storage name (`blind/<random>.png`)."""
    return default_storage.save(f"blind/{secrets.token_hex(16)}.png", ContentFile(image.png))


def images_delete(names: Iterable[str]) -> None:
    """Remove stored files (cleanup after a rejected or rolled-back import)."""
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            pass


# ---------------------------------------------------------------- text leak scan

# Vendor / model names. Case-insensitive, matched on word boundaries (letters and digits on either side
# forbid a match), except the entries in CASE_SENSITIVE_TERMS, which are ordinary words in lowercase.
VENDOR_TERMS = [
    r"open\s?ai",
    r"chat\s?gpt",
    r"gpt[-\s]?[345](?:\.5)?(?:o|-?turbo|-?mini)?",
    r"gpt",
    r"dall[-\s]?e",
    r"anthropic",
    r"claude",
    r"gemini",
    r"google\s+bard",
    r"(?:google\s+)?deepmind",
    r"meta\s+llama",
    r"meta\s+ai",
    r"llama[-\s]?[1-9](?:\.\d)?",
    r"code\s?llama",
    r"mistral",
    r"mixtral",
    r"qwen(?:[-\s]?\d(?:\.\d)?)?",
    r"tongyi",
    r"deepseek",
    r"ernie\s?bot",
    r"doubao",
    r"kimi",
    r"moonshot\s+ai",
    r"chat\s?glm",
    r"glm[-\s]?\d",
    r"zhipu",
    r"yi",
    r"01\.ai",
    r"baichuan",
    r"grok",
    r"x\.ai",
    r"copilot",
    r"phi[-\s]?[1-4](?:\.5)?",
    r"cohere",
    r"command[-\s]r\+?",
    r"vicuna",
    r"minimax",
    r"hunyuan",
    r"midjourney",
    r"stable\s?diffusion",
    r"sdxl",
]
CASE_SENSITIVE_TERMS = [r"LLaMA", r"ERNIE"]
# Chinese names need no word boundary (no spaces in Chinese text).
CHINESE_TERMS = [
    "通义千问",
    "通义",
    "文心一言",
    "文心",
    "豆包",
    "月之暗面",
    "智谱",
    "清言",
    "零一万物",
    "百川",
    "混元",
    "讯飞星火",
    "星火大模型",
    "盘古大模型",
    "深度求索",
    "商汤",
    "日日新",
]
SELF_ID_PATTERNS = [
    r"\bas an? (?:ai|artificial intelligence)(?: language)?(?: model| assistant)?(?: (?:developed|created|trained|built|made) by)?",
    r"\bas a (?:large )?language model\b",
    r"\bi(?:'m| am) (?:a |an )?(?:large )?(?:language model|ai model|ai assistant|ai language model|chatbot)\b",
    r"\bi(?:'m| am| was| have been) (?:developed|created|trained|built|made) by\b",
    r"\b(?:language model|ai model|ai assistant|assistant|chatbot) (?:developed|created|trained|built|made) by\b",
    r"\bmy (?:knowledge|training)(?: data)? cut-?off\b",
    r"我是.{0,30}?(?:开发|训练|研发|打造|创造|推出)的",
    r"我是由.{0,30}?(?:开发|训练|研发|打造|创造|推出)",
    r"由.{0,30}?(?:开发|训练|研发|打造|推出)的(?:人工智能|AI|ai|语言模型|大模型|助手|智能助手)",
    r"作为一[个名](?:人工智能|AI|ai)(?:语言模型|助手|模型)?",
    r"作为(?:一个)?(?:大型)?语言模型",
    r"我是一[个名](?:人工智能|AI|ai)(?:语言模型|助手|模型)",
]
# Parts of system names too generic to be a leak on their own ("model", "chat", "v2" ...).
GENERIC_NAME_PARTS = {
    "ai",
    "alpha",
    "base",
    "baseline",
    "beta",
    "big",
    "chat",
    "dev",
    "dpo",
    "exp",
    "fast",
    "final",
    "fp16",
    "instruct",
    "it",
    "large",
    "latest",
    "lite",
    "lora",
    "max",
    "medium",
    "mini",
    "model",
    "new",
    "old",
    "ours",
    "plus",
    "preview",
    "pro",
    "rlhf",
    "run",
    "sft",
    "small",
    "system",
    "test",
    "the",
    "tiny",
    "turbo",
    "ultra",
    "version",
}
MIN_NAME_PART = 3


def _word(term: str) -> str:
    return rf"(?<![0-9A-Za-z]){term}(?![0-9A-Za-z])"


def system_name_terms(names: Iterable[str]) -> list[str]:
    """Distinctive strings of the system names: each full name and its parts split on - _ . / space and digits."""
    terms: set[str] = set()
    for raw_name in names:
        name = raw_name.strip()
        if len(name) >= MIN_NAME_PART:
            terms.add(name.lower())
        for raw_part in re.split(r"[-_./\s\d]+", name):
            part = raw_part.strip().lower()
            if len(part) >= MIN_NAME_PART and part not in GENERIC_NAME_PARTS:
                terms.add(part)
    return sorted(terms, key=len, reverse=True)


_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u180e\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff"))
_EMPHASIS = re.compile(r"(?<=\w)[*_~`]+(?=\w)|(?<=\w)[*_~`]+|[*_~`]+(?=\w)")


def visible_text(text: str) -> str:
    """What a rater reads: HTML entities decoded, Unicode compatibility forms folded (NFKC: full-width
    letters, ligatures), invisible characters and Markdown emphasis markers removed."""
    text = unicodedata.normalize("NFKC", html.unescape(text)).translate(_INVISIBLE)
    return _EMPHASIS.sub("", text)


LEAK_FLAG_KINDS = ("system_name", "vendor", "self_identification", "rater_report")


LeakFlag = dict[str, Any]


def leak_flag(*, kind: str, match: str, **extra: str | int) -> LeakFlag:
    """One entry of `Output.leak_flags`: the one shape the owner's pages and the outputs API read.

    `kind` is one of LEAK_FLAG_KINDS, `match` the text that was found (at most 80 characters; for a
    rater report, what the rater said). `extra` keys (e.g. `field`, `report_id`) are kept for the owner.
    """
    if kind not in LEAK_FLAG_KINDS:
        raise ValueError(f"unknown leak flag kind {kind!r}")
    return {"kind": kind, "match": match[:80], **extra}


class LeakScanner:
    """Compiled once per import (per study), then `scan(text)` per output."""

    def __init__(self, system_names: Iterable[str]):
        names = system_name_terms(system_names)
        self._names = re.compile("|".join(_word(re.escape(term)) for term in names), re.IGNORECASE) if names else None
        self._vendor = re.compile("|".join(_word(t) for t in VENDOR_TERMS), re.IGNORECASE)
        self._vendor_case = re.compile("|".join(_word(t) for t in CASE_SENSITIVE_TERMS))
        self._vendor_zh = re.compile("|".join(re.escape(t) for t in CHINESE_TERMS))
        self._self_id = re.compile("|".join(SELF_ID_PATTERNS), re.IGNORECASE)

    def scan(self, text: str) -> list[LeakFlag]:
        """Flags found in `text`: [{"kind": "system_name" | "vendor" | "self_identification", "match": ...}].

        The text is scanned as written and as a rater sees it (`visible_text`), so a name hidden
        behind HTML entities, Markdown emphasis, zero-width characters or full-width letters is found.
        """
        if not text:
            return []
        visible = visible_text(text)
        if visible != text:
            text = f"{text}\n{visible}"
        flags: list[LeakFlag] = []
        seen: set[tuple[str, str]] = set()

        def add(kind: str, matches: Iterable[re.Match[str]]) -> None:
            for match in matches:
                key = (kind, match.group(0).lower())
                if key not in seen and len(seen) < 20:
                    seen.add(key)
                    flags.append(leak_flag(kind=kind, match=match.group(0)))

        if self._names is not None:
            add("system_name", self._names.finditer(text))
        add("vendor", self._vendor.finditer(text))
        add("vendor", self._vendor_case.finditer(text))
        add("vendor", self._vendor_zh.finditer(text))
        add("self_identification", self._self_id.finditer(text))
        return flags


def leak_scan(*, text: str, system_names: Iterable[str]) -> list[LeakFlag]:
    """One-off scan (tests, single outputs); imports reuse one LeakScanner."""
    return LeakScanner(system_names).scan(text)
