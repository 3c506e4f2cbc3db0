from django.apps import AppConfig


class WebConfig(AppConfig):
    """The browser side: static files (the realtime client library, `static/collective/`) and
    templates. docs/client.md."""

    name = "web"
    verbose_name = "Web client"
