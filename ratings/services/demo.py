"""The `make run` demo: two studies loaded and judged through the real services.

Everything a user would do goes through the same code paths as in the product:
the import service (with blinding and the identity-leak scan), gold import, leak
review, launch (pairing), rater entry, the assignment engine, judgment
submission; then the result jobs. Simulated raters (tasks/demo_data.py profiles:
honest raters of varying care, a random clicker, an always-left clicker, a
speeder) answer on a simulated clock so that minimum-seconds and lease rules hold.

Idempotent: a study that already exists (by owner and name) is left as it is.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from ratings.services.judgments import judgment_submit, to_screen
from ratings.services.leaderboard import leaderboard_recompute
from ratings.services.quality import quality_recompute
from tasks.demo_data import DEMO_RATER_PROFILES, RaterProfile, simulate_judgment, write_demo_files
from tasks.models import Rater, Study
from tasks.services.accounts import owner_create
from tasks.services.assignment import assignment_next
from tasks.services.gold import gold_import
from tasks.services.imports import import_outputs
from tasks.services.rater_session import LinkIdentity, rater_complete, rater_consent, rater_enter
from tasks.services.review import outputs_review
from tasks.services.studies import study_create, study_transition

DEMO_USERNAME = "demo"

TEXT_INSTRUCTIONS = """\
You will see a **question** and two **anonymous answers** to it.

1. Read the question and both answers.
2. For each criterion, say which answer is better — or that they are equally good (**tie**),
   or that **both are bad**.
3. Judge the content, not the length: a short correct answer beats a long wrong one.

Keyboard: `1` left better · `2` right better · `3` tie · `4` both bad · `Enter` submit · `S` skip.
"""

IMAGE_INSTRUCTIONS = """\
You will see a **text prompt** and two **generated images**.
Say which image matches the prompt better (objects, colours, composition) and which one looks better.
Click an image to zoom in.
"""


@dataclass(frozen=True)
class DemoStudySpec:
    name: str
    files_key: str
    images_key: str | None
    gold_key: str | None
    settings: dict[str, Any]
    judgments_per_rater: int


def _specs() -> list[DemoStudySpec]:
    return [
        DemoStudySpec(
            name="Demo: assistant answers (text)",
            files_key="text",
            images_key=None,
            gold_key="text_gold",
            settings={
                "instructions": TEXT_INSTRUCTIONS,
                "modality": Study.Modality.TEXT,
                "criteria": [
                    {"key": "overall", "label": "Overall", "description": "Which answer is better overall?"},
                    {
                        "key": "correctness",
                        "label": "Correctness",
                        "description": "Which answer is more accurate and free of errors?",
                    },
                ],
                "redundancy": 3,
                "gold_rate": 0.08,
                "repeat_rate": 0.05,
                "min_seconds": 2,
                "quota_per_rater": 80,
                "completion_code": "EVALSITE-DEMO",
                "gold_feedback": True,
            },
            judgments_per_rater=40,  # leaves work for people who open the rater link
        ),
        DemoStudySpec(
            name="Demo: text-to-image (images)",
            files_key="images",
            images_key="images_zip",
            gold_key=None,
            settings={
                "instructions": IMAGE_INSTRUCTIONS,
                "modality": Study.Modality.IMAGE,
                "criteria": [
                    {"key": "overall", "label": "Overall", "description": "Which image is better overall?"},
                    {
                        "key": "alignment",
                        "label": "Prompt alignment",
                        "description": "Which image matches the prompt better?",
                    },
                    {"key": "aesthetics", "label": "Aesthetics", "description": "Which image looks better?"},
                ],
                "redundancy": 3,
                "min_seconds": 2,
                "quota_per_rater": 40,
                "completion_code": "EVALSITE-DEMO-IMG",
            },
            judgments_per_rater=10,  # leaves work for people who open the rater link
        ),
    ]


def demo_owner_ensure() -> tuple[Any, str]:
    """The demo owner account and its password (kept in var/demo-login.txt so `make run` can print it again)."""
    login_file = Path(settings.VAR_DIR) / "demo-login.txt"
    user: Any = get_user_model().objects.filter(username=DEMO_USERNAME).first()
    if user is not None and login_file.exists():
        return user, login_file.read_text().split("\n", 1)[1].strip()
    password = secrets.token_urlsafe(9)
    if user is None:
        user = owner_create(username=DEMO_USERNAME, password=password)
    else:
        user.set_password(password)
        user.save(update_fields=["password"])
    login_file.parent.mkdir(parents=True, exist_ok=True)
    login_file.write_text(f"{DEMO_USERNAME}\n{password}\n")
    login_file.chmod(0o600)
    return user, password


def _simulate_rater(*, study: Study, profile: RaterProfile, quota: int, rng: random.Random, clock: list) -> int:
    """One simulated rater working through the real engine and submit service. Returns judgments stored."""
    rater = rater_enter(
        study=study,
        identity=LinkIdentity(platform=Rater.Platform.GENERIC, external_id=f"demo-{profile.name}"),
        user=None,
        bound_rater=None,
    )
    rater_consent(rater=rater)
    keys = study.criterion_keys
    stored = 0
    while stored < quota:
        assignment = assignment_next(rater=rater, now=clock[0], rng=rng)
        if assignment is None:
            break
        comparison = assignment.comparison
        qualities = [
            float(output.meta.get("demo_quality", 0.5)) for output in (comparison.output_a, comparison.output_b)
        ]
        choices: dict[str, str] = {}
        seconds = 0.0
        for key in keys:
            canonical, seconds = simulate_judgment(
                rng, profile, qualities[0], qualities[1], left_side=assignment.left_side, modality=study.modality
            )
            choices[key] = to_screen(canonical_choice=canonical, left_side=assignment.left_side)
        seconds = max(seconds, float(study.min_seconds))
        clock[0] = clock[0] + timedelta(seconds=seconds)
        judgment_submit(rater=rater, assignment_public_id=assignment.public_id, choices=choices, now=clock[0])
        clock[0] = clock[0] + timedelta(seconds=1)
        stored += 1
    rater_complete(rater=rater)
    return stored


def demo_study_load(*, owner: Any, spec: DemoStudySpec, files: dict[str, Path], seed: int = 7) -> Study | None:
    """Create, import, launch and judge one demo study; None when it already exists."""
    if Study.objects.filter(owner=owner, name=spec.name).exists():
        return None
    with transaction.atomic():
        study = study_create(owner=owner, name=spec.name, **spec.settings)
        images = files[spec.images_key].read_bytes() if spec.images_key else None
        import_outputs(study=study, data=files[spec.files_key].read_bytes(), images_zip=images, background=False)
        if spec.gold_key:
            gold_import(study=study, data=files[spec.gold_key].read_bytes())
        # The demo shows the leak review: flagged outputs are excluded, so raters never see them.
        outputs_review(study=study, decision="exclude", all_flagged=True)
        study = study_transition(study=study, action="launch")
        rng = random.Random(seed)
        clock = [timezone.now() - timedelta(days=2)]
        for profile in DEMO_RATER_PROFILES:
            _simulate_rater(study=study, profile=profile, quota=spec.judgments_per_rater, rng=rng, clock=clock)
    # What the background jobs would do next, done now so the demo shows flags and fresh leaderboards at once.
    quality_recompute(study=study)
    leaderboard_recompute(study_id=study.id)
    return study


def demo_load() -> dict[str, Any]:
    """Load every demo study that is missing. Returns the owner's username and password and what was created."""
    owner, password = demo_owner_ensure()
    files = write_demo_files(Path(settings.VAR_DIR) / "demo")
    created = [study.name for spec in _specs() if (study := demo_study_load(owner=owner, spec=spec, files=files))]
    return {"username": owner.get_username(), "password": password, "created": created}
