"""The assignment engine: which Comparison a Rater judges next, and the lease life cycle.

Rules (documented for owners in docs/rater.md):

- Only live studies hand out work, never to blocked raters, never past the
  rater's quota (`Study.quota_per_rater`, counted in submitted judgments).
- A rater holds at most one live lease; asking again returns it (a reload does
  not burn work).
- Regular comparisons: fewest (judgments + live leases) first, strictly below
  `Study.redundancy`; a comparison this rater already had (any status) is never
  handed out again (the database enforces it with a unique constraint).
- Gold and repeat comparisons measure the *rater*, so they are not capped by
  redundancy: every rater may get each gold item once, and each repeat once,
  but a repeat only after the rater judged its original at least
  `REPEAT_MIN_GAP` assignments ago (never its twin back to back).
- Each request draws the kind: gold with probability `gold_rate`, repeat with
  `repeat_rate`, regular otherwise; when the drawn kind has nothing for this
  rater it falls back to regular. When no regular work is left the rater is
  done (gold/repeat items alone never keep a rater busy).
- Prompt spreading: a comparison on the prompt the rater saw last is taken only
  when nothing else is eligible; among equally loaded comparisons, prompts this
  rater saw least come first (round robin over prompts).
- Left/right: the side shown left balances how often each of the pair's
  systems was shown left versus right across the study so far, random on ties.
- Concurrency: candidates are locked with `select_for_update(skip_locked=True)`
  inside `transaction.atomic`; after the lock the live load is re-counted in a
  fresh statement (READ COMMITTED sees every lease committed by whoever held the
  lock before), so N raters at once never push a comparison past redundancy.
  The rater row is locked first, so one rater's parallel requests serialize.
  The unique (rater, comparison) constraint is the last line. On SQLite
  transactions are serial (BEGIN IMMEDIATE), which is correct, just not parallel.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from typing import Any

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Case, Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from evalsite.errors import ApplicationError
from tasks.models import Assignment, Comparison, Output, OutputReport, Rater, Study
from tasks.services.blinding import leak_flag

# A repeat is handed out only once the rater has done this many assignments since its original.
REPEAT_MIN_GAP = 3
# Locked candidates examined per request (most are valid; a few may be full after the fresh re-count).
CANDIDATE_BATCH = 8
# When every eligible row is locked by other raters' requests, retry this often before reporting "nothing left".
LOCKED_RETRIES = 3

_rng: random.Random = random.SystemRandom()


# Probability of drawing the side that reduces the left/right imbalance (see choose_left_side).
BALANCE_BIAS = 0.8
# How long a cached left-minus-right count lives before it is recounted from the database.
SIDE_BALANCE_CACHE_SECONDS = 3600


def _live_leases(now: dt.datetime) -> Subquery:
    """Correlated count of live leases of the outer Comparison."""
    return Subquery(
        Assignment.objects.filter(comparison=OuterRef("pk"), status=Assignment.Status.LEASED, expires_at__gt=now)
        .order_by()
        .values("comparison")
        .annotate(n=Count("pk"))
        .values("n"),
        output_field=IntegerField(),
    )


def pick_kind(*, gold_rate: float, repeat_rate: float, rng: random.Random) -> str:
    """Draw the kind to try first: gold with p=gold_rate, repeat with p=repeat_rate, regular otherwise."""
    u = rng.random()
    if u < gold_rate:
        return Comparison.Kind.GOLD
    if u < gold_rate + repeat_rate:
        return Comparison.Kind.REPEAT
    return Comparison.Kind.REGULAR


def rater_live_lease(*, rater: Rater, now: dt.datetime | None = None) -> Assignment | None:
    now = now or timezone.now()
    return (
        Assignment.objects.filter(
            rater=rater, status=Assignment.Status.LEASED, expires_at__gt=now, comparison__active=True
        )
        .order_by("-leased_at")
        .first()
    )


def rater_done_count(*, rater: Rater) -> int:
    return Assignment.objects.filter(rater=rater, status=Assignment.Status.SUBMITTED).count()


def _candidates(
    *, study: Study, rater: Rater, kind: str, last_prompt_id: int | None, now: dt.datetime
) -> QuerySet[Comparison]:
    seen = Assignment.objects.filter(rater=rater).values("comparison_id")
    qs = Comparison.objects.filter(study=study, kind=kind, active=True).exclude(pk__in=seen)
    if kind == Comparison.Kind.REGULAR:
        qs = qs.filter(judgment_count__lt=study.redundancy)
    if kind == Comparison.Kind.REPEAT:
        recent = (
            Assignment.objects.filter(rater=rater)
            .order_by("-leased_at", "-pk")
            .values_list("comparison_id", flat=True)[:REPEAT_MIN_GAP]
        )
        judged = Assignment.objects.filter(rater=rater, status=Assignment.Status.SUBMITTED).values("comparison_id")
        qs = qs.filter(repeat_of__in=judged).exclude(repeat_of__in=list(recent))
    qs = qs.annotate(
        load=F("judgment_count") + Coalesce(_live_leases(now), Value(0)),
        same_prompt=Case(When(prompt_id=last_prompt_id, then=Value(1)), default=Value(0), output_field=IntegerField()),
        prompt_seen=Coalesce(
            Subquery(
                Assignment.objects.filter(rater=rater, comparison__prompt_id=OuterRef("prompt_id"))
                .order_by()
                .values("rater")
                .annotate(n=Count("pk"))
                .values("n"),
                output_field=IntegerField(),
            ),
            Value(0),
        ),
    )
    if kind == Comparison.Kind.REGULAR:
        qs = qs.filter(load__lt=study.redundancy)
    # Not the last prompt again; fewest-first; then prompts this rater saw least (round robin); random among equals.
    return qs.order_by("same_prompt", "load", "prompt_seen", "?")


def _fresh_load(*, comparison_id: int, now: dt.datetime) -> int:
    """Judgments + live leases, read in a new statement after the row lock was taken."""
    row = (
        Comparison.objects.filter(pk=comparison_id)
        .annotate(live=Coalesce(_live_leases(now), Value(0)))
        .values_list("judgment_count", "live")
        .get()
    )
    return row[0] + row[1]


def _imbalance_key(study: Study, system_id: int) -> str:
    # The slug is random and never reused, so a key never outlives its study's data.
    return f"evalsite:left-minus-right:{study.slug}:{system_id}"


def _imbalance_from_db(*, study: Study, system_ids: list[int]) -> dict[int, int]:
    """Left-minus-right counts of these systems over the study's leased and submitted assignments (one query)."""

    def left_minus_right(system_id: int) -> Sum:
        left = Q(left_side="a", comparison__output_a__system_id=system_id) | Q(
            left_side="b", comparison__output_b__system_id=system_id
        )
        right = Q(left_side="b", comparison__output_a__system_id=system_id) | Q(
            left_side="a", comparison__output_b__system_id=system_id
        )
        return Sum(Case(When(left, then=Value(1)), When(right, then=Value(-1)), default=Value(0)))

    totals = Assignment.objects.filter(
        study=study, status__in=[Assignment.Status.LEASED, Assignment.Status.SUBMITTED]
    ).aggregate(**{f"s{sid}": left_minus_right(sid) for sid in system_ids})
    return {sid: int(totals[f"s{sid}"] or 0) for sid in system_ids}


def system_side_imbalance(*, study: Study, system_ids: list[int]) -> dict[int, int]:
    """Each system's running left-minus-right count.

    Kept in the cache (shared between processes with CACHE_URL) and moved by every new lease, so a lease
    never scans the study's assignments; a missing or expired entry (after SIDE_BALANCE_CACHE_SECONDS,
    which also forgets expired leases) is recounted from the database once.
    """
    keys = {sid: _imbalance_key(study, sid) for sid in system_ids}
    cached = cache.get_many(list(keys.values()))
    result = {sid: cached[key] for sid, key in keys.items() if key in cached}
    missing = [sid for sid in system_ids if sid not in result]
    if missing:
        fresh = _imbalance_from_db(study=study, system_ids=missing)
        for sid, value in fresh.items():
            cache.add(keys[sid], value, timeout=SIDE_BALANCE_CACHE_SECONDS)
        result.update(fresh)
    return result


def _record_side(*, study: Study, left_system: int, right_system: int) -> None:
    for system_id, delta in ((left_system, 1), (right_system, -1)):
        try:
            cache.incr(_imbalance_key(study, system_id), delta)
        except ValueError:
            pass  # not cached (evicted or expired): the next read recounts from the database


def choose_left_side(*, study: Study, comparison: Comparison, rng: random.Random) -> str:
    """The canonical side to show left: random per assignment, leaning toward balance.

    Imbalance d(S) = times S was shown left - times shown right (`system_side_imbalance`).
    Showing `a` left moves d(system_a) up and d(system_b) down. The side that moves
    the larger imbalance toward 0 is drawn with probability BALANCE_BIAS, the other
    side otherwise (a fair coin when balanced). A forced choice would let a rater
    predict where a system shows up next from where it was before; a biased coin
    keeps every side a real draw while the imbalance stays a few assignments at most
    (a random walk with drift to 0).
    """
    sa = comparison.output_a.system_id
    sb = comparison.output_b.system_id
    d = system_side_imbalance(study=study, system_ids=[sa, sb])
    if d[sa] == d[sb]:
        return rng.choice(["a", "b"])
    balancing, other = ("a", "b") if d[sa] < d[sb] else ("b", "a")
    return balancing if rng.random() < BALANCE_BIAS else other


def assignment_next(
    *, rater: Rater, now: dt.datetime | None = None, rng: random.Random | None = None
) -> Assignment | None:
    """Lease the next Comparison for this rater (or return their live lease); None when nothing is left."""
    rng = rng or _rng
    now = now or timezone.now()
    with transaction.atomic():
        # Serialize this rater's own requests (two tabs, double clicks).
        rater = Rater.objects.select_for_update(of=("self",)).select_related("study").get(pk=rater.pk)
        study = rater.study
        if study.status != Study.Status.LIVE or rater.status == Rater.Status.BLOCKED:
            return None
        live = rater_live_lease(rater=rater, now=now)
        if live is not None:
            return live
        if study.quota_per_rater is not None and rater_done_count(rater=rater) >= study.quota_per_rater:
            return None
        last = (
            Assignment.objects.filter(rater=rater)
            .order_by("-leased_at")
            .values_list("comparison__prompt_id", flat=True)
            .first()
        )
        first_kind = pick_kind(gold_rate=study.gold_rate, repeat_rate=study.repeat_rate, rng=rng)
        if (
            first_kind != Comparison.Kind.REGULAR
            and not _candidates(
                study=study, rater=rater, kind=Comparison.Kind.REGULAR, last_prompt_id=None, now=now
            ).exists()
        ):
            return None  # gold/repeat items alone never keep a rater busy once regular work is gone
        kinds = [first_kind] if first_kind == Comparison.Kind.REGULAR else [first_kind, Comparison.Kind.REGULAR]
        for attempt in range(LOCKED_RETRIES + 1):
            for kind in kinds:
                lease = _lease_one(study=study, rater=rater, kind=kind, last_prompt_id=last, now=now, rng=rng)
                if lease is not None:
                    return lease
            # Nothing leased. If eligible regular work exists, other raters held its rows locked
            # (skip_locked): wait a moment and try again instead of telling this rater they are done.
            if attempt == LOCKED_RETRIES or not (
                _candidates(
                    study=study, rater=rater, kind=Comparison.Kind.REGULAR, last_prompt_id=last, now=now
                ).exists()
            ):
                break
            time.sleep(0.02 * (attempt + 1))
    return None


def _lease_one(
    *, study: Study, rater: Rater, kind: str, last_prompt_id: int | None, now: dt.datetime, rng: random.Random
) -> Assignment | None:
    candidates = list(
        _candidates(study=study, rater=rater, kind=kind, last_prompt_id=last_prompt_id, now=now)
        .select_for_update(skip_locked=True, of=("self",))
        .select_related("output_a", "output_b")[:CANDIDATE_BATCH]
    )
    for comparison in candidates:
        if kind == Comparison.Kind.REGULAR and _fresh_load(comparison_id=comparison.pk, now=now) >= study.redundancy:
            continue
        left_side = choose_left_side(study=study, comparison=comparison, rng=rng)
        try:
            with transaction.atomic():
                lease = Assignment.objects.create(
                    study=study,
                    comparison=comparison,
                    rater=rater,
                    left_side=left_side,
                    leased_at=now,
                    expires_at=now + dt.timedelta(minutes=study.lease_minutes),
                )
        except IntegrityError:
            continue  # the rater already had it (constraint as the last line)
        systems = (comparison.output_a.system_id, comparison.output_b.system_id)
        left_system, right_system = systems if left_side == "a" else systems[::-1]
        _record_side(study=study, left_system=left_system, right_system=right_system)
        return lease
    return None


def _rater_assignment_for_update(*, rater: Rater, assignment_public_id: str) -> Assignment:
    assignment = (
        Assignment.objects.select_for_update(of=("self",))
        .select_related("comparison", "study")
        .filter(public_id=assignment_public_id, rater=rater)
        .first()
    )
    if assignment is None:
        raise ApplicationError(
            "This task does not exist or is not yours.", code="assignment_not_found", status_code=404
        )
    return assignment


def assignment_skip(
    *, rater: Rater, assignment_public_id: str, reason: str, now: dt.datetime | None = None
) -> Assignment:
    """Give a leased Assignment back: status 'skipped', the Comparison returns to the pool for others."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(
            "Please give a reason for skipping.", code="skip_reason_required", extra={"field": "reason"}
        )
    if len(reason) > 200:
        raise ApplicationError(
            "The reason is too long (200 characters at most).", code="skip_reason_too_long", extra={"field": "reason"}
        )
    with transaction.atomic():
        assignment = _rater_assignment_for_update(rater=rater, assignment_public_id=assignment_public_id)
        if assignment.status == Assignment.Status.SKIPPED:
            return assignment  # idempotent
        if assignment.status == Assignment.Status.SUBMITTED:
            raise ApplicationError("This task was already submitted.", code="assignment_submitted", status_code=409)
        if assignment.status == Assignment.Status.EXPIRED or assignment.expires_at <= now:
            raise ApplicationError("This task has expired.", code="lease_expired", status_code=409)
        assignment.status = Assignment.Status.SKIPPED
        assignment.skip_reason = reason
        assignment.finished_at = now
        assignment.save(update_fields=["status", "skip_reason", "finished_at"])
    return assignment


def output_report(
    *, rater: Rater, assignment_public_id: str, target: str, reason: str, note: str = ""
) -> list[OutputReport]:
    """A rater reports what they were shown. target: 'left', 'right' or 'both' (screen sides).

    An identity report flags each reported Output for the owner's leak review
    (a clean Output becomes 'flagged'; a leak_flags entry records the report).
    """
    if target not in {"left", "right", "both"}:
        raise ApplicationError("Choose left, right or both.", code="invalid_target", extra={"field": "target"})
    if reason not in OutputReport.Reason.values:
        raise ApplicationError("Choose a reason for the report.", code="invalid_reason", extra={"field": "reason"})
    note = (note or "").strip()
    if len(note) > 1000:
        raise ApplicationError(
            "The note is too long (1000 characters at most).", code="note_too_long", extra={"field": "note"}
        )
    with transaction.atomic():
        assignment = _rater_assignment_for_update(rater=rater, assignment_public_id=assignment_public_id)
        comparison = assignment.comparison
        right_side = "b" if assignment.left_side == "a" else "a"
        sides = {"left": [assignment.left_side], "right": [right_side], "both": ["a", "b"]}[target]
        output_ids = [comparison.output_a_id if side == "a" else comparison.output_b_id for side in sides]
        reports = []
        for output_id in output_ids:
            report, created = OutputReport.objects.get_or_create(
                study_id=assignment.study_id,
                assignment=assignment,
                output_id=output_id,
                reason=reason,
                defaults={"note": note},
            )
            reports.append(report)
            if created and reason == OutputReport.Reason.IDENTITY:
                _output_flag_identity(output_id=output_id, report=report)
    return reports


def _output_flag_identity(*, output_id: int, report: OutputReport) -> None:
    output = Output.objects.select_for_update().get(pk=output_id)
    if output.leak_review == Output.LeakReview.EXCLUDED:
        return
    said = report.note.strip() or "reported by a rater as revealing its system"
    flag = leak_flag(kind="rater_report", match=said, source="rater_report", reason="identity", report_id=report.pk)
    output.leak_flags = [*output.leak_flags, flag]
    if output.leak_review == Output.LeakReview.CLEAN:
        output.leak_review = Output.LeakReview.FLAGGED
    output.save(update_fields=["leak_flags", "leak_review"])


def assignments_expire(*, now: dt.datetime | None = None) -> int:
    """Mark leases past their expiry as 'expired' (the work is already back in the pool); returns how many."""
    now = now or timezone.now()
    return Assignment.objects.filter(status=Assignment.Status.LEASED, expires_at__lte=now).update(
        status=Assignment.Status.EXPIRED, finished_at=now
    )


def assignment_page_data(*, assignment: Assignment) -> dict[str, Any]:
    """Both outputs of an assignment in screen order, from the one query that loaded them."""
    comparison = assignment.comparison
    a, b = comparison.output_a, comparison.output_b
    left, right = (a, b) if assignment.left_side == "a" else (b, a)
    return {"prompt": comparison.prompt, "left": left, "right": right}
