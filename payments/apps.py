from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = "Payments"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported here, not at the top: subscribers import other apps' models, which the app
        # registry allows only once it is ready.
        from .subscribers import register

        register()
