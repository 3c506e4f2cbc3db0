"""Create the full-text search objects if missing and (SQLite) refill the FTS5 tables from the
offers, asks and users (docs/offers.md, "Search"). Safe to run any time."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import DEFAULT_DB_ALIAS, connections

from collective.search_index import rebuild_search_index


class Command(BaseCommand):
    help = "Create the search index objects if missing and rebuild the SQLite FTS5 tables."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, database: str = DEFAULT_DB_ALIAS, **options) -> None:
        counts = rebuild_search_index(connections[database])
        if counts:
            self.stdout.write(", ".join(f"{kind}: {n} rows" for kind, n in counts.items()))
        else:
            self.stdout.write("GIN indexes present (PostgreSQL keeps them current itself).")
