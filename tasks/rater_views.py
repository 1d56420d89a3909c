"""Rater pages. Nothing here may name a System: only opaque public ids reach the browser."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tasks import selectors


def rater_entry(request: HttpRequest, slug: str) -> HttpResponse:
    study = selectors.study_for_rater_link(slug=slug)
    return render(request, "rater/entry.html", {"study": study})
