from django.apps import AppConfig


class MessagingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "messaging"

    def ready(self) -> None:
        # Imported here, not at the top: subscribers import models, which the app registry allows
        # only once it is ready.
        from .subscribers import register

        register()
