"""Import of outputs: JSONL or CSV in the long format (one line per Output) plus an optional zip of images.

The whole file is validated before anything is written; every problem is reported
as `{"line", "field", "code", "message"}` inside one `ApplicationError(code="import_invalid")`.
The write is one transaction (all or nothing), with bulk inserts. Re-importing into a draft
adds new prompts/systems/outputs and skips (prompt_id, system) pairs already present.
Large files (EVALSITE_IMPORT_ASYNC_LINES lines or more) run as a Celery job with an ImportJob
that records progress. The format and limits are documented in docs/import-format.md.

From Python (e.g. loading demo data):

    import_outputs(study=study, data=b"...jsonl...", images_zip=zip_bytes, file_format="jsonl")
"""

from __future__ import annotations

import csv
import io
import json
import secrets
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import DataError, IntegrityError, transaction
from django.utils import timezone

from evalsite.errors import ApplicationError
from evalsite.jobqueue import job_enqueue
from tasks.lib import jsonsafe
from tasks.models import ImportJob, Output, Prompt, Study, System
from tasks.services.blinding import (
    ImageRejected,
    LeakScanner,
    image_blind,
    image_store,
    images_delete,
    outputs_rescan,
    study_leak_rescan,
)
from tasks.services.bulk import rows_insert
from tasks.services.gold import gold_answer_clean, gold_store
from tasks.services.pairing import public_ids

FIELDS = ("prompt_id", "prompt", "system", "output", "image", "prompt_image", "tags", "messages", "meta", "gold")
JSON_COLUMNS = {"tags", "messages", "meta", "gold"}
MESSAGE_ROLES = {"system", "user", "assistant", "tool"}
BATCH_SIZE = 1000
MAX_TAGS = 50
MAX_MESSAGES = 200

Source = bytes | IO[bytes]


@dataclass
class ImportResult:
    """Either a finished import (`summary`) or a background job (`job`) to poll."""

    summary: dict[str, int] | None = None
    job: ImportJob | None = None


@dataclass
class _Line:
    line: int
    prompt_id: str
    system: str
    prompt: str | None = None
    output: str = ""
    image: str | None = None
    prompt_image: str | None = None
    tags: list[str] | None = None
    messages: list[dict[str, str]] | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    gold: dict[str, Any] | None = None


class _Errors:
    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []
        self.limit = settings.EVALSITE_IMPORT_MAX_ERRORS
        self.truncated = False

    def add(self, line: int | None, field_name: str | None, code: str, message: str) -> None:
        if len(self.items) >= self.limit:
            self.truncated = True
            return
        # Echoed values never carry a NUL or a lone surrogate into the JSON answer or ImportJob.errors.
        field_name = jsonsafe.printable(field_name) if field_name is not None else None
        self.items.append({"line": line, "field": field_name, "code": code, "message": jsonsafe.printable(message)})

    def raise_if_any(self, message: str = "Import rejected") -> None:
        if self.items:
            # The checks run in passes (lines, then gold marks, then images): list what they found in file
            # order — file-wide problems (no line) first, then by line, each line's problems as found.
            self.items.sort(key=lambda item: (item["line"] is not None, item["line"] or 0))
            raise ApplicationError(
                f"{message}: {len(self.items)}{'+' if self.truncated else ''} error(s); nothing was imported.",
                code="import_invalid",
                extra={"errors": self.items, "truncated": self.truncated},
            )


def _read_limited(source: Source | None, limit: int, *, what: str, code: str, errors: _Errors) -> bytes | None:
    if source is None:
        return None
    if isinstance(source, (bytes, bytearray)):
        data = bytes(source)
    else:
        if hasattr(source, "seek"):
            source.seek(0)
        data = source.read(limit + 1)
    if len(data) > limit:
        errors.add(None, what, code, f"The {what} file is larger than the limit of {limit} bytes.")
        return None
    return data


def count_lines(data: bytes) -> int:
    """Records in a file (upper bound for CSV with multi-line cells): newline count, plus a last unterminated line."""
    return data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)


# ------------------------------------------------------------------ parsing


def _records_jsonl(data: bytes, errors: _Errors) -> list[tuple[int, dict[str, Any]]]:
    records: list[tuple[int, dict[str, Any]]] = []
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if not raw.strip():
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            errors.add(number, None, "bad_utf8", f"Not valid UTF-8 (byte {exc.start + 1} of the line).")
            continue
        try:
            obj = jsonsafe.loads(text)
        except jsonsafe.JsonRejected as exc:
            errors.add(number, None, exc.code, f"Not valid JSON: {exc.message}.")
            continue
        if not isinstance(obj, dict):
            errors.add(number, None, "not_object", "Each line must be one JSON object.")
            continue
        records.append((number, obj))
    return records


def _records_csv(data: bytes, errors: _Errors) -> list[tuple[int, dict[str, Any]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        errors.add(data[: exc.start].count(b"\n") + 1, None, "bad_utf8", "Not valid UTF-8.")
        return []
    # strict: an unterminated quote or a stray quote is an error, never silently swallowed into a cell.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        return []
    except csv.Error as exc:
        errors.add(1, None, "bad_csv", f"Malformed CSV header: {exc}.")
        return []
    header = [name.strip() for name in header]
    for name in header:
        if name not in FIELDS:
            errors.add(1, name, "unknown_field", f"Unknown column {name!r}; known columns: {', '.join(FIELDS)}.")
    if len(set(header)) != len(header):
        errors.add(1, None, "duplicate_column", "A column name appears twice in the header.")
    records: list[tuple[int, dict[str, Any]]] = []
    start = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            hint = " (a quoted cell is never closed)" if "end of data" in str(exc) else ""
            errors.add(start, None, "bad_csv", f"Malformed CSV: {exc}{hint}.")
            break
        line = start
        start = reader.line_num + 1
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            errors.add(line, None, "bad_csv", f"Expected {len(header)} cells, found {len(row)}.")
            continue
        obj: dict[str, Any] = {}
        for name, cell in zip(header, row, strict=True):
            if cell == "" or name not in FIELDS:
                continue
            if name in JSON_COLUMNS:
                stripped = cell.strip()
                if name == "tags" and not stripped.startswith("["):
                    obj[name] = [tag.strip() for tag in stripped.split(";") if tag.strip()]
                    continue
                try:
                    obj[name] = jsonsafe.loads(stripped)
                except jsonsafe.JsonRejected as exc:
                    errors.add(line, name, exc.code, f"Column {name} must hold JSON: {exc.message}.")
                    continue
            else:
                obj[name] = cell
        records.append((line, obj))
    return records


def _text(obj: dict[str, Any], name: str, line: int, errors: _Errors, *, required: bool, max_len: int) -> str | None:
    if name not in obj or obj[name] is None:
        if required:
            errors.add(line, name, "missing_field", f"{name} is required.")
        return None
    value = obj[name]
    if name == "prompt_id" and isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        errors.add(line, name, "wrong_type", f"{name} must be a string, not {type(value).__name__}.")
        return None
    if required and not value.strip():
        errors.add(line, name, "missing_field", f"{name} must not be empty.")
        return None
    if len(value) > max_len:
        errors.add(line, name, "too_long", f"{name} is longer than {max_len} characters.")
        return None
    return value


def _safe_member(path: str) -> bool:
    """A relative path inside the zip: no absolute paths, drive letters, backslashes or '..'."""
    if not path or path.startswith(("/", "\\")) or "\\" in path or (len(path) > 1 and path[1] == ":"):
        return False
    return ".." not in path.split("/")


def _line_parse(number: int, obj: dict[str, Any], modality: str, errors: _Errors) -> _Line | None:
    before = len(errors.items)
    # What PostgreSQL cannot store (NUL, lone surrogates, non-finite numbers) or Python cannot walk
    # (deep nesting) is refused here, per field, before any other check looks at the value.
    for name, value in obj.items():
        if jsonsafe.text_problem(name):
            errors.add(number, name, "bad_character", f"The field name {name!r} is not plain text.")
            continue
        problem = jsonsafe.value_problem(value)
        if problem:
            errors.add(number, name, problem[0], f"{name}: {problem[1]}.")
    if len(errors.items) > before:
        return None
    for name in obj:
        if name not in FIELDS:
            errors.add(number, name, "unknown_field", f"Unknown field {name!r}; known fields: {', '.join(FIELDS)}.")
    prompt_id = _text(obj, "prompt_id", number, errors, required=True, max_len=200)
    system = _text(obj, "system", number, errors, required=True, max_len=200)
    prompt = _text(obj, "prompt", number, errors, required=False, max_len=100_000)
    output = _text(obj, "output", number, errors, required=False, max_len=1_000_000)
    image = _text(obj, "image", number, errors, required=False, max_len=500)
    prompt_image = _text(obj, "prompt_image", number, errors, required=False, max_len=500)
    for name, path in (("image", image), ("prompt_image", prompt_image)):
        if path is not None and not _safe_member(path.removeprefix("./")):
            errors.add(number, name, "unsafe_path", f"{name} must be a relative path inside the zip (no '..').")
    if modality == Study.Modality.TEXT:
        if image is not None:
            errors.add(number, "image", "modality_mismatch", "This is a text study: give `output`, not `image`.")
        elif "output" not in obj or (output is not None and not output.strip()):
            errors.add(number, "output", "missing_output", "The output text is missing or empty.")
    elif output is not None and output.strip():
        errors.add(number, "output", "modality_mismatch", "This is an image study: give `image`, not `output`.")
    elif image is None and "image" not in obj:
        errors.add(number, "image", "missing_output", "The output image path is missing.")
    tags = obj.get("tags")
    if tags is not None and (
        not isinstance(tags, list)
        or len(tags) > MAX_TAGS
        or not all(isinstance(tag, str) and 0 < len(tag) <= 100 for tag in tags)
    ):
        errors.add(number, "tags", "wrong_type", f"tags must be a list of up to {MAX_TAGS} non-empty strings.")
    messages = obj.get("messages")
    if messages is not None and (
        not isinstance(messages, list)
        or len(messages) > MAX_MESSAGES
        or not all(
            isinstance(m, dict)
            and set(m) <= {"role", "content"}
            and m.get("role") in MESSAGE_ROLES
            and isinstance(m.get("content"), str)
            for m in messages
        )
    ):
        errors.add(
            number,
            "messages",
            "wrong_type",
            "messages must be a list of {role, content} objects with role system/user/assistant/tool.",
        )
    meta = obj.get("meta", {})
    if not isinstance(meta, dict):
        errors.add(number, "meta", "wrong_type", "meta must be a JSON object.")
    gold = obj.get("gold")
    if gold is not None and (
        not isinstance(gold, dict)
        or not isinstance(gold.get("vs"), str)
        or not set(gold) <= {"vs", "answer", "explanation"}
        or not isinstance(gold.get("explanation", ""), str)
    ):
        errors.add(
            number,
            "gold",
            "wrong_type",
            'gold must be {"vs": "<other system>", "answer": {"overall": "a"}, "explanation": "..."}.',
        )
        gold = None
    if len(errors.items) > before or prompt_id is None or system is None:
        return None
    return _Line(
        line=number,
        prompt_id=prompt_id,
        system=system.strip(),
        prompt=prompt,
        output=output or "",
        image=image.removeprefix("./") if image else None,
        prompt_image=prompt_image.removeprefix("./") if prompt_image else None,
        tags=list(dict.fromkeys(tags)) if isinstance(tags, list) else tags,  # a tag counts once per prompt
        messages=messages,
        meta=meta,
        gold=gold,
    )


# ------------------------------------------------------------------ zip


def _zip_open(data: bytes, errors: _Errors) -> zipfile.ZipFile | None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError):
        errors.add(None, "images", "zip_invalid", "The images file is not a valid zip archive.")
        return None
    infos = archive.infolist()
    if len(infos) > settings.EVALSITE_ZIP_MAX_ENTRIES:
        errors.add(
            None,
            "images",
            "zip_too_many_entries",
            f"The zip has {len(infos)} entries; the limit is {settings.EVALSITE_ZIP_MAX_ENTRIES}.",
        )
        return None
    total = 0
    ok = True
    for info in infos:
        if not _safe_member(info.filename):
            errors.add(None, "images", "zip_unsafe_path", f"Unsafe path in zip: {info.filename[:200]!r}.")
            ok = False
        if info.flag_bits & 0x1:
            errors.add(None, "images", "zip_invalid", f"Encrypted zip entries are not supported: {info.filename!r}.")
            ok = False
        total += info.file_size
        if info.file_size > 1024 * 1024 and info.file_size > settings.EVALSITE_ZIP_MAX_RATIO * max(
            info.compress_size, 1
        ):
            errors.add(
                None,
                "images",
                "zip_bomb",
                f"Zip entry {info.filename!r} expands {info.file_size // max(info.compress_size, 1)}x "
                f"(limit {settings.EVALSITE_ZIP_MAX_RATIO}x): refused as a zip bomb.",
            )
            ok = False
    if total > settings.EVALSITE_ZIP_MAX_UNCOMPRESSED:
        errors.add(
            None,
            "images",
            "zip_too_large",
            f"The zip expands to {total} bytes; the limit is {settings.EVALSITE_ZIP_MAX_UNCOMPRESSED}.",
        )
        ok = False
    return archive if ok else None


def _zip_read(archive: zipfile.ZipFile, name: str) -> bytes:
    """Read one entry, never more than the image size limit (+1 to detect overflow), whatever the header says.

    A damaged entry (bad CRC, a size in the header that is not the real one, truncated or corrupt
    deflate data, a local header that disagrees with the directory) or one compressed with a method
    Python cannot read is refused as ImageRejected("zip_entry_invalid").
    """
    try:
        with archive.open(name) as handle:
            data = handle.read(settings.EVALSITE_IMAGE_MAX_BYTES + 1)
            if len(data) <= settings.EVALSITE_IMAGE_MAX_BYTES:
                handle.read(1)  # at the end of the entry: this is where zipfile checks the CRC and the size
            return data
    except NotImplementedError as exc:
        raise ImageRejected(
            "zip_entry_invalid", f"the zip entry uses a compression method that is not supported ({exc})."
        ) from exc
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, RuntimeError) as exc:
        raise ImageRejected(
            "zip_entry_invalid", f"the zip entry is damaged ({exc}): bad CRC, wrong size or corrupt data."
        ) from exc


# ------------------------------------------------------------------ the import


def _validate(
    *,
    study: Study,
    data: bytes,
    images: bytes | None,
    file_format: str,
    errors: _Errors,
    progress: Callable[[int], None] | None,
    stored: list[str],
) -> dict[str, Any]:
    """Parse and check everything; blind and store images (names collected in `stored`). No database writes."""
    if file_format not in ("jsonl", "csv"):
        errors.add(None, "file_format", "invalid_format", "file_format must be jsonl or csv.")
        return {}
    n_lines = count_lines(data)
    if n_lines > settings.EVALSITE_IMPORT_MAX_LINES:
        errors.add(
            None,
            "file",
            "too_many_lines",
            f"The file has {n_lines} lines; the limit is {settings.EVALSITE_IMPORT_MAX_LINES}.",
        )
        return {}
    records = _records_jsonl(data, errors) if file_format == "jsonl" else _records_csv(data, errors)
    if not records and not errors.items:
        errors.add(None, "file", "empty_file", "The file has no rows.")
        return {}

    existing_prompts = {
        ext: (pk, text, image)
        for ext, pk, text, image in Prompt.objects.filter(study=study).values_list("external_id", "id", "text", "image")
    }
    existing_systems = dict(System.objects.filter(study=study).values_list("name", "id"))
    existing_pairs = set(
        Output.objects.filter(study=study)
        .values_list("prompt__external_id", "system__name")
        .iterator(chunk_size=10_000)
    )

    lines: list[_Line] = []
    first_seen: dict[tuple[str, str], int] = {}
    prompt_first: dict[str, _Line] = {}
    for index, (number, obj) in enumerate(records):
        if progress and index % 5000 == 0:
            progress(index)
        parsed = _line_parse(number, obj, study.modality, errors)
        if parsed is None:
            continue
        key = (parsed.prompt_id, parsed.system)
        if key in first_seen:
            errors.add(
                number,
                "system",
                "duplicate_output",
                f"Duplicate (prompt_id, system) = ({parsed.prompt_id!r}, {parsed.system!r}); first on line {first_seen[key]}.",
            )
            continue
        first_seen[key] = number
        first = prompt_first.get(parsed.prompt_id)
        if first is None:
            prompt_first[parsed.prompt_id] = parsed
            stored_prompt = existing_prompts.get(parsed.prompt_id)
            if stored_prompt is not None and parsed.prompt is not None and parsed.prompt != stored_prompt[1]:
                errors.add(
                    number,
                    "prompt",
                    "inconsistent_prompt",
                    f"prompt_id {parsed.prompt_id!r} already exists in this study with a different prompt text.",
                )
            if stored_prompt is None and not (parsed.prompt or "").strip() and not parsed.prompt_image:
                errors.add(number, "prompt", "missing_field", "A new prompt needs `prompt` text or a `prompt_image`.")
        else:
            for name in ("prompt", "prompt_image", "tags", "messages"):
                mine, theirs = getattr(parsed, name), getattr(first, name)
                if mine is not None and theirs is not None and mine != theirs:
                    errors.add(
                        number,
                        name,
                        "inconsistent_prompt",
                        f"{name} differs from line {first.line} for the same prompt_id {parsed.prompt_id!r}.",
                    )
                elif mine is not None and theirs is None:
                    setattr(first, name, mine)
        lines.append(parsed)

    # Gold marks inside the import: the `vs` system must have an output for the same prompt.
    gold_marks: list[dict[str, Any]] = []
    for parsed in lines:
        if parsed.gold is None:
            continue
        vs = parsed.gold["vs"]
        answer, problem = gold_answer_clean(study=study, answer=parsed.gold.get("answer"))
        if problem:
            errors.add(parsed.line, "gold", "invalid_gold", f"gold.answer {problem}.")
        elif vs == parsed.system:
            errors.add(parsed.line, "gold", "invalid_gold", "gold.vs must name another system.")
        elif (parsed.prompt_id, vs) not in first_seen and (parsed.prompt_id, vs) not in existing_pairs:
            errors.add(parsed.line, "gold", "invalid_gold", f"gold.vs: no output of {vs!r} for this prompt.")
        else:
            gold_marks.append(
                {
                    "prompt_id": parsed.prompt_id,
                    "system_a": parsed.system,
                    "system_b": vs,
                    "answer": answer,
                    "explanation": parsed.gold.get("explanation", ""),
                }
            )

    new_lines = [parsed for parsed in lines if (parsed.prompt_id, parsed.system) not in existing_pairs]
    new_prompt_ids = {parsed.prompt_id for parsed in new_lines if parsed.prompt_id not in existing_prompts}

    # Images: every path must be in the zip; each distinct path is blinded once.
    refs: dict[str, list[tuple[int, str]]] = {}
    for parsed in new_lines:
        if parsed.image:
            refs.setdefault(parsed.image, []).append((parsed.line, "image"))
        first = prompt_first[parsed.prompt_id]
        if parsed.prompt_id in new_prompt_ids and first is parsed and first.prompt_image:
            refs.setdefault(first.prompt_image, []).append((parsed.line, "prompt_image"))
    blinded: dict[str, tuple[str, int, int]] = {}
    # Output images go onto the study's one canvas (Study.image_canvas): the first one fixes its size
    # unless the owner set it. Prompt images are shown with both sides and keep their own size.
    canvas_mode = study.image_canvas if study.modality == Study.Modality.IMAGE else Study.ImageCanvas.OFF
    canvas_size: tuple[int | None, int | None] = (study.image_canvas_width, study.image_canvas_height)
    new_canvas: tuple[int, int] | None = None
    if refs:
        archive = _zip_open(images, errors) if images is not None else None
        if images is None:
            for path, uses in refs.items():
                line, name = uses[0]
                errors.add(line, name, "image_missing", f"{path!r}: no images zip was uploaded.")
        elif archive is not None:
            members = set(archive.namelist())
            for path, uses in refs.items():
                line, name = uses[0]
                if path not in members:
                    errors.add(line, name, "image_missing", f"{path!r} is not in the images zip.")
                    continue
                is_output = any(use == "image" for _, use in uses)
                canvas = (canvas_mode, *canvas_size) if is_output and canvas_mode != Study.ImageCanvas.OFF else None
                try:
                    image = image_blind(_zip_read(archive, path), canvas=canvas)
                except ImageRejected as exc:
                    errors.add(line, name, exc.code, f"{path!r}: {exc.message}")
                    continue
                if errors.items:
                    continue  # validate the rest, but store nothing once anything failed
                stored.append(image_store(image=image))
                blinded[path] = (stored[-1], image.width, image.height)
                if canvas is not None and canvas_size[0] is None:
                    canvas_size = new_canvas = (image.width, image.height)
    if progress:
        progress(len(records))
    return {
        "records": len(records),
        "lines": lines,
        "new_lines": new_lines,
        "prompt_first": prompt_first,
        "new_prompt_ids": new_prompt_ids,
        "existing_systems": existing_systems,
        "blinded": blinded,
        "gold_marks": gold_marks,
        "new_canvas": new_canvas,
    }


def _write(*, study: Study, plan: dict[str, Any]) -> dict[str, int]:
    new_lines: list[_Line] = plan["new_lines"]
    prompt_first: dict[str, _Line] = plan["prompt_first"]
    blinded: dict[str, tuple[str, int, int]] = plan["blinded"]
    system_names = {parsed.system for parsed in plan["lines"]}
    new_systems = sorted(system_names - set(plan["existing_systems"]))
    if plan.get("new_canvas") and study.image_canvas_width is None:
        study.image_canvas_width, study.image_canvas_height = plan["new_canvas"]
        study.save(update_fields=["image_canvas_width", "image_canvas_height"])
    System.objects.bulk_create([System(study=study, name=name) for name in new_systems], batch_size=BATCH_SIZE)
    system_ids = dict(System.objects.filter(study=study).values_list("name", "id"))

    now = timezone.now()
    prompt_order = sorted(plan["new_prompt_ids"], key=lambda p: prompt_first[p].line)
    n_prompts = rows_insert(
        model=Prompt,
        columns=["external_id", "public_id", "text", "image", "messages", "tags"],
        rows=(
            (
                prompt_id,
                public_id,
                prompt_first[prompt_id].prompt or "",
                blinded[image][0] if (image := prompt_first[prompt_id].prompt_image) else "",
                json.dumps(prompt_first[prompt_id].messages or []),
                json.dumps(prompt_first[prompt_id].tags or []),
            )
            for prompt_id, public_id in zip(prompt_order, public_ids(len(prompt_order)), strict=True)
        ),
        constants={"study": study.pk, "meta": {}, "created_at": now},
    )
    prompt_ids = dict(Prompt.objects.filter(study=study).values_list("external_id", "id"))

    scanner = LeakScanner(system_ids)
    flagged = 0

    def output_rows() -> Iterator[tuple[Any, ...]]:
        nonlocal flagged
        for parsed, public_id in zip(new_lines, public_ids(len(new_lines)), strict=True):
            flags = scanner.scan(parsed.output) if parsed.output else []
            flagged += bool(flags)
            image_name, width, height = blinded[parsed.image] if parsed.image else ("", None, None)
            yield (
                prompt_ids[parsed.prompt_id],
                system_ids[parsed.system],
                public_id,
                parsed.output,
                image_name,
                width,
                height,
                json.dumps(flags),
                Output.LeakReview.FLAGGED.value if flags else Output.LeakReview.CLEAN.value,
                json.dumps(parsed.meta),
            )

    n_outputs = rows_insert(
        model=Output,
        columns=[
            "prompt",
            "system",
            "public_id",
            "text",
            "image",
            "image_width",
            "image_height",
            "leak_flags",
            "leak_review",
            "meta",
        ],
        rows=output_rows(),
        constants={"study": study.pk, "created_at": now},
    )

    # Names this import adds are looked for in the outputs imported before (whose scan could not know them),
    # and everything else raters read (study name, instructions, criteria, prompts, chat, gold) is rescanned.
    earlier_flagged = 0
    if new_systems and plan["existing_systems"]:
        earlier_flagged = outputs_rescan(
            study=study,
            system_names=new_systems,
            exclude_ids=Output.objects.filter(study=study, created_at=now).values_list("pk", flat=True),
        )

    marks = plan["gold_marks"]
    if marks:
        by_pair = {
            (ext, name): output
            for output, ext, name in (
                (o, o.prompt.external_id, o.system.name)
                for o in Output.objects.filter(
                    study=study, prompt__external_id__in={m["prompt_id"] for m in marks}
                ).select_related("prompt", "system")
            )
        }
        for mark in marks:
            gold_store(
                study=study,
                output_a=by_pair[(mark["prompt_id"], mark["system_a"])],
                output_b=by_pair[(mark["prompt_id"], mark["system_b"])],
                answer=mark["answer"],
                explanation=mark["explanation"].strip(),
            )
    study_leak_rescan(study=study)
    return {
        "lines": plan["records"],
        "systems_created": len(new_systems),
        "prompts_created": n_prompts,
        "outputs_created": n_outputs,
        "outputs_skipped": len(plan["lines"]) - len(new_lines),
        "images_stored": len(blinded),
        "flagged": flagged,
        "gold_marked": len(marks),
        "earlier_outputs_flagged": earlier_flagged,
    }


def import_run(
    *,
    study: Study,
    data: Source,
    images_zip: Source | None = None,
    file_format: str = "jsonl",
    progress: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Validate everything, then write everything in one transaction. Raises ApplicationError(import_invalid)."""
    errors = _Errors()
    if study.status != Study.Status.DRAFT:
        raise ApplicationError(
            "Outputs can only be imported into a draft study.", code="study_not_draft", extra={"status": study.status}
        )
    raw = _read_limited(data, settings.EVALSITE_IMPORT_MAX_BYTES, what="file", code="file_too_large", errors=errors)
    images = _read_limited(
        images_zip, settings.EVALSITE_ZIP_MAX_BYTES, what="images", code="zip_too_large", errors=errors
    )
    errors.raise_if_any()
    stored: list[str] = []
    try:
        plan = _validate(
            study=study,
            data=raw or b"",
            images=images,
            file_format=file_format,
            errors=errors,
            progress=progress,
            stored=stored,
        )
        errors.raise_if_any()
        with transaction.atomic():
            locked = Study.objects.select_for_update().get(pk=study.pk)
            if locked.status != Study.Status.DRAFT:
                raise ApplicationError("The study was launched meanwhile.", code="study_not_draft")
            try:
                with transaction.atomic():
                    return _write(study=locked, plan=plan)
            except IntegrityError as exc:
                raise ApplicationError(
                    "Another import into this study ran at the same time; nothing was imported, please retry.",
                    code="import_conflict",
                ) from exc
            except DataError as exc:
                raise ApplicationError(
                    f"The database refused a value ({exc.__class__.__name__}); nothing was imported.",
                    code="import_invalid_value",
                ) from exc
    except BaseException:
        images_delete(stored)
        raise


def import_outputs(
    *,
    study: Study,
    data: Source,
    images_zip: Source | None = None,
    file_format: str = "jsonl",
    created_by: Any = None,
    background: bool | None = None,
) -> ImportResult:
    """Import now (small files) or start a background job (EVALSITE_IMPORT_ASYNC_LINES lines or more).

    `background=True/False` forces the choice. Small imports return `ImportResult(summary=...)`
    or raise ApplicationError; large ones return `ImportResult(job=...)` whose status, progress
    and errors are on the ImportJob.
    """

    if study.status != Study.Status.DRAFT:
        raise ApplicationError(
            "Outputs can only be imported into a draft study.", code="study_not_draft", extra={"status": study.status}
        )
    if isinstance(data, (bytes, bytearray)):
        raw = bytes(data)
    else:
        if hasattr(data, "seek"):
            data.seek(0)
        raw = data.read(settings.EVALSITE_IMPORT_MAX_BYTES + 1)
    lines = count_lines(raw)
    if background is None:
        background = lines >= settings.EVALSITE_IMPORT_ASYNC_LINES
    if not background or len(raw) > settings.EVALSITE_IMPORT_MAX_BYTES:
        return ImportResult(summary=import_run(study=study, data=raw, images_zip=images_zip, file_format=file_format))
    job = ImportJob(study=study, created_by=created_by, file_format=file_format, lines_total=lines)
    job.file.save(f"{secrets.token_hex(16)}.{file_format}", ContentFile(raw), save=False)
    if images_zip is not None:
        if not isinstance(images_zip, (bytes, bytearray)) and hasattr(images_zip, "seek"):
            images_zip.seek(0)
        zip_bytes = images_zip if isinstance(images_zip, (bytes, bytearray)) else images_zip.read()
        job.images.save(f"{secrets.token_hex(16)}.zip", ContentFile(bytes(zip_bytes)), save=False)
    job.save()
    transaction.on_commit(lambda: job_enqueue("tasks.jobs.import_job_run", job.pk))
    return ImportResult(job=job)
