"""Who a rater is: crowd-platform ids from the study link, invite tokens, accounts, anonymous links.

The view binds the browser session to the Rater returned here (one session key
per study), so ids appear in the URL once and never again.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from evalsite.errors import ApplicationError
from tasks.models import Rater, Study
from tasks.selectors.rater import rater_progress
from tasks.services.assignment import assignment_next

MTURK_PREVIEW = "ASSIGNMENT_ID_NOT_AVAILABLE"
# Where MTurk may tell us to post the finished HIT; anything else is refused (no open form-post target).
MTURK_SUBMIT_HOSTS = ("https://www.mturk.com", "https://workersandbox.mturk.com")

_PLATFORM_ID = re.compile(r"^[A-Za-z0-9]{1,64}$")
_GENERIC_ID = re.compile(r"^[A-Za-z0-9._:@-]{1,100}$")
_MTURK_ASSIGNMENT = re.compile(r"^[A-Za-z0-9_]{1,64}$")  # the preview value has underscores
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


@dataclass(frozen=True)
class LinkIdentity:
    """Identity parsed from a study link's query string."""

    platform: str
    external_id: str = ""
    meta: dict[str, str] = field(default_factory=dict)
    token: str = ""
    preview: bool = False


def _check(params: Mapping[str, str], name: str, pattern: re.Pattern[str], rule: str, *, required: bool) -> str:
    value = (params.get(name) or "").strip()
    if not value:
        if required:
            raise ApplicationError(f"The link is missing {name}.", code="invalid_link", extra={"field": name})
        return ""
    if not pattern.fullmatch(value):
        raise ApplicationError(f"{name} in the link is not valid: {rule}.", code="invalid_link", extra={"field": name})
    return value


def rater_identity_from_params(*, params: Mapping[str, str]) -> LinkIdentity | None:
    """Parse and validate the crowd ids in a study link; None when the link carries none."""
    alnum = "1 to 64 letters or digits"
    if params.get("token"):
        token = _check(params, "token", _TOKEN, "16 to 64 letters, digits, - or _", required=True)
        return LinkIdentity(platform=Rater.Platform.INVITE, token=token)
    if params.get("PROLIFIC_PID"):
        pid = _check(params, "PROLIFIC_PID", _PLATFORM_ID, alnum, required=True)
        meta = {k: _check(params, k, _PLATFORM_ID, alnum, required=False) for k in ("STUDY_ID", "SESSION_ID")}
        return LinkIdentity(
            platform=Rater.Platform.PROLIFIC, external_id=pid, meta={k: v for k, v in meta.items() if v}
        )
    if params.get("assignmentId") or params.get("workerId"):
        assignment_id = _check(params, "assignmentId", _MTURK_ASSIGNMENT, alnum, required=True)
        if assignment_id == MTURK_PREVIEW:
            return LinkIdentity(platform=Rater.Platform.MTURK, preview=True)
        worker = _check(params, "workerId", _PLATFORM_ID, alnum, required=True)
        hit = _check(params, "hitId", _PLATFORM_ID, alnum, required=False)
        submit_to = (params.get("turkSubmitTo") or "").strip().rstrip("/")
        if submit_to and submit_to not in MTURK_SUBMIT_HOSTS:
            raise ApplicationError(
                "turkSubmitTo in the link is not an MTurk address.",
                code="invalid_link",
                extra={"field": "turkSubmitTo"},
            )
        meta = {"assignmentId": assignment_id, "hitId": hit, "turkSubmitTo": submit_to}
        return LinkIdentity(
            platform=Rater.Platform.MTURK, external_id=worker, meta={k: v for k, v in meta.items() if v}
        )
    if params.get("pid"):
        pid = _check(params, "pid", _GENERIC_ID, "1 to 100 letters, digits or . _ : @ -", required=True)
        return LinkIdentity(platform=Rater.Platform.GENERIC, external_id=pid)
    return None


def rater_enter(*, study: Study, identity: LinkIdentity | None, user: Any, bound_rater: Rater | None) -> Rater:
    """The Rater for this visit: from the link ids, else the session's, else the account, else a new anonymous one."""
    if study.status != Study.Status.LIVE:
        raise ApplicationError("This study is not accepting raters right now.", code="study_not_live", status_code=409)
    if identity is not None and identity.preview:
        raise ApplicationError("A preview hands out no work.", code="mturk_preview")
    if identity is not None and identity.platform == Rater.Platform.INVITE:
        rater = Rater.objects.filter(study=study, invite_token=identity.token).first()
        if rater is None:
            raise ApplicationError(
                "This invitation link is not valid for this study.", code="invalid_invite", status_code=403
            )
        return rater
    if study.access == Study.Access.INVITE:
        if bound_rater is not None:
            return bound_rater
        raise ApplicationError(
            "This study is by invitation only: please use your personal invitation link.",
            code="invite_required",
            status_code=403,
        )
    if identity is not None:
        rater, created = Rater.objects.get_or_create(
            study=study,
            platform=identity.platform,
            external_id=identity.external_id,
            defaults={"session_meta": identity.meta},
        )
        if not created and identity.meta and {**rater.session_meta, **identity.meta} != rater.session_meta:
            rater.session_meta = {**rater.session_meta, **identity.meta}
            rater.save(update_fields=["session_meta"])
        return rater
    if bound_rater is not None:
        return bound_rater
    if getattr(user, "is_authenticated", False):
        rater, _ = Rater.objects.get_or_create(
            study=study, platform=Rater.Platform.ACCOUNT, external_id=str(user.pk), defaults={"user": user}
        )
        return rater
    return Rater.objects.create(study=study, platform=Rater.Platform.ANONYMOUS, external_id=secrets.token_hex(16))


def rater_consent(*, rater: Rater) -> Rater:
    if rater.consented_at is None:
        rater.consented_at = timezone.now()
        rater.save(update_fields=["consented_at"])
    return rater


def rater_complete(*, rater: Rater) -> Rater:
    if rater.completed_at is None:
        rater.completed_at = timezone.now()
        rater.save(update_fields=["completed_at"])
    return rater


@dataclass(frozen=True)
class FinishState:
    """What the "done" page shows: more work, nothing ever judged, or the completion (with progress)."""

    kind: str  # "more_work" | "nothing_done" | "completed"
    rater: Rater
    progress: dict[str, Any]


def rater_finish(*, rater: Rater) -> FinishState:
    """A rater asks to finish. While the study is live and work is left, they go on (a lease is taken, as the
    task page would); a rater who judged nothing gets no completion; otherwise the rater is completed."""
    study = rater.study
    if study.status == Study.Status.LIVE and rater.consented_at and assignment_next(rater=rater) is not None:
        return FinishState(kind="more_work", rater=rater, progress={})
    progress = rater_progress(rater=rater)
    if progress["done"] == 0:
        return FinishState(kind="nothing_done", rater=rater, progress=progress)
    return FinishState(kind="completed", rater=rater_complete(rater=rater), progress=progress)
