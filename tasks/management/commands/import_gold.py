"""manage.py import_gold <slug> <file>: mark gold pairs from a file, as the Gold pairs page does."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from evalsite.cli import command_error, read_input
from evalsite.errors import ApplicationError
from tasks.forms import import_format_for
from tasks.management.cli import add_format_argument, add_study_argument, study_from_slug
from tasks.services.gold import gold_import


class Command(BaseCommand):
    help = (
        "Mark gold pairs (pairs with a known answer, to measure raters) from a JSONL or CSV file with "
        'prompt_id, system_a, system_b, answer ({"overall": "a"} or just a) and explanation. All or '
        "nothing: on any error every problem is listed with its line and field and the command exits 1."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_study_argument(parser)
        parser.add_argument("file", help="the gold file (.jsonl or .csv)")
        add_format_argument(parser)

    def handle(self, *args: Any, **opts: Any) -> None:
        study = study_from_slug(opts["slug"])
        data = read_input(opts["file"], what="gold file")
        try:
            result = gold_import(study=study, data=data, file_format=import_format_for(opts["file"], opts["format"]))
        except ApplicationError as exc:
            raise command_error(exc) from None
        self.stdout.write(f"{result['gold_marked']} gold pair(s) saved in {study.name!r}.")
