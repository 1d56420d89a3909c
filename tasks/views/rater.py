"""Rater pages. Nothing here may name a System: only opaque public ids reach the browser.

Flow: /r/<slug>/?<crowd ids>  → binds the session to a Rater, redirects (ids leave the URL)
      /r/<slug>/start/         → consent + instructions (POST to agree)
      /r/<slug>/task/          → the judging page for the rater's current lease
      /r/<slug>/done/          → completion code / redirect to the crowd platform
      /r/img/<public_id>/      → image bytes by opaque id (live/paused studies only)
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from evalsite.api import or_404
from evalsite.errors import ApplicationError
from tasks.lib.markdown import render_markdown
from tasks.models import Rater, Study
from tasks.selectors.rater import assignment_for_page, completion_target, rater_progress, session_key, session_rater
from tasks.selectors.studies import study_for_rater_link
from tasks.services.assignment import assignment_next, assignment_page_data
from tasks.services.rater import rater_consent, rater_enter, rater_finish, rater_identity_from_params
from tasks.views.rendering import output_as_rater_sees, prompt_as_rater_sees


def _message(
    request: HttpRequest, study: Study | None, title: str, text: str, *, status: int = 200, detail: str = ""
) -> HttpResponse:
    return render(
        request, "rater/message.html", {"study": study, "title": title, "text": text, "detail": detail}, status=status
    )


def _not_live(request: HttpRequest, study: Study) -> HttpResponse:
    if study.status == Study.Status.PAUSED:
        return _message(request, study, _("Paused"), _("This study is paused. Please come back later."))
    return _message(request, study, _("Closed"), _("This study is closed. Thank you for your interest."))


def _error_text(exc: ApplicationError) -> str:
    """Translated texts for the errors a rater can meet on the pages (the JSON keeps the English message)."""
    texts = {
        "invalid_link": _(
            "This link is not valid: %(field)s has an unexpected value. Please use the link exactly as you received it."
        ),
        "invalid_invite": _("This invitation link is not valid for this study."),
        "invite_required": _("This study is by invitation only: please use your personal invitation link."),
        "study_not_live": _("This study is not accepting raters right now."),
    }
    text = texts.get(exc.code, exc.message)
    return text % {"field": exc.extra.get("field", "")} if "%(field)s" in text else text


@require_GET
def rater_entry(request: HttpRequest, slug: str) -> HttpResponse:
    study = or_404(study_for_rater_link(slug=slug))
    try:
        identity = rater_identity_from_params(params=request.GET)
    except ApplicationError as exc:
        # The translated sentence, plus the exact rule that failed (parameter, length, characters).
        return _message(request, study, _("Invalid link"), _error_text(exc), status=400, detail=exc.message)
    instructions = render_markdown(study.instructions)
    if identity is not None and identity.preview:
        return render(request, "rater/entry.html", {"study": study, "preview": True, "instructions": instructions})
    if study.status != Study.Status.LIVE:
        return _not_live(request, study)
    try:
        rater = rater_enter(
            study=study,
            identity=identity,
            user=request.user,
            bound_rater=session_rater(session=request.session, study=study),
        )
    except ApplicationError as exc:
        return _message(request, study, _("Cannot start"), _error_text(exc), status=exc.status_code)
    key = session_key(study_id=study.pk)
    if request.session.get(key) != rater.pk:
        request.session[key] = rater.pk
    if rater.consented_at is None:
        return redirect("rater-consent", slug=study.slug)
    return redirect("rater-task", slug=study.slug)


def _rater_or_redirect(request: HttpRequest, slug: str) -> tuple[Study, Rater | None, HttpResponse | None]:
    study = or_404(study_for_rater_link(slug=slug))
    if study.status != Study.Status.LIVE:
        return study, None, _not_live(request, study)
    rater = session_rater(session=request.session, study=study)
    if rater is None:
        return study, None, redirect("rater-entry", slug=slug)
    return study, rater, None


@require_http_methods(["GET", "POST"])
def rater_consent_page(request: HttpRequest, slug: str) -> HttpResponse:
    study, rater, early = _rater_or_redirect(request, slug)
    if early is not None or rater is None:
        return early or redirect("rater-entry", slug=slug)
    if request.method == "POST":
        rater_consent(rater=rater)
        return redirect("rater-task", slug=slug)
    return render(request, "rater/consent.html", {"study": study, "instructions": render_markdown(study.instructions)})


@require_GET
def rater_task(request: HttpRequest, slug: str) -> HttpResponse:
    study, rater, early = _rater_or_redirect(request, slug)
    if early is not None or rater is None:
        return early or redirect("rater-entry", slug=slug)
    if rater.consented_at is None:
        return redirect("rater-consent", slug=slug)
    if rater.status == Rater.Status.BLOCKED:
        return _message(request, study, _("Thank you"), _("Your participation in this study has ended."))
    lease = assignment_next(rater=rater)
    if lease is None:
        return redirect("rater-done", slug=slug)
    assignment = assignment_for_page(assignment_id=lease.pk)
    page = assignment_page_data(assignment=assignment)
    progress = rater_progress(rater=rater)
    elapsed = max(0.0, (timezone.now() - lease.leased_at).total_seconds())
    criteria = [
        {
            "key": str(c.get("key")),
            "label": str(c.get("label") or c.get("key")),
            "description": str(c.get("description", "")),
        }
        for c in study.criteria
    ]
    config = {
        "assignment": assignment.public_id,
        "submitUrl": reverse("rater-submit", args=[slug, assignment.public_id]),
        "skipUrl": reverse("rater-skip", args=[slug, assignment.public_id]),
        "reportUrl": reverse("rater-report", args=[slug, assignment.public_id]),
        "nextUrl": reverse("rater-task", args=[slug]),
        "criteria": [c["key"] for c in criteria],
        "minSeconds": study.min_seconds,
        "elapsed": elapsed,
        "rationale": study.rationale,
        "rationaleMin": study.rationale_min_length,
        "strings": {
            "matched": _("Your answer matched the expected answer."),
            "notMatched": _("Your answer did not match the expected answer."),
            "expected": _("Expected answer"),
            "accuracy": _("Your accuracy on check questions: %(correct)s of %(total)s"),
            "continue": _("Continue"),
            "progress": _("Done: %(done)s of %(target)s"),
            "left": _("Left better"),
            "right": _("Right better"),
            "tie": _("Tie"),
            "both_bad": _("Both bad"),
            "answerAll": _("Please answer every criterion."),
            "rationaleNeeded": _("Please explain your choice (at least %(n)s characters)."),
            "wait": _("Please look at both responses a little longer."),
            "network": _("Could not reach the server. Please try again."),
            "reported": _("Thank you, your report was sent."),
            "expired": _("This task has expired. Loading the next one."),
        },
    }
    return render(
        request,
        "rater/task.html",
        {
            "study": study,
            "assignment": assignment,
            "prompt": prompt_as_rater_sees(page["prompt"]),
            "sides": [
                ("left", _("Left response"), output_as_rater_sees(page["left"])),
                ("right", _("Right response"), output_as_rater_sees(page["right"])),
            ],
            "criteria": criteria,
            "likert_points": list(range(1, study.likert_scale + 1)) if study.likert_scale else [],
            "progress": progress,
            "config": config,
        },
    )


@require_GET
def rater_done(request: HttpRequest, slug: str) -> HttpResponse:
    study = or_404(study_for_rater_link(slug=slug))
    rater = session_rater(session=request.session, study=study)
    if rater is None:
        return redirect("rater-entry", slug=slug)
    if rater.status == Rater.Status.BLOCKED:
        return _message(request, study, _("Thank you"), _("Your participation in this study has ended."))
    state = rater_finish(rater=rater)
    if state.kind == "more_work":
        return redirect("rater-task", slug=slug)
    if state.kind == "nothing_done":
        return _message(
            request, study, _("No tasks"), _("There are no tasks for you right now. Thank you for your interest.")
        )
    code = study.completion_code
    target = completion_target(rater=state.rater, code=code)
    return render(
        request, "rater/done.html", {"study": study, "code": code, "target": target, "progress": state.progress}
    )
