"""manage.py recompute_study <slug>: recompute a study's leaderboards and rater quality now, in this process."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from evalsite.progress import Progress, add_progress_argument
from ratings.services.leaderboard import leaderboard_recompute
from ratings.services.quality import quality_recompute
from tasks.management.cli import add_study_argument, study_from_slug

PARTS = ("leaderboards", "quality")


class Command(BaseCommand):
    help = (
        "Recompute a study's results now, in this process (what the background jobs do): every leaderboard "
        "snapshot (Bradley-Terry with 1000 bootstrap rounds per criterion and prompt tag, and Elo), and rater "
        "quality with the study's flagging rules. Use --only to do one of them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_study_argument(parser)
        parser.add_argument("--only", choices=PARTS, help="recompute only the leaderboards or only rater quality")
        add_progress_argument(parser)

    def handle(self, *args: Any, **opts: Any) -> None:
        study = study_from_slug(opts["slug"])
        parts = [opts["only"]] if opts["only"] else list(PARTS)
        bar = Progress(self.stderr, force=opts["progress"])
        if "leaderboards" in parts:
            started = time.monotonic()
            snapshots = leaderboard_recompute(
                study_id=study.id, progress=lambda done, total: bar(done, total, "leaderboards")
            )
            bar.finish()
            judged = max((s.n_judgments for s in snapshots if not s.tag), default=0)
            self.stdout.write(
                f"Leaderboards: {len(snapshots)} snapshots from {judged} counted judgments "
                f"in {time.monotonic() - started:.1f} s."
            )
        if "quality" in parts:
            started = time.monotonic()
            bar(0, 1, "rater quality")
            counts = quality_recompute(study=study)
            bar(1, 1, "rater quality")
            bar.finish()
            self.stdout.write(
                f"Rater quality: {counts['raters']} raters measured, {counts['flagged']} newly flagged, "
                f"{counts['blocked']} newly blocked, in {time.monotonic() - started:.1f} s."
            )
