"""manage.py export_study <slug> --format preferences --out preferences.jsonl [filters]: the export, from the shell."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from evalsite.cli import command_error
from evalsite.errors import ApplicationError
from evalsite.progress import Progress, add_progress_argument
from ratings.services import exports as export_services
from tasks.management.cli import add_study_argument, study_from_slug


class Command(BaseCommand):
    help = (
        "Export a study's judgments, preferences, battles or leaderboard to a file (or stdout with --out -), "
        "with the same filters and checks as the Exports page; formats in docs/formats.md. A progress bar "
        "goes to stderr on a terminal."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_study_argument(parser)
        parser.add_argument("--format", required=True, choices=export_services.FORMATS)
        parser.add_argument("--file-type", default="", help="jsonl/json (default) or csv; inferred from --out")
        parser.add_argument("--out", required=True, help="output path, or - for stdout; .zip for an archive")
        parser.add_argument("--criterion", default="")
        parser.add_argument("--tags", default="", help="comma separated")
        parser.add_argument("--since", default="")
        parser.add_argument("--until", default="")
        parser.add_argument("--exclude-gold", action="store_true")
        parser.add_argument("--exclude-repeat", action="store_true")
        parser.add_argument("--exclude-flagged", action="store_true")
        parser.add_argument("--include-excluded", action="store_true", help="keep raters the owner excluded")
        parser.add_argument(
            "--include-excluded-outputs", action="store_true", help="keep comparisons with outputs the owner excluded"
        )
        parser.add_argument("--min-votes", default="")
        parser.add_argument("--min-agreement", default="")
        parser.add_argument("--drop-ties", action="store_true")
        add_progress_argument(parser)

    def handle(self, *args: Any, **opts: Any) -> None:
        study = study_from_slug(opts["slug"])
        out = opts["out"]
        file_type = opts["file_type"]
        if not file_type and out != "-":
            suffixes = [s.lstrip(".") for s in Path(out).suffixes if s != ".zip"]
            file_type = suffixes[-1] if suffixes else ""
        raw = {
            "criterion": opts["criterion"],
            "tags": opts["tags"],
            "since": opts["since"],
            "until": opts["until"],
            "exclude_gold": opts["exclude_gold"],
            "exclude_repeat": opts["exclude_repeat"],
            "exclude_flagged": opts["exclude_flagged"],
            "exclude_excluded": not opts["include_excluded"],
            "exclude_excluded_outputs": not opts["include_excluded_outputs"],
            "min_votes": opts["min_votes"],
            "min_agreement": opts["min_agreement"],
            "drop_ties": opts["drop_ties"],
        }
        try:
            file_type = export_services.export_validate_format(format=opts["format"], file_type=file_type)
            filters = export_services.export_filters_parse(study=study, data=raw)
        except ApplicationError as err:
            raise command_error(err) from None
        bar = Progress(self.stderr, force=opts["progress"])
        total = export_services.export_count(study=study, format=opts["format"], filters=filters)
        written = 0

        def on_row() -> None:
            nonlocal written
            written += 1
            bar(written, total, f"export {opts['format']}")

        if out == "-":
            for chunk in export_services.export_bytes(
                study=study, format=opts["format"], file_type=file_type, filters=filters, on_row=on_row
            ):
                sys.stdout.buffer.write(chunk)
            bar.finish()
            return
        zipped = out.endswith(".zip") or export_services.export_needs_zip(study=study, format=opts["format"])
        if zipped and not out.endswith(".zip"):
            out += ".zip"
        rows = export_services.export_write_file(
            study=study,
            format=opts["format"],
            file_type=file_type,
            filters=filters,
            path=Path(out),
            zipped=zipped,
            on_row=on_row,
        )
        bar.finish()
        self.stderr.write(f"wrote {rows} rows to {out}")
