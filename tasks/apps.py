from django.apps import AppConfig
from django.db.models.signals import post_migrate


class TasksConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "tasks"
    verbose_name = "Studies and crowd work"

    def ready(self) -> None:
        from django.conf import settings
        from PIL import Image

        import tasks.jobs  # noqa: F401 - registers the app's Celery jobs, which services queue by name
        from evalsite.db_triggers import install_after_migrate

        # Pillow's decompression-bomb guard is process-wide: set it once, never per request.
        Image.MAX_IMAGE_PIXELS = settings.EVALSITE_IMAGE_MAX_PIXELS

        # Schema upkeep, not business logic: triggers must exist after every migrate (see db_triggers).
        post_migrate.connect(install_after_migrate, sender=self, dispatch_uid="evalsite-same-study-triggers")
