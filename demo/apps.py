from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The `make run` demo: content, image drawing, the rater simulator and their commands.

    The product never imports this app (an import-linter contract); it only uses the product's services.
    """

    default_auto_field = "django.db.models.BigAutoField"
    name = "demo"
    verbose_name = "Demo"
