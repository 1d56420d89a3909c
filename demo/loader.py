"""The `make run` demo: two studies loaded and judged through the real services.

Everything a user would do goes through the same code paths as in the product: the import service
(with blinding and the identity-leak scan) on the files in `demo/content/`, gold import, leak review,
launch (pairing), rater entry, the assignment engine, judgment submission; then the result jobs.
Simulated raters (`demo/crowd.py` profiles: honest raters of varying care, a random clicker, an
always-left clicker, a speeder) answer on a simulated clock so that minimum-seconds and lease rules hold.

Idempotent: a study that already exists (by owner and name) is left as it is.
"""

from __future__ import annotations

import json
import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from demo.crowd import DEMO_RATER_PROFILES, RaterProfile, simulate_judgment
from demo.images import image_zip
from ratings.services.judgments import judgment_submit
from ratings.services.leaderboard import leaderboard_recompute
from ratings.services.quality import quality_recompute
from tasks.lib.sides import to_screen
from tasks.models import Rater, Study
from tasks.services.accounts import owner_create
from tasks.services.assignment import assignment_next
from tasks.services.gold import gold_import
from tasks.services.imports import import_outputs
from tasks.services.outputs import outputs_review
from tasks.services.rater import LinkIdentity, rater_complete, rater_consent, rater_enter
from tasks.services.studies import study_create, study_transition

DEMO_USERNAME = "demo"
CONTENT_DIR = Path(__file__).resolve().parent / "content"

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
    outputs_file: str  # in demo/content/, the import format of docs/import-format.md
    gold_file: str | None
    settings: dict[str, Any]
    judgments_per_rater: int
    images: bool = False  # draw the PNGs the outputs file names (demo/images.py) and import them as a zip


def _specs() -> list[DemoStudySpec]:
    return [
        DemoStudySpec(
            name="Demo: assistant answers (text)",
            outputs_file="text.jsonl",
            gold_file="text_gold.jsonl",
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
            outputs_file="images.jsonl",
            gold_file=None,
            images=True,
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


def simulate_rater(
    *,
    study: Study,
    profile: RaterProfile,
    quota: int,
    rng: random.Random,
    clock: list,
    external_id: str = "",
    quality: Callable[[Any], float] | None = None,
) -> int:
    """One simulated rater working through the real engine and submit service. Returns judgments stored.

    ``quality(output)`` gives an output's intended quality (default: its ``meta.demo_quality``, 0.5 when
    missing); ``clock`` is a one-element list holding the simulated time, advanced per judgment.
    """
    quality = quality or (lambda output: float(output.meta.get("demo_quality", 0.5)))
    rater = rater_enter(
        study=study,
        identity=LinkIdentity(platform=Rater.Platform.GENERIC, external_id=external_id or f"demo-{profile.name}"),
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
        qualities = [quality(output) for output in (comparison.output_a, comparison.output_b)]
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


#: ``progress(step, done, total)``: the loader reports each step of each study, and every simulated rater.
ProgressCallback = Callable[[str, int, int], None]

# The steps of one study, for progress: setup (images, import, gold, leak review, launch), one per
# simulated rater, then the two result computations.
SETUP_STEPS = 5


def _no_progress(step: str, done: int, total: int) -> None:
    return None


def demo_study_load(
    *, owner: Any, spec: DemoStudySpec, seed: int = 7, progress: ProgressCallback | None = None
) -> Study | None:
    """Create, import, launch and judge one demo study; None when it already exists.

    `progress(step, done, total)` is called as each step ends (`total` = every step of this study), so a
    command can show how far the load is; it must not raise.
    """
    if Study.objects.filter(owner=owner, name=spec.name).exists():
        return None
    report = progress or _no_progress
    total = SETUP_STEPS + len(DEMO_RATER_PROFILES) + 2
    done = 0

    def step(name: str) -> None:
        nonlocal done
        done += 1
        report(name, done, total)

    data = (CONTENT_DIR / spec.outputs_file).read_bytes()
    images = image_zip(json.loads(line) for line in data.decode("utf-8").splitlines()) if spec.images else None
    step("images drawn" if spec.images else "content read")
    with transaction.atomic():
        study = study_create(owner=owner, name=spec.name, **spec.settings)
        import_outputs(study=study, data=data, images_zip=images, background=False)
        step("outputs imported")
        if spec.gold_file:
            gold_import(study=study, data=(CONTENT_DIR / spec.gold_file).read_bytes())
        step("gold pairs marked")
        # The demo shows the leak review: flagged outputs are excluded, so raters never see them.
        outputs_review(study=study, decision="exclude", all_flagged=True)
        step("leaks reviewed")
        study = study_transition(study=study, action="launch")
        step("launched")
        rng = random.Random(seed)
        clock = [timezone.now() - timedelta(days=2)]
        for profile in DEMO_RATER_PROFILES:
            simulate_rater(study=study, profile=profile, quota=spec.judgments_per_rater, rng=rng, clock=clock)
            step(f"simulated rater {profile.name}")
    # What the background jobs would do next, done now so the demo shows flags and fresh leaderboards at once.
    quality_recompute(study=study)
    step("rater quality computed")
    leaderboard_recompute(study_id=study.id)
    step("leaderboards computed")
    return study


def demo_load(*, progress: Callable[[str, str, int, int], None] | None = None) -> dict[str, Any]:
    """Load every demo study that is missing. Returns the owner's username and password and what was created.

    `progress(study_name, step, done, total)` reports each step of each study being loaded.
    """
    owner, password = demo_owner_ensure()
    created = []
    for spec in _specs():
        report = (lambda step, done, total, name=spec.name: progress(name, step, done, total)) if progress else None
        if demo_study_load(owner=owner, spec=spec, progress=report):
            created.append(spec.name)
    return {"username": owner.get_username(), "password": password, "created": created}
