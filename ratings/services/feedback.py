"""Online feedback from production: per-study API keys and batch ingestion of feedback events.

Keys: `evk_<prefix>_<secret>`; only the SHA-256 of the whole key is stored, the
prefix (unique) finds the row, the hash is compared in constant time.
Ingestion validates each event on its own, resolves systems/outputs with one
query each, skips event ids already stored (idempotent), and inserts the rest
with `bulk_create` — a bounded number of queries per batch, never one per event.
See docs/feedback.md.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from evalsite.errors import ApplicationError
from ratings.models import ApiKey, Feedback
from tasks.lib import jsonsafe
from tasks.models import Output, Study, System

KEY_PREFIX = "evk_"
MAX_COMMENT = 5000
MAX_SEGMENT = 100
MAX_EVENT_ID = 200
KINDS = ("thumbs", "score", "preference")


def _hash_key(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


@dataclass(frozen=True)
class CreatedApiKey:
    api_key: ApiKey
    plaintext: str  # shown to the owner once, never stored


def api_key_create(*, study: Study, name: str, user: Any) -> CreatedApiKey:
    """Create a key for `study`; the plaintext is returned once and only its hash is stored."""
    name = (name or "").strip()
    if not name:
        raise ApplicationError("Give the key a name (e.g. 'prod backend').", code="invalid", extra={"field": "name"})
    if len(name) > 100:
        raise ApplicationError("Key names are at most 100 characters.", code="invalid", extra={"field": "name"})
    prefix = secrets.token_hex(6)
    plaintext = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(
        study=study,
        name=name,
        prefix=prefix,
        key_hash=_hash_key(plaintext),
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    return CreatedApiKey(api_key=key, plaintext=plaintext)


def api_key_revoke(*, study: Study, key_id: int) -> ApiKey:
    """Revoke a key of `study` (idempotent: revoking twice keeps the first time)."""
    key = ApiKey.objects.filter(study=study, pk=key_id).first()
    if key is None:
        raise ApplicationError("No such API key in this study.", code="not_found", status_code=404)
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return key


def api_key_authenticate(*, plaintext: str) -> ApiKey:
    """The live ApiKey for this plaintext, or ApplicationError(401). Constant-time hash comparison."""
    plaintext = (plaintext or "").strip()
    parts = plaintext[len(KEY_PREFIX) :].split("_", 1) if plaintext.startswith(KEY_PREFIX) else []
    if len(parts) != 2:
        raise ApplicationError("Invalid API key.", code="invalid_api_key", status_code=401)
    key = ApiKey.objects.select_related("study").filter(prefix=parts[0]).first()
    # Compare against a dummy hash when the prefix is unknown, so timing says nothing about prefixes.
    expected = key.key_hash if key else "0" * 64
    if not hmac.compare_digest(expected, _hash_key(plaintext)) or key is None:
        raise ApplicationError("Invalid API key.", code="invalid_api_key", status_code=401)
    if key.revoked_at is not None:
        raise ApplicationError("This API key has been revoked.", code="api_key_revoked", status_code=401)
    return key


# --------------------------------------------------------------------------- ingestion


class _Invalid(Exception):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


def _text(event: dict[str, Any], name: str, limit: int) -> str:
    value = event.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _Invalid(name, f"must be a string, got {type(value).__name__}")
    if len(value) > limit:
        raise _Invalid(name, f"is longer than {limit} characters")
    problem = jsonsafe.text_problem(value)
    if problem:  # PostgreSQL cannot store it: refuse the event, never answer 500
        raise _Invalid(name, problem)
    return value


def _check_event(event: Any) -> dict[str, Any]:
    """Validate one event's shape (no database access). Returns the cleaned fields."""
    if not isinstance(event, dict):
        raise _Invalid("", "an event must be a JSON object")
    event_id = event.get("event_id")
    if not isinstance(event_id, str | int) or isinstance(event_id, bool) or str(event_id).strip() == "":
        raise _Invalid("event_id", "is required (a non-empty string)")
    event_id = str(event_id).strip()
    if len(event_id) > MAX_EVENT_ID:
        raise _Invalid("event_id", f"is longer than {MAX_EVENT_ID} characters")
    if jsonsafe.text_problem(event_id):
        raise _Invalid("event_id", jsonsafe.text_problem(event_id) or "")
    kind = event.get("kind")
    if kind not in KINDS:
        raise _Invalid("kind", f"must be one of {', '.join(KINDS)}, got {kind!r}")
    system = _text(event, "system", 200)
    output = _text(event, "output", 64)
    if not system and not output:
        raise _Invalid("system", "give 'system' (a system name) or 'output' (an output public id)")
    value: int | None = None
    winner = ""
    system_b = ""
    raw_value = event.get("value")
    if kind == "thumbs":
        if raw_value is True or raw_value == "up" or (type(raw_value) is int and raw_value == 1):
            value = 1
        elif raw_value is False or raw_value == "down" or (type(raw_value) is int and raw_value == 0):
            value = 0
        else:
            raise _Invalid("value", f"thumbs takes 1/0, true/false or 'up'/'down', got {raw_value!r}")
    elif kind == "score":
        if isinstance(raw_value, bool) or not isinstance(raw_value, int) or not 1 <= raw_value <= 5:
            raise _Invalid("value", f"score takes a whole number from 1 to 5, got {raw_value!r}")
        value = raw_value
    else:
        system_b = _text(event, "system_b", 200)
        if not system_b:
            raise _Invalid("system_b", "preference needs 'system_b' (the other system's name)")
        raw_winner = event.get("winner")
        if raw_winner not in ("a", "b", "tie"):
            raise _Invalid("winner", f"preference takes winner 'a', 'b' or 'tie', got {raw_winner!r}")
        winner = str(raw_winner)
    comment = _text(event, "comment", MAX_COMMENT)
    segment = _text(event, "segment", MAX_SEGMENT)
    raw_ts = event.get("timestamp")
    occurred: dt.datetime | None
    if raw_ts in (None, ""):
        occurred = timezone.now()
    else:
        try:
            occurred = parse_datetime(raw_ts) if isinstance(raw_ts, str) else None
            if occurred is not None:
                if timezone.is_naive(occurred):
                    occurred = timezone.make_aware(occurred, dt.UTC)
                occurred = occurred.astimezone(dt.UTC)  # year 1 at +05:00 is not a date any database stores
        except (ValueError, OverflowError):  # well formed but impossible: 2024-02-30, hour 25, ...
            occurred = None
        if occurred is None:
            raise _Invalid("timestamp", f"must be an ISO 8601 date-time, got {jsonsafe.printable(repr(raw_ts))[:100]}")
    return {
        "event_id": event_id,
        "kind": kind,
        "system": system,
        "output": output,
        "system_b": system_b,
        "value": value,
        "winner": winner,
        "comment": comment,
        "segment": segment,
        "occurred_at": occurred,
    }


def feedback_max_batch() -> int:
    return settings.EVALSITE_FEEDBACK_MAX_BATCH


def feedback_ingest(*, api_key: ApiKey, events: Any) -> dict[str, Any]:
    """Store a batch of feedback events for the key's study.

    Returns `{"received", "accepted", "duplicates", "rejected", "errors": [{"index", "event_id", "field",
    "reason"}], "duplicate_event_ids": [...]}`. Valid events are stored even when others are
    rejected; an event id already stored (or repeated in the batch) is a duplicate and is not
    inserted again. Queries: a constant handful per batch plus one INSERT per 1000 events.
    """
    if not isinstance(events, list):
        raise ApplicationError(
            "Send {'events': [...]}: a JSON list of feedback events.", code="invalid_batch", extra={"field": "events"}
        )
    limit = feedback_max_batch()
    if not events:
        raise ApplicationError("The batch is empty.", code="invalid_batch", extra={"field": "events"})
    if len(events) > limit:
        raise ApplicationError(
            f"Too many events: {len(events)} in one request, the limit is {limit}. Split the batch.",
            code="batch_too_large",
            extra={"field": "events", "limit": limit, "received": len(events)},
            status_code=413,
        )
    study = api_key.study
    errors: list[dict[str, Any]] = []
    cleaned: list[tuple[int, dict[str, Any]]] = []
    for index, event in enumerate(events):
        try:
            cleaned.append((index, _check_event(event)))
        except _Invalid as bad:
            event_id = event.get("event_id") if isinstance(event, dict) else None
            if not isinstance(event_id, str | int) or isinstance(event_id, bool):
                event_id = None  # echo back only what the caller can match, and only storable text
            errors.append(
                {
                    "index": index,
                    "event_id": jsonsafe.printable(str(event_id))[:MAX_EVENT_ID] if event_id is not None else None,
                    "field": bad.field,
                    "reason": jsonsafe.printable(bad.reason),
                }
            )

    systems = dict(System.objects.filter(study=study).values_list("name", "id"))
    output_ids = {c["output"] for _, c in cleaned if c["output"]}
    outputs = {
        pub: (oid, sid)
        for pub, oid, sid in Output.objects.filter(study=study, public_id__in=output_ids).values_list(
            "public_id", "id", "system_id"
        )
    }
    existing = set(
        Feedback.objects.filter(study=study, event_id__in=[c["event_id"] for _, c in cleaned]).values_list(
            "event_id", flat=True
        )
    )
    seen: set[str] = set()
    duplicates: list[str] = []
    rows: list[Feedback] = []
    for index, c in cleaned:
        try:
            output_id = None
            system_id: int | None = systems.get(c["system"]) if c["system"] else None
            if c["system"] and system_id is None:
                raise _Invalid("system", f"no system named {c['system']!r} in this study")
            if c["output"]:
                found = outputs.get(c["output"])
                if found is None:
                    raise _Invalid("output", f"no output with public id {c['output']!r} in this study")
                output_id, output_system = found
                if system_id is not None and system_id != output_system:
                    raise _Invalid("system", "the output belongs to a different system")
                system_id = output_system
            system_b_id = None
            if c["kind"] == "preference":
                system_b_id = systems.get(c["system_b"])
                if system_b_id is None:
                    raise _Invalid("system_b", f"no system named {c['system_b']!r} in this study")
                if system_b_id == system_id:
                    raise _Invalid("system_b", "a preference compares two different systems")
        except _Invalid as bad:
            errors.append({"index": index, "event_id": c["event_id"], "field": bad.field, "reason": bad.reason})
            continue
        if c["event_id"] in existing or c["event_id"] in seen:
            duplicates.append(c["event_id"])
            continue
        seen.add(c["event_id"])
        assert system_id is not None  # _check_event demands a system or an output; both resolved above
        rows.append(
            Feedback(
                study=study,
                api_key=api_key,
                event_id=c["event_id"],
                kind=c["kind"],
                system_id=system_id,
                output_id=output_id,
                system_b_id=system_b_id,
                value=c["value"],
                winner=c["winner"],
                comment=c["comment"],
                segment=c["segment"],
                occurred_at=c["occurred_at"],
            )
        )
    with transaction.atomic():
        # ignore_conflicts: a concurrent request with the same event ids cannot create a second row.
        Feedback.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=timezone.now())
    errors.sort(key=lambda e: e["index"])
    return {
        "received": len(events),
        "accepted": len(rows),
        "duplicates": len(duplicates),
        "rejected": len(errors),
        "errors": errors,
        "duplicate_event_ids": duplicates,
    }
