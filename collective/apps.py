from django.apps import AppConfig


class CollectiveConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "collective"
    verbose_name = "Collective"

    def ready(self) -> None:
        from . import signals  # noqa: F401
