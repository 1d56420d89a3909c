"""manage.py demo_load: the `make run` demo, with its progress (a bar on a terminal, a line per step elsewhere)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from demo.loader import demo_load
from evalsite.progress import Progress


class Command(BaseCommand):
    help = (
        "Load the demo (a text study and an image study, judged by simulated raters). Safe to run again: "
        "studies already loaded are kept. Takes a minute or two; progress goes to stderr."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--quiet", action="store_true", help="print nothing but the result")

    def handle(self, *args: Any, quiet: bool = False, **options: Any) -> None:
        started = time.monotonic()
        bar = Progress(self.stderr)

        def progress(study: str, step: str, done: int, total: int) -> None:
            if quiet:
                return
            if bar.tty:
                bar(done, total, study, note=step)
                if done == total:
                    bar.finish()
            else:  # make run piped, CI: a line per step, never silent for minutes
                self.stderr.write(f"[{done}/{total}] {study}: {step} ({time.monotonic() - started:.0f} s)")

        if not quiet:
            self.stderr.write("Loading the demo: two studies, imported, launched and judged by simulated raters…")
        result = demo_load(progress=progress)
        if result["created"]:
            for name in result["created"]:
                self.stdout.write(f"Loaded demo study: {name}")
            self.stdout.write(f"Demo loaded in {time.monotonic() - started:.1f} s.")
        else:
            self.stdout.write("Demo already loaded; reusing it.")
