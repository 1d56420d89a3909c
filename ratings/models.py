"""What raters answered and what it adds up to: Judgment, Feedback, Leaderboard, Export.

Fields, constraints and indexes only. Choices are always stored in canonical
sides (a/b of the Comparison), never in screen sides.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from tasks.models import Assignment, Comparison, Output, Rater, Study, System

CHOICE_VALUES = ["a", "b", "tie", "both_bad"]


class Judgment(models.Model):
    """A rater's answer to one Assignment. One per Assignment (the database says so)."""

    assignment = models.OneToOneField(Assignment, on_delete=models.CASCADE, related_name="judgment")
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="judgments")
    comparison = models.ForeignKey(Comparison, on_delete=models.CASCADE, related_name="judgments")
    rater = models.ForeignKey(Rater, on_delete=models.CASCADE, related_name="judgments")
    rationale = models.TextField(blank=True)
    seconds = models.FloatField(help_text="Seconds the rater spent, measured server side from the lease.")
    gold_correct = models.BooleanField(null=True, blank=True, help_text="Gold items: did every criterion match?")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.CheckConstraint(name="judgment_seconds_nonnegative", condition=Q(seconds__gte=0))]
        indexes = [
            models.Index(fields=["study", "created_at"], name="judgment_study_time_idx"),
            models.Index(fields=["rater", "created_at"], name="judgment_rater_time_idx"),
        ]


class JudgmentChoice(models.Model):
    """The choice on one criterion of one Judgment, with optional Likert scores per canonical side."""

    judgment = models.ForeignKey(Judgment, on_delete=models.CASCADE, related_name="choices")
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="+")
    criterion = models.CharField(max_length=50)
    choice = models.CharField(max_length=10)
    likert_a = models.PositiveSmallIntegerField(null=True, blank=True)
    likert_b = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["judgment", "criterion"], name="choice_one_per_criterion"),
            models.CheckConstraint(name="choice_value_valid", condition=Q(choice__in=CHOICE_VALUES)),
            models.CheckConstraint(
                name="choice_likert_range",
                condition=(Q(likert_a__isnull=True) | Q(likert_a__gte=1, likert_a__lte=7))
                & (Q(likert_b__isnull=True) | Q(likert_b__gte=1, likert_b__lte=7)),
            ),
        ]
        indexes = [models.Index(fields=["study", "criterion"], name="choice_study_criterion_idx")]


class ApiKey(models.Model):
    """A per-study key for product backends pushing Feedback. Only a hash is stored."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True, help_text="First characters, shown to identify the key.")
    key_hash = models.CharField(max_length=128)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]


class Feedback(models.Model):
    """Online feedback from live product traffic on an Output or a System."""

    class Kind(models.TextChoices):
        THUMBS = "thumbs", "Thumbs up/down"
        SCORE = "score", "Score 1-5"
        PREFERENCE = "preference", "Pairwise preference (A/B test)"

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="feedback")
    api_key = models.ForeignKey(ApiKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="feedback")
    event_id = models.CharField(max_length=200, help_text="The client's id; ingestion is idempotent on it.")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    system = models.ForeignKey(System, on_delete=models.CASCADE, related_name="feedback")
    output = models.ForeignKey(Output, null=True, blank=True, on_delete=models.SET_NULL, related_name="feedback")
    system_b = models.ForeignKey(System, null=True, blank=True, on_delete=models.CASCADE, related_name="feedback_as_b")
    value = models.SmallIntegerField(null=True, blank=True, help_text="thumbs: 1/0; score: 1-5.")
    winner = models.CharField(max_length=10, blank=True, help_text="preference: a, b or tie.")
    comment = models.TextField(blank=True)
    segment = models.CharField(max_length=100, blank=True)
    occurred_at = models.DateTimeField()
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["study", "event_id"], name="feedback_unique_event"),
            models.CheckConstraint(
                name="feedback_kind_fields",
                condition=(Q(kind="thumbs") & Q(value__in=[0, 1]) & Q(system_b__isnull=True))
                | (Q(kind="score") & Q(value__gte=1, value__lte=5) & Q(system_b__isnull=True))
                | (Q(kind="preference") & Q(system_b__isnull=False) & Q(winner__in=["a", "b", "tie"])),
            ),
        ]
        indexes = [models.Index(fields=["study", "kind", "system"], name="feedback_study_kind_idx")]


METHOD_BT = "bradley_terry"
METHOD_ELO = "elo"


class Leaderboard(models.Model):
    """A stored snapshot of ratings for one Study, criterion and tag ('' = all prompts); `method` is
    METHOD_BT (Bradley-Terry with intervals) or METHOD_ELO (online Elo)."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="leaderboards")
    criterion = models.CharField(max_length=50)
    tag = models.CharField(max_length=100, blank=True)
    method = models.CharField(max_length=30, default=METHOD_BT)
    params = models.JSONField(default=dict)
    result = models.JSONField(default=dict)
    n_judgments = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["study", "criterion", "tag"]
        constraints = [
            models.UniqueConstraint(fields=["study", "criterion", "tag", "method"], name="leaderboard_unique_snapshot")
        ]


class RaterQuality(models.Model):
    """The latest quality measures of one Rater, computed in the background."""

    rater = models.OneToOneField(Rater, on_delete=models.CASCADE, related_name="quality")
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="rater_quality")
    metrics = models.JSONField(default=dict)
    computed_at = models.DateTimeField()


class QualityEvent(models.Model):
    """What was done to a Rater, by a rule or by the owner, and why. Never deleted."""

    class Action(models.TextChoices):
        FLAGGED = "flagged", "Flagged"
        UNFLAGGED = "unflagged", "Unflagged"
        BLOCKED = "blocked", "Blocked"
        UNBLOCKED = "unblocked", "Unblocked"
        EXCLUDED = "excluded", "Judgments excluded"
        INCLUDED = "included", "Judgments included again"

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="quality_events")
    rater = models.ForeignKey(Rater, on_delete=models.CASCADE, related_name="quality_events")
    action = models.CharField(max_length=10, choices=Action.choices)
    rule = models.CharField(max_length=50, blank=True, help_text="The rule that fired; blank when the owner acted.")
    reason = models.TextField()
    by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]


class Export(models.Model):
    """A background job that writes a dataset file for the owner to download."""

    class Format(models.TextChoices):
        JUDGMENTS = "judgments", "judgments.jsonl"
        PREFERENCES = "preferences", "preferences.jsonl"
        BATTLES = "battles", "battles.json"
        LEADERBOARD = "leaderboard", "leaderboard.json"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="exports")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    format = models.CharField(max_length=12, choices=Format.choices)
    file_type = models.CharField(max_length=10, default="jsonl", help_text="jsonl, json, csv or zip.")
    filters = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to="exports/", blank=True, max_length=200)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
