from django.contrib import admin

from tasks.models import Assignment, Comparison, ImportJob, Output, OutputReport, Prompt, Rater, Study, System


@admin.register(Study)
class StudyAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "owner", "modality", "status", "redundancy", "created_at")
    list_filter = ("status", "modality", "access")
    search_fields = ("name", "slug")
    raw_id_fields = ("owner",)
    filter_horizontal = ("shared_with",)


@admin.register(System)
class SystemAdmin(admin.ModelAdmin):
    list_display = ("name", "study", "created_at")
    search_fields = ("name",)
    list_select_related = ("study",)


@admin.register(Prompt)
class PromptAdmin(admin.ModelAdmin):
    list_display = ("external_id", "study", "created_at")
    search_fields = ("external_id", "text")
    raw_id_fields = ("study",)


@admin.register(Output)
class OutputAdmin(admin.ModelAdmin):
    list_display = ("public_id", "study", "system", "leak_review")
    list_filter = ("leak_review",)
    raw_id_fields = ("study", "prompt", "system")
    list_select_related = ("study", "system")


@admin.register(Comparison)
class ComparisonAdmin(admin.ModelAdmin):
    list_display = ("public_id", "study", "kind", "judgment_count", "active")
    list_filter = ("kind", "active")
    raw_id_fields = ("study", "prompt", "output_a", "output_b", "repeat_of")


@admin.register(Rater)
class RaterAdmin(admin.ModelAdmin):
    list_display = ("id", "study", "platform", "status", "excluded", "created_at")
    list_filter = ("platform", "status", "excluded")
    raw_id_fields = ("study", "user")


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ("public_id", "study", "rater", "status", "left_side", "leased_at", "expires_at")
    list_filter = ("status",)
    raw_id_fields = ("study", "comparison", "rater")


@admin.register(OutputReport)
class OutputReportAdmin(admin.ModelAdmin):
    list_display = ("id", "study", "reason", "created_at")
    list_filter = ("reason",)
    raw_id_fields = ("study", "assignment", "output")


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ("id", "study", "status", "lines_done", "lines_total", "created_at")
    list_filter = ("status",)
    raw_id_fields = ("study", "created_by")
