from django.apps import AppConfig


class RatingsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "ratings"
    verbose_name = "Judgments and results"

    def ready(self) -> None:
        import ratings.jobs  # noqa: F401 - registers the app's Celery jobs, which services queue by name
