"""Seed a study that has comparisons with simulated honest raters and spammers, then recompute quality."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ratings.services.quality import quality_recompute
from ratings.simulate import SPAMMER_KINDS, simulate_judgments
from tasks.models import Study


class Command(BaseCommand):
    help = "Add simulated judgments (honest raters and spammers) to a study, then recompute rater quality."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="the study's slug")
        parser.add_argument("--honest", type=int, default=8, help="number of honest raters (default 8)")
        parser.add_argument(
            "--spammers",
            default=",".join(SPAMMER_KINDS),
            help=f"comma-separated spammer kinds from {', '.join(SPAMMER_KINDS)} ('' for none)",
        )
        parser.add_argument("--per-rater", type=int, default=None, help="regular comparisons per rater (default all)")
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, *args: Any, **options: Any) -> None:
        study = Study.objects.filter(slug=options["slug"]).first()
        if study is None:
            raise CommandError(f"no study with slug {options['slug']!r}")
        spammers = tuple(s.strip() for s in options["spammers"].split(",") if s.strip())
        try:
            result = simulate_judgments(
                study=study,
                n_honest=options["honest"],
                spammers=spammers,
                per_rater=options["per_rater"],
                seed=options["seed"],
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        counts = quality_recompute(study=study)
        self.stdout.write(
            f"{result['judgments']} judgments from {len(result['raters'])} raters; "
            f"{counts['flagged']} flagged, {counts['blocked']} blocked"
        )
