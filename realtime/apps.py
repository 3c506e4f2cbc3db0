from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "realtime"

    def ready(self) -> None:
        # Imported here, not at the top: subscribers import other apps' models, which the app
        # registry allows only once it is ready.
        from .subscribers import register

        register()

        # Users online, read at each /metrics scrape (core/metrics.py).
        from core import metrics

        from .presence import online_collector

        metrics.register_scrape_collector(online_collector)
