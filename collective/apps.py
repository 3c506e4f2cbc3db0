from django.apps import AppConfig


class CollectiveConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "collective"
    verbose_name = "Collective"

    def ready(self) -> None:
        # Imported here, not at the top: both modules import models, which the app registry
        # allows only once it is ready.
        from . import signals  # noqa: F401
        from .subscribers import register

        register()
