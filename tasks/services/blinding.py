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
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, ImageOps, UnidentifiedImageError

from tasks.lib.skeleton import skeletons, term_skeleton
from tasks.models import Comparison, Output, Prompt, Study, System

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


CANVAS_BACKGROUND = (255, 255, 255)
CANVAS_MODES = ("pad", "fit")


def image_to_canvas(image: Image.Image, *, mode: str, size: tuple[int, int]) -> Image.Image:
    """`image` flattened onto an opaque white background (alpha dropped) and brought to exactly `size`.

    mode "pad": scaled to fit inside the canvas, keeping its aspect ratio, the rest filled with white
    (Pillow's ImageOps.pad); "fit": scaled to cover the canvas and centre-cropped (ImageOps.fit). Either
    way every output of the study has the same dimensions and no transparency, so neither says which
    system made it.
    """
    if mode not in CANVAS_MODES:
        raise ValueError(f"unknown canvas mode {mode!r}")
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, CANVAS_BACKGROUND)
        flat.paste(rgba, mask=rgba.getchannel("A"))
    else:
        flat = image.convert("RGB")
    if flat.size == size:
        return flat
    if mode == "pad":
        return ImageOps.pad(flat, size, method=Image.Resampling.LANCZOS, color=CANVAS_BACKGROUND)
    return ImageOps.fit(flat, size, method=Image.Resampling.LANCZOS)


def image_blind(data: bytes, *, canvas: tuple[str, int | None, int | None] | None = None) -> BlindImage:
    """Decode an uploaded image safely and re-encode its pixels (only) as PNG.

    `canvas` = (mode, width, height) with mode "pad" or "fit" also draws the image onto that canvas with
    its alpha flattened (`image_to_canvas`); a width/height of None means the image's own size (the
    first image of a study fixes the canvas). None, or mode "off", keeps the image as it is.
    """
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
    except Exception as exc:  # a decoder fed hostile bytes may fail in any way; never a 500
        raise ImageRejected("not_an_image", f"Not a readable image ({exc.__class__.__name__}).") from exc
    if canvas is not None and canvas[0] in CANVAS_MODES:
        canvas_mode, canvas_width, canvas_height = canvas
        size = (canvas_width or clean.width, canvas_height or clean.height)
        clean = image_to_canvas(clean, mode=canvas_mode, size=size)
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


def leak_flag(*, kind: str, match: str, **extra: str | int | bool) -> LeakFlag:
    """One entry of `Output.leak_flags`: the one shape the owner's pages and the outputs API read.

    `kind` is one of LEAK_FLAG_KINDS, `match` the text that was found (at most 80 characters; for a
    rater report, what the rater said). `extra` keys (e.g. `field`, `report_id`) are kept for the owner.
    """
    if kind not in LEAK_FLAG_KINDS:
        raise ValueError(f"unknown leak flag kind {kind!r}")
    return {"kind": kind, "match": match[:80], **extra}


# Vendor and model names looked for in the normalised text (tasks/lib/skeleton.py: confusables folded,
# leetspeak and spelled-out letters undone), as plain words. Short or ordinary words (yi, phi, glm, kimi,
# command, a bard, a llama) are left to the exact patterns above, where they are bounded more carefully.
SKELETON_VENDOR_WORDS = [
    "openai",
    "open ai",
    "chatgpt",
    "chat gpt",
    "gpt",
    "dalle",
    "anthropic",
    "claude",
    "gemini",
    "google bard",
    "deepmind",
    "meta llama",
    "llama 2",
    "llama 3",
    "llama 4",
    "codellama",
    "mistral",
    "mixtral",
    "qwen",
    "tongyi",
    "deepseek",
    "erniebot",
    "doubao",
    "moonshot",
    "chatglm",
    "zhipu",
    "baichuan",
    "grok",
    "copilot",
    "cohere",
    "vicuna",
    "minimax",
    "hunyuan",
    "midjourney",
    "stable diffusion",
    "stablediffusion",
    "sdxl",
]
MIN_SKELETON_TERM = 4


def _skeleton_pattern(terms: Iterable[str]) -> re.Pattern[str] | None:
    # each term as written ("zephyr beta") and squeezed ("zephyrbeta": spelled out letter by letter)
    spelled = {form for t in terms for form in (t, t.replace(" ", ""))}
    words = sorted({t for t in spelled if len(t.replace(" ", "")) >= MIN_SKELETON_TERM}, key=len, reverse=True)
    return re.compile("|".join(rf"(?<!\w){re.escape(w)}(?!\w)" for w in words)) if words else None


class LeakScanner:
    """Compiled once per import (per study), then `scan(text)` per output.

    `vendors=False` looks for the given system names only (rescanning earlier outputs for names that a
    later import added: their vendor and self-identification flags were found the first time).
    """

    def __init__(self, system_names: Iterable[str], *, vendors: bool = True):
        names = system_name_terms(system_names)
        self._vendors = vendors
        self._names = re.compile("|".join(_word(re.escape(term)) for term in names), re.IGNORECASE) if names else None
        self._names_skeleton = _skeleton_pattern(
            term_skeleton(term) for term in names if term.lower() not in GENERIC_NAME_PARTS
        )
        self._vendor_skeleton = _skeleton_pattern(SKELETON_VENDOR_WORDS) if vendors else None
        self._vendor = re.compile("|".join(_word(t) for t in VENDOR_TERMS), re.IGNORECASE)
        self._vendor_case = re.compile("|".join(_word(t) for t in CASE_SENSITIVE_TERMS))
        self._vendor_zh = re.compile("|".join(re.escape(t) for t in CHINESE_TERMS))
        self._self_id = re.compile("|".join(SELF_ID_PATTERNS), re.IGNORECASE)

    def scan(self, text: str) -> list[LeakFlag]:
        """Flags found in `text`: [{"kind": "system_name" | "vendor" | "self_identification", "match": ...}].

        The text is scanned as written, as a rater sees it (`visible_text`: HTML entities, Markdown emphasis,
        zero-width characters and full-width letters undone), and as its skeletons (tasks/lib/skeleton.py:
        homoglyphs such as a Cyrillic "а", leetspeak "Cl4ude" / "0penAI", spelled-out "C l a u d e" or
        "C.l.a.u.d.e"). A name found only in a skeleton is flagged with the normalised word as `match` and
        `"normalised": true`.
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
        if self._vendors:
            add("vendor", self._vendor.finditer(text))
            add("vendor", self._vendor_case.finditer(text))
            add("vendor", self._vendor_zh.finditer(text))
            add("self_identification", self._self_id.finditer(text))
        if self._names_skeleton is None and self._vendor_skeleton is None:
            return flags
        found = {f["match"].lower().replace(" ", "") for f in flags}
        for skeleton in skeletons(visible):
            for kind, pattern in (("system_name", self._names_skeleton), ("vendor", self._vendor_skeleton)):
                if pattern is None:
                    continue
                for match in pattern.finditer(skeleton):
                    word = match.group(0)
                    squeezed = word.replace(" ", "")
                    if squeezed in found or any(squeezed in f for f in found) or len(seen) >= 20:
                        continue  # already flagged as written (e.g. "ChatGPT" is also "chatgpt" here)
                    found.add(squeezed)
                    seen.add((kind, word))
                    flags.append(leak_flag(kind=kind, match=word, normalised=True))
        return flags


def leak_scan(*, text: str, system_names: Iterable[str]) -> list[LeakFlag]:
    """One-off scan (tests, single outputs); imports reuse one LeakScanner."""
    return LeakScanner(system_names).scan(text)


# ---------------------------------------------------------------- scanning everything a rater sees

MAX_STUDY_FINDINGS = 500
STUDY_PARTS = ("study", "prompts", "gold")


def _study_texts(*, study: Study, parts: Iterable[str]) -> Iterator[tuple[str, str, str]]:
    """(part, where, text) for everything a rater of `study` can read besides the outputs."""
    parts = set(parts)
    if "study" in parts:
        yield "study", "study.name", study.name
        yield "study", "study.instructions", study.instructions
        for criterion in study.criteria or []:
            if isinstance(criterion, dict):
                key = criterion.get("key", "?")
                yield "study", f"criteria.{key}.label", str(criterion.get("label") or "")
                yield "study", f"criteria.{key}.description", str(criterion.get("description") or "")
    if "prompts" in parts:
        rows = Prompt.objects.filter(study=study).values_list("external_id", "text", "messages")
        for external_id, text, messages in rows.iterator(chunk_size=2000):
            yield "prompts", f"prompt:{external_id}", text
            for index, message in enumerate(messages or []):
                if isinstance(message, dict):
                    yield "prompts", f"prompt:{external_id}.messages[{index}]", str(message.get("content") or "")
    if "gold" in parts:
        gold = Comparison.objects.filter(study=study, kind=Comparison.Kind.GOLD, active=True).exclude(
            gold_explanation=""
        )
        for public_id, explanation in gold.values_list("public_id", "gold_explanation"):
            yield "gold", f"gold:{public_id}", explanation


def study_leak_scan(*, study: Study, parts: Iterable[str] = STUDY_PARTS) -> list[LeakFlag]:
    """Leak findings in what raters read besides the outputs: the study name (shown on every rater page),
    instructions, criterion labels and descriptions, prompts and their chat history, gold explanations.

    Each finding is a leak flag with `where` ("study.name", "criteria.<key>.label", "prompt:<prompt_id>",
    "prompt:<prompt_id>.messages[<i>]", "gold:<comparison id>") and `part` (study | prompts | gold).
    """
    scanner = LeakScanner(System.objects.filter(study=study).values_list("name", flat=True))
    findings: list[LeakFlag] = []
    for part, where, text in _study_texts(study=study, parts=parts):
        for flag in scanner.scan(text):
            findings.append({**flag, "where": where, "part": part})
            if len(findings) >= MAX_STUDY_FINDINGS:
                return findings
    return findings


def study_leak_rescan(*, study: Study, parts: Iterable[str] = STUDY_PARTS) -> list[LeakFlag]:
    """Recompute `Study.leak_findings` for `parts` (the other parts' findings stay); returns the new list.

    Findings are for the owner to review, never a block: a prompt may name a vendor on purpose.
    """
    parts = set(parts)
    kept = [f for f in (study.leak_findings or []) if f.get("part") not in parts]
    findings = (kept + study_leak_scan(study=study, parts=parts))[:MAX_STUDY_FINDINGS]
    if findings != study.leak_findings:
        Study.objects.filter(pk=study.pk).update(leak_findings=findings)
        study.leak_findings = findings
    return findings


def outputs_rescan(*, study: Study, system_names: Iterable[str], exclude_ids: Iterable[int] = ()) -> int:
    """Scan the study's earlier text outputs for `system_names` (names a later import added).

    New flags are appended (never twice the same); a clean or kept output with a new flag goes back to
    `flagged` for the owner's review; excluded outputs stay excluded. Returns how many outputs were flagged.
    """
    names = list(system_names)
    if not names:
        return 0
    scanner = LeakScanner(names, vendors=False)
    excluded = set(exclude_ids)
    changed: list[Output] = []
    outputs = (
        Output.objects.filter(study=study)
        .exclude(text="")
        .exclude(leak_review=Output.LeakReview.EXCLUDED)
        .only("pk", "text", "leak_flags", "leak_review")
    )
    for output in outputs.iterator(chunk_size=2000):
        if output.pk in excluded:
            continue
        known = {(f.get("kind"), str(f.get("match", "")).lower()) for f in output.leak_flags or []}
        new = [f for f in scanner.scan(output.text) if (f["kind"], f["match"].lower()) not in known]
        if new:
            output.leak_flags = [*(output.leak_flags or []), *({**f, "rescan": True} for f in new)]
            output.leak_review = Output.LeakReview.FLAGGED
            changed.append(output)
    Output.objects.bulk_update(changed, ["leak_flags", "leak_review"], batch_size=1000)
    return len(changed)
