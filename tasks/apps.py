from django.apps import AppConfig
from django.db.models.signals import post_migrate


class TasksConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "tasks"
    verbose_name = "Studies and crowd work"

    def ready(self) -> None:
        from evalsite.db_triggers import install_after_migrate

        # Schema upkeep, not business logic: triggers must exist after every migrate (see db_triggers).
        post_migrate.connect(install_after_migrate, sender=self, dispatch_uid="evalsite-same-study-triggers")
