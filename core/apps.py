from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The Celery signal handlers that delete an outbox row once its task has run.
        from core import metrics, outbox  # noqa: F401

        # Celery task outcomes and queue lag, database connections opened (core/metrics.py).
        metrics.connect_signals()
        # The request id into the Celery tasks a request starts, and one log line per task (core/logs.py).
        from core import logs

        logs.connect_signals()
