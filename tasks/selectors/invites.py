"""Reads for personal invitation links."""

from __future__ import annotations

from tasks.models import Rater, Study


def invited_raters(*, study: Study, limit: int = 1000) -> list[Rater]:
    """The study's invited raters, newest first."""
    return list(Rater.objects.filter(study=study, platform=Rater.Platform.INVITE).order_by("-pk")[:limit])
