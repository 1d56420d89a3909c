"""Add simulated raters (honest ones and spammers) to a live study, through the real engine and submit service."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from demo.crowd import BEHAVIOURS, RaterProfile
from demo.loader import simulate_rater
from ratings.services.quality import quality_recompute
from tasks.models import Study

SPAMMERS = tuple(b for b in BEHAVIOURS if b != "honest")


def _latent_quality(study: Study, seed: int) -> dict[int, float]:
    """Per system, a quality evenly spaced in [0.15, 0.85], in an order shuffled by `seed`."""
    ids = list(study.systems.order_by("name").values_list("id", flat=True))
    random.Random(seed).shuffle(ids)
    n = len(ids)
    return {sid: 0.85 - 0.7 * i / (n - 1) if n > 1 else 0.5 for i, sid in enumerate(ids)}


class Command(BaseCommand):
    help = (
        "Add simulated raters to a live study: each enters by a link, is served by the assignment engine and "
        "submits through the judgment service; then rater quality is recomputed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="the study's slug (the study must be live)")
        parser.add_argument("--honest", type=int, default=8, help="number of honest raters (default 8)")
        parser.add_argument(
            "--spammers",
            default=",".join(SPAMMERS),
            help=f"comma-separated spammer behaviours from {', '.join(SPAMMERS)} ('' for none)",
        )
        parser.add_argument("--per-rater", type=int, default=40, help="judgments per rater (default 40)")
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, *args: Any, **options: Any) -> None:
        study = Study.objects.filter(slug=options["slug"]).first()
        if study is None:
            raise CommandError(f"no study with slug {options['slug']!r}")
        if study.status != Study.Status.LIVE:
            raise CommandError(f"study {study.slug!r} is {study.status}; simulated raters need a live study")
        spammers = tuple(s.strip() for s in options["spammers"].split(",") if s.strip())
        unknown = sorted(set(spammers) - set(SPAMMERS))
        if unknown:
            raise CommandError(f"unknown spammer behaviour {', '.join(unknown)} (use {', '.join(SPAMMERS)})")
        if options["honest"] < 0 or options["per_rater"] < 1:
            raise CommandError("--honest must be >= 0 and --per-rater >= 1")
        seed = options["seed"]
        latent = _latent_quality(study, seed)

        def quality(output: Any) -> float:
            return float(output.meta.get("demo_quality", latent[output.system_id]))

        rng = random.Random(seed)
        token = f"{seed}-{rng.randrange(16**6):06x}"
        profiles = [RaterProfile(f"honest-{i + 1:02d}", "honest", 0.6 + 0.1 * i) for i in range(options["honest"])]
        profiles += [RaterProfile(kind, kind) for kind in spammers]
        clock = [timezone.now() - timedelta(hours=6)]
        total = 0
        for profile in profiles:
            total += simulate_rater(
                study=study,
                profile=profile,
                quota=options["per_rater"],
                rng=rng,
                clock=clock,
                external_id=f"sim-{token}-{profile.name}",
                quality=quality,
            )
        counts = quality_recompute(study=study)
        self.stdout.write(
            f"{total} judgments from {len(profiles)} raters; {counts['flagged']} flagged, {counts['blocked']} blocked"
        )
