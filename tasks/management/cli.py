"""What every study command of `tasks` and `ratings` shares: the study it works on, named by its slug."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError

from tasks.models import Study
from tasks.selectors.studies import study_by_slug


def add_study_argument(parser: Any) -> None:
    parser.add_argument("slug", help="the study's slug (from its URL, /studies/<slug>/)")


def add_format_argument(parser: Any) -> None:
    """`--format` of the import commands: chosen, or from the file name as on the web (`import_format_for`)."""
    parser.add_argument(
        "--format", default="auto", choices=("auto", "jsonl", "csv"), help="default: from the file name"
    )


def study_from_slug(slug: str) -> Study:
    """The study with this slug, or a CommandError that names the slug (exit status 1)."""
    study = study_by_slug(slug=slug)
    if study is None:
        raise CommandError(f"No study with slug {slug!r}.")
    return study
