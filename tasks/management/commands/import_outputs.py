"""manage.py import_outputs <slug> <file> [--images zip]: the web's import, from the shell (same checks)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from evalsite.cli import command_error, read_input
from evalsite.errors import ApplicationError
from evalsite.progress import Progress, add_progress_argument
from tasks.forms import import_format_for
from tasks.management.cli import add_format_argument, add_study_argument, study_from_slug
from tasks.services.imports import count_lines, import_run


class Command(BaseCommand):
    help = (
        "Import outputs into a draft study from a JSONL or CSV file (one line per output: prompt_id, prompt, "
        "system, output or image; see docs/import-format.md), with a zip of images for image studies. "
        "The whole file is checked first, as on the web: on any error nothing is imported, every problem is "
        "listed with its line and field, and the command exits with status 1."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_study_argument(parser)
        parser.add_argument("file", help="the outputs file (.jsonl or .csv)")
        parser.add_argument("--images", default="", help="zip of the images the file names (image studies)")
        add_format_argument(parser)
        add_progress_argument(parser)

    def handle(self, *args: Any, **opts: Any) -> None:
        study = study_from_slug(opts["slug"])
        data = read_input(opts["file"], what="outputs file")
        images = read_input(opts["images"], what="images zip") if opts["images"] else None
        file_format = import_format_for(opts["file"], opts["format"])
        bar = Progress(self.stderr, force=opts["progress"])
        total = max(count_lines(data) - (file_format == "csv"), 1)  # records (a CSV's header is none)
        started = time.monotonic()
        try:
            summary = import_run(
                study=study,
                data=data,
                images_zip=images,
                file_format=file_format,
                progress=lambda done: bar(done, total, "checking", note="— writing…" if done >= total else ""),
            )
        except ApplicationError as exc:
            bar.finish()
            raise command_error(exc) from None
        bar(total, total, "checking")  # blank lines are not records: close the bar at 100%
        bar.finish()
        self.stdout.write(
            f"Imported {summary['lines']} lines into {study.name!r} in {time.monotonic() - started:.1f} s: "
            f"{summary['prompts_created']} new prompts, {summary['systems_created']} new systems, "
            f"{summary['outputs_created']} new outputs ({summary['outputs_skipped']} already present, skipped), "
            f"{summary['images_stored']} images, {summary['flagged']} flagged for identity leaks, "
            f"{summary['gold_marked']} gold pairs."
        )
        if summary["flagged"]:
            self.stdout.write(
                f"Next: review the flagged outputs (/studies/{study.slug}/outputs/?review=flagged), then launch."
            )
        else:
            self.stdout.write(f"Next: manage.py launch_study {study.slug}")
