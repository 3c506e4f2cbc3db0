from django.apps import AppConfig
from django.db.models.signals import post_migrate, pre_migrate


class CollectiveConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "collective"
    verbose_name = "Collective"

    def ready(self) -> None:
        # Imported here, not at the top: these modules import models, which the app registry
        # allows only once it is ready.
        from . import signals  # noqa: F401
        from .search_index import post_migrate_handler, pre_migrate_handler
        from .subscribers import register

        register()
        # The full-text search objects (FTS5 tables and triggers, GIN indexes) are not in a
        # migration: created idempotently after every migrate (docs/offers.md, "Search"); the
        # SQLite triggers are dropped while migrations run.
        pre_migrate.connect(pre_migrate_handler, sender=self, dispatch_uid="collective.search_index.pre")
        post_migrate.connect(post_migrate_handler, sender=self, dispatch_uid="collective.search_index")
