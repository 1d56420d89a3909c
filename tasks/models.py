"""What raters are asked to do: Study, System, Prompt, Output, Comparison, Assignment, Rater.

Fields, constraints and indexes only; logic lives in services/ and selectors/.
The database enforces what must never happen (see the constraints below and
the triggers in evalsite/db_triggers.py, installed after every migrate, which keep
an Output, its Prompt, its System and every Comparison/Assignment using it in one Study).
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q

CHOICES = ("a", "b", "tie", "both_bad")


def new_public_id() -> str:
    """An opaque, random public id: 128 bits, URL safe, says nothing about order or content."""
    return secrets.token_urlsafe(16)


def new_slug() -> str:
    return secrets.token_urlsafe(9).replace("_", "x").replace("-", "y").lower()


def new_salt() -> str:
    return secrets.token_hex(16)


def default_criteria() -> list[dict[str, str]]:
    return [{"key": "overall", "label": "Overall", "description": "Which response is better overall?"}]


def default_quality_rules() -> dict[str, float | int | bool]:
    """Rater-quality rule thresholds (applied by ratings.services.quality; see docs/quality.md)."""
    return {
        "fdr": 0.05,  # false-discovery rate of the study's flags (Benjamini-Hochberg over raters x rules)
        "min_gold_items": 5,
        "min_gold_accuracy": 0.6,
        "max_fast_share": 0.5,
        "fast_seconds": 3,  # "too fast" = below the larger of this and Study.min_seconds
        "max_side_share": 0.75,  # position bias = confidently more than this share on one screen side
        "min_repeat_items": 3,
        "min_self_consistency": 0.5,
        "min_judgments": 20,  # evidence needed before the speed, position, majority and run rules judge
        "min_majority_agreement": 0.4,
        "max_straight_run": 10,  # runs up to this length never flag, however unlikely
        "auto_block": False,
    }


class Study(models.Model):
    class Modality(models.TextChoices):
        TEXT = "text", "Text"
        IMAGE = "image", "Image"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        LIVE = "live", "Live"
        PAUSED = "paused", "Paused"
        CLOSED = "closed", "Closed"

    class Pairing(models.TextChoices):
        ALL_PAIRS = "all_pairs", "All pairs per prompt"
        SAMPLED = "sampled", "k sampled pairs per prompt"

    class Rationale(models.TextChoices):
        OFF = "off", "Off"
        OPTIONAL = "optional", "Optional"
        REQUIRED = "required", "Required"

    class Access(models.TextChoices):
        OPEN = "open", "Open link"
        INVITE = "invite", "Invited raters only"

    class ImageCanvas(models.TextChoices):
        OFF = "off", "Keep each image's own size"
        PAD = "pad", "Scale to fit one canvas, pad the rest"
        FIT = "fit", "Scale to fill one canvas, crop the rest"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_studies")
    shared_with = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="shared_studies")
    slug = models.SlugField(max_length=40, unique=True, default=new_slug)
    name = models.CharField(max_length=200)
    instructions = models.TextField(blank=True, help_text="Markdown, rendered sanitized.")
    modality = models.CharField(max_length=10, choices=Modality.choices, default=Modality.TEXT)
    criteria = models.JSONField(default=default_criteria)
    likert_scale = models.PositiveSmallIntegerField(default=0, help_text="0 = off, 5 or 7 points.")
    rationale = models.CharField(max_length=10, choices=Rationale.choices, default=Rationale.OFF)
    rationale_min_length = models.PositiveIntegerField(default=0)
    redundancy = models.PositiveSmallIntegerField(default=3, help_text="Ratings per comparison.")
    pairing = models.CharField(max_length=12, choices=Pairing.choices, default=Pairing.ALL_PAIRS)
    pairs_per_prompt = models.PositiveIntegerField(default=0, help_text="k, for sampled pairing.")
    gold_rate = models.FloatField(default=0.0)
    repeat_rate = models.FloatField(default=0.0)
    min_seconds = models.PositiveIntegerField(default=0)
    quota_per_rater = models.PositiveIntegerField(null=True, blank=True)
    lease_minutes = models.PositiveIntegerField(default=15)
    access = models.CharField(max_length=10, choices=Access.choices, default=Access.OPEN)
    completion_code = models.CharField(max_length=100, blank=True)
    completion_redirect_url = models.URLField(max_length=500, blank=True)
    gold_feedback = models.BooleanField(default=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    quality_rules = models.JSONField(default=default_quality_rules)
    rater_salt = models.CharField(max_length=64, default=new_salt, editable=False)
    export_worker_ids = models.BooleanField(default=False, help_text="Owner opt-in: exports carry external worker ids.")
    # Output images are drawn onto one canvas per study, alpha flattened, so size and transparency say nothing
    # about the system (tasks/services/blinding.py). The canvas is fixed by the first image import unless set.
    image_canvas = models.CharField(max_length=3, choices=ImageCanvas.choices, default=ImageCanvas.PAD)
    image_canvas_width = models.PositiveIntegerField(null=True, blank=True)
    image_canvas_height = models.PositiveIntegerField(null=True, blank=True)
    leak_findings = models.JSONField(
        default=list,
        blank=True,
        help_text="Identity-leak scan of what raters see besides outputs (name, instructions, criteria, prompts, "
        "chat history, gold explanations): [{where, kind, match}], for the owner to review.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    launched_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "studies"
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(name="study_likert_scale", condition=Q(likert_scale__in=[0, 5, 7])),
            models.CheckConstraint(name="study_redundancy_positive", condition=Q(redundancy__gte=1)),
            models.CheckConstraint(name="study_gold_rate_range", condition=Q(gold_rate__gte=0) & Q(gold_rate__lte=1)),
            models.CheckConstraint(
                name="study_repeat_rate_range", condition=Q(repeat_rate__gte=0) & Q(repeat_rate__lte=1)
            ),
            models.CheckConstraint(name="study_lease_positive", condition=Q(lease_minutes__gte=1)),
            models.CheckConstraint(
                name="study_status_valid", condition=Q(status__in=["draft", "live", "paused", "closed"])
            ),
            models.CheckConstraint(name="study_modality_valid", condition=Q(modality__in=["text", "image"])),
            models.CheckConstraint(
                name="study_image_canvas_valid", condition=Q(image_canvas__in=["off", "pad", "fit"])
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def criterion_keys(self) -> list[str]:
        """The criteria's keys in their configured order ("overall" when none are configured)."""
        keys = [str(c["key"]) for c in (self.criteria or []) if isinstance(c, dict) and c.get("key")]
        return keys or ["overall"]


class System(models.Model):
    """A model or model configuration under evaluation. Its name is never shown to raters."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="systems")
    name = models.CharField(max_length=200)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["study", "name"], name="system_unique_name_per_study")]

    def __str__(self) -> str:
        return self.name


class Prompt(models.Model):
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="prompts")
    external_id = models.CharField(max_length=200, help_text="prompt_id from the import file.")
    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    text = models.TextField(blank=True)
    image = models.FileField(upload_to="blind/", blank=True, max_length=200)
    messages = models.JSONField(default=list, blank=True)
    tags = models.JSONField(default=list, blank=True)
    meta = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["study", "external_id"], name="prompt_unique_external_id")]

    def __str__(self) -> str:
        return self.external_id


class Output(models.Model):
    """One System's response to one Prompt. `public_id` is opaque; images are re-encoded and renamed."""

    class LeakReview(models.TextChoices):
        CLEAN = "clean", "No leak found"
        FLAGGED = "flagged", "Flagged, awaiting review"
        KEPT = "kept", "Reviewed, kept"
        EXCLUDED = "excluded", "Excluded"

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="outputs")
    prompt = models.ForeignKey(Prompt, on_delete=models.CASCADE, related_name="outputs")
    system = models.ForeignKey(System, on_delete=models.CASCADE, related_name="outputs")
    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    text = models.TextField(blank=True)
    image = models.FileField(upload_to="blind/", blank=True, max_length=200)
    image_width = models.PositiveIntegerField(null=True, blank=True)
    image_height = models.PositiveIntegerField(null=True, blank=True)
    leak_flags = models.JSONField(default=list, blank=True, help_text="What the identity-leak scan found.")
    leak_review = models.CharField(max_length=10, choices=LeakReview.choices, default=LeakReview.CLEAN)
    meta = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["prompt", "system"], name="output_unique_per_prompt_system"),
            models.CheckConstraint(
                name="output_leak_review_valid", condition=Q(leak_review__in=["clean", "flagged", "kept", "excluded"])
            ),
        ]
        indexes = [models.Index(fields=["study", "leak_review"], name="output_study_leak_idx")]

    @property
    def excluded(self) -> bool:
        return self.leak_review == self.LeakReview.EXCLUDED


class Comparison(models.Model):
    """The unit of crowd work: one Prompt and two Outputs in canonical sides a and b."""

    class Kind(models.TextChoices):
        REGULAR = "regular", "Regular"
        GOLD = "gold", "Gold"
        REPEAT = "repeat", "Repeat"

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="comparisons")
    prompt = models.ForeignKey(Prompt, on_delete=models.CASCADE, related_name="comparisons")
    output_a = models.ForeignKey(Output, on_delete=models.CASCADE, related_name="+")
    output_b = models.ForeignKey(Output, on_delete=models.CASCADE, related_name="+")
    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.REGULAR)
    # Gold: expected answer per criterion, e.g. {"overall": "a"}; the owner's explanation is shown as feedback.
    gold_answers = models.JSONField(default=dict, blank=True)
    gold_explanation = models.TextField(blank=True)
    # Repeat: the regular comparison this one duplicates with sides flipped.
    repeat_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="repeats")
    # Judgments stored so far; kept by the judgment service inside its transaction (never by a signal).
    judgment_count = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=True, help_text="False when an output was excluded after launch.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(name="comparison_distinct_outputs", condition=~Q(output_a=F("output_b"))),
            models.CheckConstraint(name="comparison_kind_valid", condition=Q(kind__in=["regular", "gold", "repeat"])),
            models.CheckConstraint(
                name="comparison_repeat_has_origin",
                condition=(Q(kind="repeat") & Q(repeat_of__isnull=False))
                | (~Q(kind="repeat") & Q(repeat_of__isnull=True)),
            ),
            models.UniqueConstraint(fields=["output_a", "output_b", "kind"], name="comparison_unique_pair_kind"),
        ]
        indexes = [
            # The assignment engine: open work of one kind in a study, fewest judgments first.
            models.Index(fields=["study", "kind", "active", "judgment_count"], name="comparison_pool_idx"),
            models.Index(fields=["study", "prompt"], name="comparison_study_prompt_idx"),
        ]


class Rater(models.Model):
    """A crowd participant in one study: an account, an external worker id, or an invite token."""

    class Platform(models.TextChoices):
        PROLIFIC = "prolific", "Prolific"
        MTURK = "mturk", "Amazon MTurk"
        GENERIC = "generic", "Generic pid"
        ACCOUNT = "account", "Account"
        INVITE = "invite", "Invite token"
        ANONYMOUS = "anonymous", "Anonymous link"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        FLAGGED = "flagged", "Flagged"
        BLOCKED = "blocked", "Blocked"

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="raters")
    platform = models.CharField(max_length=10, choices=Platform.choices)
    external_id = models.CharField(max_length=200)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="rater_profiles"
    )
    invite_token = models.CharField(max_length=64, null=True, blank=True, unique=True)
    session_meta = models.JSONField(
        default=dict, blank=True, help_text="Platform ids: STUDY_ID, SESSION_ID, hitId, ..."
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    excluded = models.BooleanField(default=False, help_text="Judgments kept but left out of results.")
    consented_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["study", "platform", "external_id"], name="rater_unique_identity"),
            models.CheckConstraint(name="rater_status_valid", condition=Q(status__in=["active", "flagged", "blocked"])),
        ]
        indexes = [models.Index(fields=["study", "status"], name="rater_study_status_idx")]


class Assignment(models.Model):
    """One Comparison handed to one Rater, with the side shown left drawn at random and recorded."""

    class Status(models.TextChoices):
        LEASED = "leased", "Leased"
        SUBMITTED = "submitted", "Submitted"
        SKIPPED = "skipped", "Skipped"
        EXPIRED = "expired", "Expired"

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="assignments")
    comparison = models.ForeignKey(Comparison, on_delete=models.CASCADE, related_name="assignments")
    rater = models.ForeignKey(Rater, on_delete=models.CASCADE, related_name="assignments")
    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    left_side = models.CharField(max_length=1, help_text="Canonical side (a or b) shown on the left.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.LEASED)
    leased_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    skip_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["rater", "comparison"], name="assignment_rater_sees_comparison_once"),
            models.CheckConstraint(name="assignment_left_side_valid", condition=Q(left_side__in=["a", "b"])),
            models.CheckConstraint(
                name="assignment_status_valid", condition=Q(status__in=["leased", "submitted", "skipped", "expired"])
            ),
            models.CheckConstraint(name="assignment_expiry_after_lease", condition=Q(expires_at__gt=F("leased_at"))),
        ]
        indexes = [
            models.Index(fields=["comparison", "status"], name="assignment_comparison_idx"),
            models.Index(fields=["status", "expires_at"], name="assignment_expiry_idx"),
            models.Index(fields=["rater", "status"], name="assignment_rater_idx"),
        ]


class OutputReport(models.Model):
    """A rater's report on what they were shown (unsafe, broken, identity visible)."""

    class Reason(models.TextChoices):
        UNSAFE = "unsafe", "Unsafe content"
        BROKEN = "broken", "Broken or empty"
        IDENTITY = "identity", "Model identity visible"

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="reports")
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="reports")
    output = models.ForeignKey(Output, null=True, blank=True, on_delete=models.CASCADE, related_name="reports")
    reason = models.CharField(max_length=10, choices=Reason.choices)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="report_reason_valid", condition=Q(reason__in=["unsafe", "broken", "identity"])
            ),
            models.UniqueConstraint(fields=["assignment", "output", "reason"], name="report_unique_per_assignment"),
        ]


class ImportJob(models.Model):
    """An import of outputs into a study; large files run in the background with progress."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="imports")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    file = models.FileField(upload_to="imports/", blank=True, max_length=200)
    images = models.FileField(upload_to="imports/", blank=True, max_length=200)
    file_format = models.CharField(max_length=10, default="jsonl")
    lines_total = models.PositiveIntegerField(default=0)
    lines_done = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
