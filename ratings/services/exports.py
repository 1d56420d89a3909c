"""Exports: judgments, preferences, battles and leaderboards as JSONL / JSON / CSV, streamed.

Memory stays flat however large the study: rows come from `.values().iterator()`
in chunks, preferences are aggregated by GROUP BY in the database, and every
writer yields bytes row by row. Small exports stream straight to the client; big
ones (more judgments than `EVALSITE_EXPORT_STREAM_MAX_ROWS`) run as a Celery job
(`ratings.jobs.export_run`) that writes a file under MEDIA_ROOT.

Formats and filters are documented in docs/formats.md.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import io
import itertools
import json
import os
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Count, F, FloatField, Q, QuerySet
from django.db.models.functions import Cast, Greatest
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from evalsite.errors import ApplicationError
from evalsite.jobqueue import job_enqueue
from ratings.models import Export, Judgment, JudgmentChoice, Leaderboard
from ratings.selectors.leaderboard import leaderboard_system_rows
from tasks.models import Comparison, Output, Rater, Study
from tasks.selectors.studies import prompt_ids_with_tags

FORMATS = ("judgments", "preferences", "battles", "leaderboard")
FILE_TYPES = {"judgments": ("jsonl", "csv"), "preferences": ("jsonl", "csv"), "battles": ("json", "csv")}
FILE_TYPES["leaderboard"] = ("json", "csv")
CHUNK = 2000
# Spreadsheets evaluate a cell that starts with any of these (Excel, LibreOffice, Google Sheets; DDE via "|";
# full-width and small forms are folded to ASCII by some of them), also after leading blanks.
CSV_DANGEROUS_PREFIXES = (
    "=",
    "+",
    "-",
    "@",
    "\t",
    "\r",
    "\n",
    "|",
    "%",
    "\uff1d",  # ＝ full-width
    "\uff0b",  # ＋
    "\uff0d",  # －
    "\uff20",  # ＠
    "\uff5c",  # ｜
    "\uff05",  # ％
    "\ufe66",  # ﹦ small
    "\ufe62",  # ﹢
    "\ufe63",  # ﹣
    "\u2212",  # − minus sign
)
BATTLE_WINNER = {"a": "model_a", "b": "model_b", "tie": "tie", "both_bad": "tie (bothbad)"}


def stream_max_rows() -> int:
    return settings.EVALSITE_EXPORT_STREAM_MAX_ROWS


# --------------------------------------------------------------------------- filters


@dataclass(frozen=True)
class ExportFilters:
    """Validated export filters. See docs/formats.md for what each one means."""

    criterion: str = ""
    tags: tuple[str, ...] = ()
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    exclude_gold: bool = False
    exclude_repeat: bool = False
    exclude_flagged: bool = False
    exclude_excluded: bool = True
    exclude_excluded_outputs: bool = True
    min_votes: int = 1
    min_agreement: float = 0.0
    drop_ties: bool = False
    # The criterion a battle / per-comparison vote filter is about (criterion, else the study's first).
    primary_criterion: str = field(default="", compare=False)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["tags"] = list(self.tags)
        data["since"] = self.since.isoformat() if self.since else None
        data["until"] = self.until.isoformat() if self.until else None
        data.pop("primary_criterion")
        return data


# The filters' names, from the one definition above: the API, the owner page and the command all use these.
FILTER_NAMES: tuple[str, ...] = tuple(f.name for f in fields(ExportFilters) if f.compare)
BOOLEAN_FILTERS: tuple[str, ...] = tuple(f.name for f in fields(ExportFilters) if f.compare and f.type == "bool")


def _bool(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if value is None or value == "":
        return False
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    raise ApplicationError(
        f"Filter '{name}' must be true or false, got {value!r}.",
        code="invalid_filter",
        extra={"field": name},
    )


def _when(value: Any, name: str, *, end: bool) -> dt.datetime | None:
    if value in (None, ""):
        return None
    moment: dt.datetime | None
    if isinstance(value, dt.datetime):
        moment = value
    else:
        text = str(value).strip()
        day = parse_date(text) if len(text) == 10 else None
        moment = None if day else parse_datetime(text)
        if moment is None:
            if day is None:
                raise ApplicationError(
                    f"Filter '{name}' must be an ISO date (2026-01-31) or date-time, got {value!r}.",
                    code="invalid_filter",
                    extra={"field": name},
                )
            # A date bound covers the whole day: until=2026-01-31 includes that day.
            moment = dt.datetime.combine(day + dt.timedelta(days=1) if end else day, dt.time.min)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, dt.UTC)
    return moment


def _number(
    data: dict[str, Any], name: str, cast: type, *, default: float, low: float, high: float | None, what: str
) -> float:
    raw = data.get(name)
    if raw in (None, ""):
        return default
    try:
        value = cast(raw)
    except (TypeError, ValueError):
        value = None
    if value is None or value < low or (high is not None and value > high):
        raise ApplicationError(
            f"Filter '{name}' must be {what}, got {raw!r}.", code="invalid_filter", extra={"field": name}
        )
    return value


def export_filters_parse(*, study: Study, data: dict[str, Any]) -> ExportFilters:
    """Validate raw filter values (query string, form, JSON or CLI) into ExportFilters; clear errors name the field."""
    known = set(ExportFilters.__dataclass_fields__) - {"primary_criterion"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ApplicationError(
            f"Unknown filter(s): {', '.join(unknown)}. Known: {', '.join(sorted(known))}.",
            code="invalid_filter",
            extra={"field": unknown[0]},
        )
    criteria = study.criterion_keys
    criterion = str(data.get("criterion") or "").strip()
    if criterion and criterion not in criteria:
        raise ApplicationError(
            f"Filter 'criterion': {criterion!r} is not a criterion of this study ({', '.join(criteria)}).",
            code="invalid_filter",
            extra={"field": "criterion"},
        )
    raw_tags = data.get("tags") or []
    if isinstance(raw_tags, str):
        raw_tags = [t for t in (s.strip() for s in raw_tags.split(",")) if t]
    if not isinstance(raw_tags, list | tuple) or not all(isinstance(t, str) for t in raw_tags):
        raise ApplicationError(
            "Filter 'tags' must be a list of strings or a comma-separated string.",
            code="invalid_filter",
            extra={"field": "tags"},
        )
    since = _when(data.get("since"), "since", end=False)
    until = _when(data.get("until"), "until", end=True)
    if since and until and since >= until:
        raise ApplicationError(
            "Filter 'since' must be before 'until'.", code="invalid_filter", extra={"field": "since"}
        )
    min_votes = int(_number(data, "min_votes", int, default=1, low=1, high=None, what="a whole number >= 1"))
    min_agreement = _number(data, "min_agreement", float, default=0.0, low=0.0, high=1.0, what="a number from 0 to 1")
    return ExportFilters(
        criterion=criterion,
        tags=tuple(sorted(set(raw_tags))),
        since=since,
        until=until,
        exclude_gold=_bool(data.get("exclude_gold"), "exclude_gold"),
        exclude_repeat=_bool(data.get("exclude_repeat"), "exclude_repeat"),
        exclude_flagged=_bool(data.get("exclude_flagged"), "exclude_flagged"),
        exclude_excluded=True
        if "exclude_excluded" not in data
        else _bool(data["exclude_excluded"], "exclude_excluded"),
        exclude_excluded_outputs=True
        if "exclude_excluded_outputs" not in data
        else _bool(data["exclude_excluded_outputs"], "exclude_excluded_outputs"),
        min_votes=min_votes,
        min_agreement=min_agreement,
        drop_ties=_bool(data.get("drop_ties"), "drop_ties"),
        primary_criterion=criterion or criteria[0],
    )


def _choices_base(*, study: Study, filters: ExportFilters, criterion_only: str = "") -> QuerySet[JudgmentChoice]:
    """JudgmentChoice rows passing every row-level filter (not the per-comparison vote filters)."""
    qs = JudgmentChoice.objects.filter(study=study)
    criterion = criterion_only or filters.criterion
    if criterion:
        qs = qs.filter(criterion=criterion)
    if filters.tags:
        qs = qs.filter(judgment__comparison__prompt_id__in=prompt_ids_with_tags(study=study, tags=filters.tags))
    if filters.since:
        qs = qs.filter(judgment__created_at__gte=filters.since)
    if filters.until:
        qs = qs.filter(judgment__created_at__lt=filters.until)
    if filters.exclude_gold:
        qs = qs.exclude(judgment__comparison__kind=Comparison.Kind.GOLD)
    if filters.exclude_repeat:
        qs = qs.exclude(judgment__comparison__kind=Comparison.Kind.REPEAT)
    if filters.exclude_flagged:
        qs = qs.exclude(judgment__rater__status=Rater.Status.FLAGGED)
    if filters.exclude_excluded:
        qs = qs.exclude(judgment__rater__excluded=True)
    if filters.exclude_excluded_outputs:
        # Outputs the owner excluded (identity leak, broken): left out, as the leaderboard does.
        excluded = Output.LeakReview.EXCLUDED
        qs = qs.exclude(judgment__comparison__output_a__leak_review=excluded).exclude(
            judgment__comparison__output_b__leak_review=excluded
        )
    return qs


def _vote_annotations() -> dict[str, Any]:
    return {
        "n": Count("id"),
        "v_a": Count("id", filter=Q(choice="a")),
        "v_b": Count("id", filter=Q(choice="b")),
        "v_tie": Count("id", filter=Q(choice="tie")),
        "v_both_bad": Count("id", filter=Q(choice="both_bad")),
    }


def _eligible_comparisons(*, study: Study, filters: ExportFilters) -> QuerySet | None:
    """Comparison ids passing min_votes / min_agreement on the primary criterion (a subquery), or None."""
    if filters.min_votes <= 1 and filters.min_agreement <= 0:
        return None
    groups = (
        _choices_base(study=study, filters=filters, criterion_only=filters.primary_criterion)
        .values("judgment__comparison_id")
        .annotate(**_vote_annotations())
        .annotate(
            agreement=Cast(Greatest("v_a", "v_b", "v_tie", "v_both_bad"), FloatField()) / Cast(F("n"), FloatField())
        )
        .filter(n__gte=filters.min_votes, agreement__gte=filters.min_agreement - 1e-9)  # type: ignore[misc]
        .values("judgment__comparison_id")
    )
    return groups


def _choices_filtered(*, study: Study, filters: ExportFilters, criterion_only: str = "") -> QuerySet[JudgmentChoice]:
    qs = _choices_base(study=study, filters=filters, criterion_only=criterion_only)
    eligible = _eligible_comparisons(study=study, filters=filters)
    if eligible is not None:
        qs = qs.filter(judgment__comparison_id__in=eligible)
    if filters.drop_ties:
        qs = qs.exclude(choice__in=["tie", "both_bad"])
    return qs


# --------------------------------------------------------------------------- rater pseudonyms


def rater_pseudonym(*, salt: str, platform: str, external_id: str) -> str:
    """A stable pseudonymous rater id: HMAC-SHA256 keyed by the study's salt. Same rater, same id within a study only."""
    digest = hmac.new(salt.encode(), f"{platform}:{external_id}".encode(), hashlib.sha256).hexdigest()
    return f"r_{digest[:20]}"


class _Pseudonyms:
    def __init__(self, study: Study) -> None:
        self.salt = study.rater_salt
        self.cache: dict[int, str] = {}

    def __call__(self, rater_id: int, platform: str, external_id: str) -> str:
        value = self.cache.get(rater_id)
        if value is None:
            value = rater_pseudonym(salt=self.salt, platform=platform, external_id=external_id)
            if len(self.cache) < 200_000:
                self.cache[rater_id] = value
        return value


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


# --------------------------------------------------------------------------- row generators


JUDGMENT_FIELDS = (
    "judgment_id",
    "judgment__comparison__public_id",
    "judgment__comparison__kind",
    "judgment__comparison__prompt__external_id",
    "judgment__comparison__output_a__public_id",
    "judgment__comparison__output_b__public_id",
    "judgment__comparison__output_a__system__name",
    "judgment__comparison__output_b__system__name",
    "judgment__assignment__left_side",
    "judgment__assignment__leased_at",
    "judgment__rationale",
    "judgment__seconds",
    "judgment__gold_correct",
    "judgment__created_at",
    "judgment__rater_id",
    "judgment__rater__platform",
    "judgment__rater__external_id",
    "judgment__rater__status",
    "judgment__rater__excluded",
    "criterion",
    "choice",
    "likert_a",
    "likert_b",
)


def judgments_count(*, study: Study, filters: ExportFilters) -> int:
    return _choices_filtered(study=study, filters=filters).values("judgment_id").distinct().count()


def judgment_rows(*, study: Study, filters: ExportFilters) -> Iterator[dict[str, Any]]:
    """One dict per Judgment (its choices per criterion nested), in judgment id order, streamed from the DB."""
    pseudonym = _Pseudonyms(study)
    with_worker = study.export_worker_ids
    rows = (
        _choices_filtered(study=study, filters=filters)
        .order_by("judgment_id", "criterion")
        .values_list(*JUDGMENT_FIELDS)
        .iterator(chunk_size=CHUNK)
    )
    for judgment_id, group in itertools.groupby(rows, key=lambda r: r[0]):
        first = None
        choices: dict[str, dict[str, Any]] = {}
        for r in group:
            first = first or r
            choices[r[19]] = {"choice": r[20], "likert_a": r[21], "likert_b": r[22]}
        assert first is not None
        row: dict[str, Any] = {
            "judgment_id": judgment_id,
            "comparison_id": first[1],
            "kind": first[2],
            "prompt_id": first[3],
            "output_a": first[4],
            "output_b": first[5],
            "system_a": first[6],
            "system_b": first[7],
            "left_side": first[8],
            "choices": choices,
            "rationale": first[10],
            "seconds": first[11],
            "gold_correct": first[12],
            "rater": pseudonym(first[14], first[15], first[16]),
            "rater_flagged": first[17] == Rater.Status.FLAGGED,
            "rater_excluded": bool(first[18]),
            "leased_at": _iso(first[9]),
            "created_at": _iso(first[13]),
        }
        if with_worker:
            row["worker_platform"] = first[15]
            row["worker_id"] = first[16]
        yield row


def battle_rows(*, study: Study, filters: ExportFilters) -> Iterator[dict[str, Any]]:
    """Arena-style battles, one per judgment on the primary criterion, in FastChat's `clean_battle_data` columns."""
    pseudonym = _Pseudonyms(study)
    rows = (
        _choices_filtered(study=study, filters=filters, criterion_only=filters.primary_criterion)
        .order_by("judgment_id")
        .values_list(
            "judgment_id",
            "judgment__comparison__public_id",
            "judgment__comparison__prompt__external_id",
            "judgment__comparison__output_a__system__name",
            "judgment__comparison__output_b__system__name",
            "choice",
            "judgment__created_at",
            "judgment__rater_id",
            "judgment__rater__platform",
            "judgment__rater__external_id",
        )
        .iterator(chunk_size=CHUNK)
    )
    for jid, cpub, prompt_id, sys_a, sys_b, choice, created, rater_id, platform, ext in rows:
        yield {
            "question_id": prompt_id,
            "model_a": sys_a,
            "model_b": sys_b,
            "winner": BATTLE_WINNER[choice],
            "judge": pseudonym(rater_id, platform, ext),
            "tstamp": created.timestamp(),
            "anony": True,
            "turn": 1,
            "language": "unknown",
            "criterion": filters.primary_criterion,
            "comparison_id": cpub,
            "judgment_id": jid,
        }


def battles_count(*, study: Study, filters: ExportFilters) -> int:
    return _choices_filtered(study=study, filters=filters, criterion_only=filters.primary_criterion).count()


def _preference_groups(*, study: Study, filters: ExportFilters) -> QuerySet:
    return (
        _choices_base(study=study, filters=filters)
        .values("judgment__comparison_id", "criterion")
        .annotate(**_vote_annotations())
        .filter(n__gte=filters.min_votes)  # type: ignore[misc]
        .order_by("judgment__comparison_id", "criterion")
    )


def preferences_count(*, study: Study, filters: ExportFilters) -> int:
    return _preference_groups(study=study, filters=filters).count()


def _output_payload(study: Study, public_id: str, text: str, image: str) -> str:
    if study.modality == Study.Modality.IMAGE or image:
        return image_archive_path(public_id, image)
    return text


def image_archive_path(public_id: str, image_name: str) -> str:
    """Where an Output's image sits inside an export zip: `images/<output public id><ext>`."""
    ext = os.path.splitext(image_name or "")[1].lower() or ".png"
    return f"images/{public_id}{ext}"


def preference_rows(
    *, study: Study, filters: ExportFilters, on_image: Callable[[str, str], None] | None = None
) -> Iterator[dict[str, Any]]:
    """One dict per decided (Comparison, criterion) group, votes aggregated by GROUP BY in the database.

    Decided = strict majority of `a` over `b` votes (ties and both_bad do not decide). Undecided groups
    are always skipped (there is no chosen/rejected); `drop_ties` also skips groups whose plurality
    vote was tie/both_bad; `min_votes` / `min_agreement` apply per group. `on_image(public_id, name)`
    is called for each image the line refers to (the zip writer collects them).
    """
    groups = _preference_groups(study=study, filters=filters).iterator(chunk_size=CHUNK)
    while True:
        batch = list(itertools.islice(groups, CHUNK))
        if not batch:
            break
        ids = {g["judgment__comparison_id"] for g in batch}
        details: dict[int, dict[str, Any]] = {
            c["id"]: dict(c)
            for c in Comparison.objects.filter(id__in=ids).values(
                "id",
                "public_id",
                "kind",
                "prompt__external_id",
                "prompt__text",
                "prompt__messages",
                "prompt__tags",
                "output_a__public_id",
                "output_a__text",
                "output_a__image",
                "output_a__system__name",
                "output_b__public_id",
                "output_b__text",
                "output_b__image",
                "output_b__system__name",
            )
        }
        for g in batch:
            votes = {"a": g["v_a"], "b": g["v_b"], "tie": g["v_tie"], "both_bad": g["v_both_bad"]}
            total = g["n"]
            agreement = max(votes.values()) / total if total else 0.0
            if votes["a"] == votes["b"]:
                continue
            if agreement + 1e-9 < filters.min_agreement:
                continue
            if filters.drop_ties and max(votes["tie"], votes["both_bad"]) >= max(votes["a"], votes["b"]):
                continue
            c = details[g["judgment__comparison_id"]]
            win, lose = ("a", "b") if votes["a"] > votes["b"] else ("b", "a")
            row: dict[str, Any] = {}
            messages = c["prompt__messages"] or []
            if messages:
                row["messages"] = messages
                row["prompt"] = c["prompt__text"]
            else:
                row["prompt"] = c["prompt__text"]
            for role, side in (("chosen", win), ("rejected", lose)):
                pub, image = c[f"output_{side}__public_id"], c[f"output_{side}__image"]
                row[role] = _output_payload(study, pub, c[f"output_{side}__text"], image)
                if image and on_image is not None:
                    on_image(pub, image)
            row.update(
                {
                    "chosen_system": c[f"output_{win}__system__name"],
                    "rejected_system": c[f"output_{lose}__system__name"],
                    "chosen_id": c[f"output_{win}__public_id"],
                    "rejected_id": c[f"output_{lose}__public_id"],
                    "criterion": g["criterion"],
                    "votes": votes,
                    "agreement": round(agreement, 6),
                    "prompt_id": c["prompt__external_id"],
                    "comparison_id": c["public_id"],
                    "kind": c["kind"],
                    "tags": c["prompt__tags"] or [],
                }
            )
            yield row


def leaderboard_rows(*, study: Study, filters: ExportFilters) -> Iterator[dict[str, Any]]:
    """The stored Leaderboard snapshots of the study (result JSON as stored), filtered by criterion / tag."""
    qs = Leaderboard.objects.filter(study=study)
    if filters.criterion:
        qs = qs.filter(criterion=filters.criterion)
    if filters.tags:
        qs = qs.filter(tag__in=filters.tags)
    for lb in qs.order_by("criterion", "tag", "method").iterator(chunk_size=100):
        yield {
            "study": study.slug,
            "criterion": lb.criterion,
            "tag": lb.tag,
            "method": lb.method,
            "params": lb.params,
            "n_judgments": lb.n_judgments,
            "computed_at": _iso(lb.computed_at),
            "result": lb.result,
        }


# --------------------------------------------------------------------------- writers


def csv_safe(value: Any) -> Any:
    """Neutralise spreadsheet formula injection (OWASP "CSV injection"): a text cell whose first character, after
    any spaces, no-break or zero-width spaces, is one a spreadsheet evaluates (= + - @ | % TAB CR LF and their
    full-width / small forms) gets a leading ', which every spreadsheet shows as text."""
    if isinstance(value, str) and value.lstrip(" \u00a0\u2007\u202f\u3000\u200b\u200c\u200d\u2060\ufeff").startswith(
        CSV_DANGEROUS_PREFIXES
    ):
        return "'" + value
    return value


def csv_cell(value: Any) -> Any:
    """One CSV cell as every CSV of the product writes it: JSON for lists/dicts, true/false, '' for None,
    formula-safe (`csv_safe`)."""
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False)
    elif isinstance(value, bool):
        value = "true" if value else "false"
    elif value is None:
        value = ""
    return csv_safe(value)


def csv_lines(header: list[str], rows: Iterable[list[Any]]) -> Iterator[bytes]:
    """The one CSV writer: a header and rows of values, RFC 4180 (CRLF; a CR or LF inside a cell is quoted),
    every cell through `csv_cell`. Yields encoded lines, so large exports stream."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")  # RFC 4180; a CR or LF inside a cell gets quoted
    writer.writerow(header)
    yield buffer.getvalue().encode()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([csv_cell(v) for v in row])
        yield buffer.getvalue().encode()


def csv_dict_rows(rows: list[dict[str, Any]]) -> bytes:
    """Flat dicts as one CSV document: the header is the union of their keys, in first-seen order."""
    header: list[str] = []
    for row in rows:
        header.extend(k for k in row if k not in header)
    return b"".join(csv_lines(header, ([row.get(k) for k in header] for row in rows)))


def _jsonl(rows: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    for row in rows:
        yield (json.dumps(row, ensure_ascii=False) + "\n").encode()


def _json_array(rows: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    yield b"["
    first = True
    for row in rows:
        yield (("\n" if first else ",\n") + json.dumps(row, ensure_ascii=False)).encode()
        first = False
    yield b"\n]\n"


def _judgments_csv(study: Study, rows: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    criteria = study.criterion_keys
    base = [
        "judgment_id",
        "comparison_id",
        "kind",
        "prompt_id",
        "output_a",
        "output_b",
        "system_a",
        "system_b",
        "left_side",
    ]
    per_criterion = [f"{p}_{c}" for c in criteria for p in ("choice", "likert_a", "likert_b")]
    tail = ["rationale", "seconds", "gold_correct", "rater", "rater_flagged", "rater_excluded", "leased_at"]
    tail += ["created_at"] + (["worker_platform", "worker_id"] if study.export_worker_ids else [])

    def flat() -> Iterator[list[Any]]:
        for r in rows:
            values = [r[k] for k in base]
            for c in criteria:
                ch = r["choices"].get(c) or {}
                values += [ch.get("choice"), ch.get("likert_a"), ch.get("likert_b")]
            yield values + [r.get(k) for k in tail]

    return csv_lines(base + per_criterion + tail, flat())


PREFERENCE_CSV = [
    "prompt_id",
    "comparison_id",
    "kind",
    "criterion",
    "prompt",
    "messages",
    "chosen",
    "rejected",
    "chosen_system",
    "rejected_system",
    "chosen_id",
    "rejected_id",
    "votes_a",
    "votes_b",
    "votes_tie",
    "votes_both_bad",
    "agreement",
    "tags",
]
BATTLE_CSV = ["question_id", "model_a", "model_b", "winner", "judge", "tstamp", "anony", "turn", "language"]
BATTLE_CSV += ["criterion", "comparison_id", "judgment_id"]


def _preferences_csv(rows: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    def flat() -> Iterator[list[Any]]:
        for r in rows:
            v = r["votes"]
            yield [
                r["prompt_id"],
                r["comparison_id"],
                r["kind"],
                r["criterion"],
                r.get("prompt", ""),
                r.get("messages", ""),
                r["chosen"],
                r["rejected"],
                r["chosen_system"],
                r["rejected_system"],
                r["chosen_id"],
                r["rejected_id"],
                v["a"],
                v["b"],
                v["tie"],
                v["both_bad"],
                r["agreement"],
                r["tags"],
            ]

    return csv_lines(PREFERENCE_CSV, flat())


def _leaderboard_csv(rows: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    """One CSV row per system per snapshot; columns are the snapshot keys plus the scalar keys of the system rows."""
    snapshots = list(rows)  # a handful of snapshots per study
    keys: list[str] = []
    for snap in snapshots:
        for sys_row in leaderboard_system_rows(snap["result"]):
            for k in sys_row:
                if k not in keys:
                    keys.append(k)
    header = ["study", "criterion", "tag", "method", "n_judgments", "computed_at", *keys]
    if not keys:
        header.append("result")

    def flat() -> Iterator[list[Any]]:
        for snap in snapshots:
            head = [snap[k] for k in ("study", "criterion", "tag", "method", "n_judgments", "computed_at")]
            system_rows = leaderboard_system_rows(snap["result"])
            if not keys:
                yield [*head, snap["result"]]
            for sys_row in system_rows:
                yield head + [sys_row.get(k) for k in keys]

    return csv_lines(header, flat())


def export_count(*, study: Study, format: str, filters: ExportFilters) -> int:
    """How many rows an export will have (drives progress and the stream-or-job decision)."""
    if format == "judgments":
        return judgments_count(study=study, filters=filters)
    if format == "preferences":
        return preferences_count(study=study, filters=filters)
    if format == "battles":
        return battles_count(study=study, filters=filters)
    return Leaderboard.objects.filter(study=study).count()


def export_validate_format(*, format: str, file_type: str) -> str:
    """Check format and file type; returns the file type (defaulting to the format's first)."""
    if format not in FORMATS:
        raise ApplicationError(
            f"Unknown export format {format!r}; choose one of {', '.join(FORMATS)}.",
            code="invalid_format",
            extra={"field": "format"},
        )
    allowed = FILE_TYPES[format]
    file_type = file_type or allowed[0]
    if file_type not in allowed:
        raise ApplicationError(
            f"Format {format!r} comes as {' or '.join(allowed)}, not {file_type!r}.",
            code="invalid_format",
            extra={"field": "file_type"},
        )
    return file_type


def export_bytes(
    *,
    study: Study,
    format: str,
    file_type: str,
    filters: ExportFilters,
    on_row: Callable[[], None] | None = None,
    on_image: Callable[[str, str], None] | None = None,
) -> Iterator[bytes]:
    """The export as an iterator of byte chunks (one per row), for streaming responses, files and the CLI."""
    file_type = export_validate_format(format=format, file_type=file_type)
    rows: Iterable[dict[str, Any]]
    if format == "judgments":
        rows = judgment_rows(study=study, filters=filters)
    elif format == "preferences":
        rows = preference_rows(study=study, filters=filters, on_image=on_image)
    elif format == "battles":
        rows = battle_rows(study=study, filters=filters)
    else:
        rows = leaderboard_rows(study=study, filters=filters)
    if on_row is not None:
        rows = _counting(rows, on_row)
    if file_type == "jsonl":
        return _jsonl(rows)
    if file_type == "json":
        return _json_array(rows)
    if format == "judgments":
        return _judgments_csv(study, rows)
    if format == "preferences":
        return _preferences_csv(rows)
    if format == "battles":
        return csv_lines(BATTLE_CSV, ([r[k] for k in BATTLE_CSV] for r in rows))
    return _leaderboard_csv(rows)


def _counting(rows: Iterable[dict[str, Any]], on_row: Callable[[], None]) -> Iterator[dict[str, Any]]:
    for row in rows:
        on_row()
        yield row


def export_filename(*, study: Study, format: str, file_type: str, zipped: bool = False) -> str:
    base = {"judgments": "judgments", "preferences": "preferences", "battles": "battles", "leaderboard": "leaderboard"}
    name = f"{study.slug}-{base[format]}.{file_type}"
    return f"{name}.zip" if zipped else name


def export_needs_zip(*, study: Study, format: str) -> bool:
    """Image studies' preferences refer to image files, so they ship as a zip with an images/ folder."""
    return format == "preferences" and study.modality == Study.Modality.IMAGE


def export_write_file(
    *,
    study: Study,
    format: str,
    file_type: str,
    filters: ExportFilters,
    path: Path,
    zipped: bool,
    on_row: Callable[[], None] | None = None,
) -> int:
    """Write the export to `path` (a zip with images/ when `zipped`); returns the number of rows written."""
    count = 0

    def tick() -> None:
        nonlocal count
        count += 1
        if on_row is not None:
            on_row()

    path.parent.mkdir(parents=True, exist_ok=True)
    inner = export_filename(study=study, format=format, file_type=file_type)
    if not zipped:
        with open(path, "wb") as fh:
            for chunk in export_bytes(study=study, format=format, file_type=file_type, filters=filters, on_row=tick):
                fh.write(chunk)
        return count
    images: dict[str, str] = {}

    def remember(public_id: str, name: str) -> None:
        images[public_id] = name

    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        with zf.open(inner, "w", force_zip64=True) as member:
            for chunk in export_bytes(
                study=study, format=format, file_type=file_type, filters=filters, on_row=tick, on_image=remember
            ):
                member.write(chunk)
        for public_id, name in sorted(images.items()):
            try:
                with default_storage.open(name, "rb") as src, zf.open(image_archive_path(public_id, name), "w") as dst:
                    while block := src.read(1 << 16):
                        dst.write(block)
            except FileNotFoundError:
                continue
    return count


# --------------------------------------------------------------------------- export jobs


def export_create(
    *, study: Study, user: Any, format: str, file_type: str = "", filters: dict[str, Any] | None = None
) -> Export:
    """Validate and record an Export, then queue the job that writes its file (after commit)."""
    file_type = export_validate_format(format=format, file_type=file_type)
    parsed = export_filters_parse(study=study, data=filters or {})
    with transaction.atomic():
        export = Export.objects.create(
            study=study,
            requested_by=user if getattr(user, "is_authenticated", False) else None,
            format=format,
            file_type=file_type,
            filters=parsed.to_json(),
        )
        transaction.on_commit(lambda: job_enqueue("ratings.export_run", export.id))
    return export


def export_run(*, export_id: int) -> Export:
    """Write the file of one Export. Idempotent: a finished export is left alone; a rerun rewrites the file."""
    export = Export.objects.select_related("study").get(pk=export_id)
    if export.status == Export.Status.DONE and export.file and default_storage.exists(export.file.name):
        return export
    study = export.study
    try:
        filters = export_filters_parse(study=study, data={k: v for k, v in export.filters.items() if v is not None})
        total = export_count(study=study, format=export.format, filters=filters)
        Export.objects.filter(pk=export.pk).update(
            status=Export.Status.RUNNING, rows_total=total, rows_done=0, error=""
        )
        zipped = export_needs_zip(study=study, format=export.format)
        name = f"exports/{study.slug}/{export.pk}-" + export_filename(
            study=study, format=export.format, file_type=export.file_type, zipped=zipped
        )
        final = Path(settings.MEDIA_ROOT) / name
        tmp = final.with_name(final.name + ".part")
        done = 0

        def progress() -> None:
            nonlocal done
            done += 1
            if done % 5000 == 0:
                Export.objects.filter(pk=export.pk).update(rows_done=done)

        written = export_write_file(
            study=study,
            format=export.format,
            file_type=export.file_type,
            filters=filters,
            path=tmp,
            zipped=zipped,
            on_row=progress,
        )
        os.replace(tmp, final)
        Export.objects.filter(pk=export.pk).update(
            status=Export.Status.DONE,
            rows_done=written,
            rows_total=written,  # the estimate counted undecided preference groups too
            file=name,
            finished_at=timezone.now(),
        )
    except Exception as exc:
        Export.objects.filter(pk=export.pk).update(
            status=Export.Status.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        raise
    export.refresh_from_db()
    return export


def export_should_stream(*, study: Study, format: str, filters: ExportFilters) -> bool:
    """Small exports stream directly; large ones (or zips with images) go through a background job."""
    if export_needs_zip(study=study, format=format):
        return False
    if format == "leaderboard":
        return True
    return Judgment.objects.filter(study=study).count() <= stream_max_rows() or (
        export_count(study=study, format=format, filters=filters) <= stream_max_rows()
    )
