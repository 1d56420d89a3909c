"""Gold comparisons: pairs the owner marks with the expected answer (in the import, a gold file, or later).

A gold mark names a prompt (its `prompt_id`), two systems and the expected answer per
criterion, written for `system_a` vs `system_b`: `{"overall": "a"}` means system_a is better.
Canonical sides are drawn at random when the comparison is stored (the answer flipped to
match), so a gold comparison's sides say nothing either.
"""

from __future__ import annotations

import csv
import io
import random
from typing import Any

from django.db import transaction

from evalsite.errors import ApplicationError
from tasks.lib import jsonsafe
from tasks.models import CHOICES, Assignment, Comparison, Output, Study
from tasks.services.blinding import study_leak_rescan

GOLD_FIELDS = {"prompt_id", "system_a", "system_b", "answer", "explanation"}


def answer_flip(answer: dict[str, str]) -> dict[str, str]:
    """A gold answer with sides a/b swapped (tie and both_bad stay)."""
    swap = {"a": "b", "b": "a"}
    return {key: swap.get(value, value) for key, value in answer.items()}


def gold_answer_clean(*, study: Study, answer: Any) -> tuple[dict[str, str], str | None]:
    """(normalised answer, error message or None). A bare string means the `overall` criterion."""
    if isinstance(answer, str):
        answer = {"overall": answer}
    if not isinstance(answer, dict) or not answer:
        return {}, 'must be an object like {"overall": "a"} (or just "a")'
    keys = {criterion["key"] for criterion in study.criteria}
    for key, value in answer.items():
        if key not in keys:
            return {}, f"unknown criterion {key!r} (the study has {', '.join(sorted(keys))})"
        if value not in CHOICES:
            return {}, f"answer for {key!r} must be one of {', '.join(CHOICES)}"
    return dict(answer), None


def gold_store(
    *, study: Study, output_a: Output, output_b: Output, answer: dict[str, str], explanation: str
) -> Comparison:
    """Create or update the gold comparison of these two outputs (either orientation). Answer is for a=output_a."""
    existing = Comparison.objects.filter(
        study=study, kind=Comparison.Kind.GOLD, output_a=output_a, output_b=output_b
    ).first()
    if existing is None:
        reverse = Comparison.objects.filter(
            study=study, kind=Comparison.Kind.GOLD, output_a=output_b, output_b=output_a
        ).first()
        if reverse is not None:
            existing, answer = reverse, answer_flip(answer)
    if existing is not None:
        if answer != existing.gold_answers and existing.judgment_count > 0:
            # Raters were already scored (and told) against the old answer; changing it would rewrite that.
            raise ApplicationError(
                "This gold pair has been judged already: its expected answer can no longer change "
                "(the explanation can). Unmark it and mark a new pair instead.",
                code="gold_answer_frozen",
                extra={"comparison": existing.public_id, "judgments": existing.judgment_count},
            )
        existing.gold_answers = answer
        existing.gold_explanation = explanation
        existing.active = Output.LeakReview.EXCLUDED not in (output_a.leak_review, output_b.leak_review)
        existing.save(update_fields=["gold_answers", "gold_explanation", "active"])
        return existing
    if random.SystemRandom().random() < 0.5:
        output_a, output_b, answer = output_b, output_a, answer_flip(answer)
    return Comparison.objects.create(
        study=study,
        prompt_id=output_a.prompt_id,
        output_a=output_a,
        output_b=output_b,
        kind=Comparison.Kind.GOLD,
        gold_answers=answer,
        gold_explanation=explanation,
        active=Output.LeakReview.EXCLUDED not in (output_a.leak_review, output_b.leak_review),
    )


def _outputs_for(study: Study, prompt_id: str, system_a: str, system_b: str) -> tuple[Output | None, Output | None]:
    outputs = {
        o.system.name: o
        for o in Output.objects.filter(
            study=study, prompt__external_id=prompt_id, system__name__in=[system_a, system_b]
        ).select_related("system")
    }
    return outputs.get(system_a), outputs.get(system_b)


def _mark_errors(study: Study, row: dict[str, Any]) -> tuple[list[tuple[str, str]], dict[str, Any]]:
    errors: list[tuple[str, str]] = []
    for field in sorted(set(row) - GOLD_FIELDS):
        errors.append((jsonsafe.printable(str(field)), "unknown field"))
    for field in sorted(set(row) & GOLD_FIELDS):
        unstorable = jsonsafe.value_problem(row[field])
        if unstorable:
            errors.append((field, unstorable[1]))
    if errors:
        return errors, {}
    for field in ("prompt_id", "system_a", "system_b"):
        value = row.get(field)
        if isinstance(value, int) and not isinstance(value, bool) and field == "prompt_id":
            row[field] = str(value)
        elif not isinstance(value, str) or not value.strip():
            errors.append((field, "required text"))
    explanation = row.get("explanation", "")
    if not isinstance(explanation, str):
        errors.append(("explanation", "must be text"))
    answer, problem = gold_answer_clean(study=study, answer=row.get("answer"))
    if problem:
        errors.append(("answer", problem))
    if errors:
        return errors, {}
    if row["system_a"] == row["system_b"]:
        return [("system_b", "must differ from system_a")], {}
    output_a, output_b = _outputs_for(study, row["prompt_id"], row["system_a"], row["system_b"])
    if output_a is None:
        errors.append(("system_a", f"no output of {row['system_a']!r} for prompt {row['prompt_id']!r}"))
    if output_b is None:
        errors.append(("system_b", f"no output of {row['system_b']!r} for prompt {row['prompt_id']!r}"))
    return errors, {
        "output_a": output_a,
        "output_b": output_b,
        "answer": answer,
        "explanation": (explanation or "").strip(),
    }


@transaction.atomic
def gold_mark(
    *, study: Study, prompt_id: str, system_a: str, system_b: str, answer: Any, explanation: str = ""
) -> Comparison:
    """Mark one pair gold with its expected answer (answer sides: a = system_a)."""
    if study.status == Study.Status.CLOSED:
        raise ApplicationError("The study is closed.", code="study_closed")
    errors, clean = _mark_errors(
        study,
        {
            "prompt_id": prompt_id,
            "system_a": system_a,
            "system_b": system_b,
            "answer": answer,
            "explanation": explanation,
        },
    )
    if errors:
        raise ApplicationError(
            "Invalid gold mark.",
            code="invalid_gold",
            extra={"fields": {field: [message] for field, message in errors}},
        )
    comparison = gold_store(study=study, **clean)
    study_leak_rescan(study=study, parts={"gold"})  # the explanation is shown to raters after they answer
    return comparison


@transaction.atomic
def gold_unmark(*, study: Study, comparison_public_id: str) -> None:
    """Remove a gold comparison; once raters may have seen it, it is deactivated instead of deleted."""
    comparison = Comparison.objects.filter(
        study=study, kind=Comparison.Kind.GOLD, public_id=comparison_public_id
    ).first()
    if comparison is None:
        raise ApplicationError("No such gold comparison.", code="not_found", status_code=404)
    if Assignment.objects.filter(comparison=comparison).exists():
        comparison.active = False
        comparison.save(update_fields=["active"])
    else:
        comparison.delete()
    study_leak_rescan(study=study, parts={"gold"})


def _gold_rows(data: bytes, file_format: str) -> list[tuple[int, Any]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ApplicationError(
            "Gold file rejected.",
            code="import_invalid",
            extra={"errors": [{"line": line, "field": None, "code": "bad_utf8", "message": "Not valid UTF-8."}]},
        ) from exc
    rows: list[tuple[int, Any]] = []
    if file_format == "csv":
        # strict: an unterminated or stray quote is reported, never swallowed into a cell.
        reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
        start = 2
        try:
            for row in reader:
                clean = {k: v for k, v in row.items() if k is not None and v not in ("", None)}
                if None in row:
                    clean["(extra cells)"] = row[None]
                answer = clean.get("answer")
                if isinstance(answer, str) and answer.strip().startswith("{"):
                    try:
                        clean["answer"] = jsonsafe.loads(answer)
                    except jsonsafe.JsonRejected as exc:
                        rows.append((start, exc))
                        start = reader.line_num + 1
                        continue
                rows.append((start, clean))
                start = reader.line_num + 1
        except csv.Error as exc:
            hint = " (a quoted cell is never closed)" if "end of data" in str(exc) else ""
            rows.append((start, jsonsafe.JsonRejected("bad_csv", f"Malformed CSV: {exc}{hint}")))
        return rows
    for number, raw_line in enumerate(text.split("\n"), start=1):
        if not raw_line.strip():
            continue
        try:
            rows.append((number, jsonsafe.loads(raw_line)))
        except jsonsafe.JsonRejected as exc:
            rows.append((number, exc))
    return rows


@transaction.atomic
def gold_import(*, study: Study, data: bytes, file_format: str = "jsonl") -> dict[str, int]:
    """A file of gold marks (JSONL or CSV: prompt_id, system_a, system_b, answer, explanation). All or nothing."""
    if study.status == Study.Status.CLOSED:
        raise ApplicationError("The study is closed.", code="study_closed")
    if file_format not in ("jsonl", "csv"):
        raise ApplicationError("file_format must be jsonl or csv.", code="invalid_format")
    errors: list[dict[str, Any]] = []
    marks: list[dict[str, Any]] = []
    seen: dict[tuple[str, frozenset[str]], int] = {}
    for line, row in _gold_rows(data, file_format):
        if isinstance(row, jsonsafe.JsonRejected):
            message = row.message if row.code == "bad_csv" else f"Not valid JSON: {row.message}"
            errors.append({"line": line, "field": None, "code": row.code, "message": f"{message}."})
            continue
        if not isinstance(row, dict):
            errors.append(
                {"line": line, "field": None, "code": "not_object", "message": "Each line must be an object."}
            )
            continue
        problems, clean = _mark_errors(study, row)
        for field, message in problems:
            errors.append({"line": line, "field": field, "code": "invalid_gold", "message": message})
        if not problems:
            key = (row["prompt_id"], frozenset((row["system_a"], row["system_b"])))
            if key in seen:
                errors.append(
                    {
                        "line": line,
                        "field": "system_b",
                        "code": "duplicate_gold",
                        "message": f"Same pair already marked on line {seen[key]}.",
                    }
                )
                continue
            seen[key] = line
            marks.append(clean)
    if errors:
        raise ApplicationError(
            f"Gold file rejected: {len(errors)} error(s).", code="import_invalid", extra={"errors": errors}
        )
    if not marks:
        raise ApplicationError("The gold file has no rows.", code="empty_file")
    for mark in marks:
        gold_store(study=study, **mark)
    study_leak_rescan(study=study, parts={"gold"})
    return {"gold_marked": len(marks)}
