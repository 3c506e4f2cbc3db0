from django.apps import AppConfig


class InsightsConfig(AppConfig):
    """Community health for the people who run the collective (docs/operations.md): read-only
    aggregates over collective's and notifications' tables, a staff API and an admin page."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "insights"
    label = "insights"
    verbose_name = "Community health"

    def ready(self) -> None:
        # A link to /admin/health/ on the admin index, unless another app already set the index.
        from django.contrib import admin

        if admin.site.index_template is None:
            admin.site.index_template = "admin/insights/index.html"
