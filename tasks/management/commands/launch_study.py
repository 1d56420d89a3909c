"""manage.py launch_study <slug>: say what launching does and what freezes, then launch (as the web's
launch page does)."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from evalsite.cli import command_error
from evalsite.errors import ApplicationError
from tasks.management.cli import add_study_argument, study_from_slug
from tasks.models import Study
from tasks.presentation import frozen_settings_described
from tasks.selectors.studies import comparison_counts, launch_preview
from tasks.services.studies import FROZEN_ONCE_DATA, FROZEN_ONCE_LIVE, study_transition


class Command(BaseCommand):
    help = (
        "Launch a draft study: make the pairs raters judge and open the rater link. Prints what launching "
        "does and which settings freeze, then asks to confirm (on a terminal) — pass --yes in scripts, or "
        "--dry-run to only see it. Refused, as on the web, while outputs are flagged for identity leaks or "
        "nothing can be paired."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_study_argument(parser)
        parser.add_argument("--yes", action="store_true", help="launch without asking")
        parser.add_argument("--dry-run", action="store_true", help="print what launching would do; change nothing")

    def handle(self, *args: Any, **opts: Any) -> None:
        study = study_from_slug(opts["slug"])
        if study.status != Study.Status.DRAFT:
            raise CommandError(f"The study {study.slug!r} is {study.status}: only a draft can be launched.")
        preview = launch_preview(study=study)
        out = self.stdout.write
        out(f"Launching {study.name!r} would:")
        unpaired = preview["prompts_unpaired"]
        out(
            f"  make {preview['regular']} pairs from {preview['prompts_paired']} prompts"
            + (f" ({unpaired} prompts have outputs from fewer than two systems and are left out)" if unpaired else "")
        )
        out(f"  need {preview['judgments_needed']} judgments ({study.redundancy} per pair) to reach the target")
        if preview["gold"]:
            out(f"  mix in {preview['gold']} gold pairs at a gold rate of {study.gold_rate}")
        if preview["repeat"]:
            out(f"  add {preview['repeat']} repeated pairs (sides swapped) to check consistency")
        out("  open the rater link, and stop imports of outputs")
        out("These settings freeze:")
        for item in frozen_settings_described(study=study, fields=FROZEN_ONCE_LIVE | FROZEN_ONCE_DATA):
            out(f"  {item['what']}: {item['value']}")
        if opts["dry_run"]:
            return
        if not opts["yes"]:
            if not sys.stdin.isatty():
                raise CommandError("Not launched: confirm with --yes (launching freezes the settings above).")
            answer = input("Launch now? [y/N] ").strip().lower()
            if answer not in ("y", "yes"):
                raise CommandError("Not launched.")
        try:
            study = study_transition(study=study, action="launch")
        except ApplicationError as exc:
            raise command_error(exc) from None
        total = comparison_counts(study=study)["total"]
        out(self.style.SUCCESS(f"{study.name!r} is live with {total} comparisons."))
        out(f"Rater link: /r/{study.slug}/ (on this server's address)")
