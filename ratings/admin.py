from django.contrib import admin

from ratings.models import ApiKey, Export, Feedback, Judgment, JudgmentChoice, Leaderboard, QualityEvent, RaterQuality


class JudgmentChoiceInline(admin.TabularInline):
    model = JudgmentChoice
    extra = 0
    raw_id_fields = ("study",)


@admin.register(Judgment)
class JudgmentAdmin(admin.ModelAdmin):
    list_display = ("id", "study", "rater", "seconds", "gold_correct", "created_at")
    raw_id_fields = ("assignment", "study", "comparison", "rater")
    inlines = [JudgmentChoiceInline]


@admin.register(JudgmentChoice)
class JudgmentChoiceAdmin(admin.ModelAdmin):
    list_display = ("id", "judgment", "criterion", "choice", "likert_a", "likert_b")
    list_filter = ("criterion", "choice")
    raw_id_fields = ("judgment", "study")


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "study", "created_at", "revoked_at")
    raw_id_fields = ("study", "created_by")
    readonly_fields = ("key_hash",)


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    list_display = ("event_id", "study", "kind", "system", "value", "winner", "occurred_at")
    list_filter = ("kind",)
    raw_id_fields = ("study", "api_key", "system", "system_b", "output")


@admin.register(Leaderboard)
class LeaderboardAdmin(admin.ModelAdmin):
    list_display = ("study", "criterion", "tag", "method", "n_judgments", "computed_at")
    raw_id_fields = ("study",)


@admin.register(RaterQuality)
class RaterQualityAdmin(admin.ModelAdmin):
    list_display = ("rater", "study", "computed_at")
    raw_id_fields = ("rater", "study")


@admin.register(QualityEvent)
class QualityEventAdmin(admin.ModelAdmin):
    list_display = ("rater", "study", "action", "rule", "created_at")
    list_filter = ("action",)
    raw_id_fields = ("rater", "study", "by_user")


@admin.register(Export)
class ExportAdmin(admin.ModelAdmin):
    list_display = ("id", "study", "format", "status", "rows_done", "rows_total", "created_at")
    list_filter = ("format", "status")
    raw_id_fields = ("study", "requested_by")
