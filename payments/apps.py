from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = "Payments"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registering the subscribers is importing them (the same hook every app uses).
        from . import subscribers  # noqa: F401
