"""The floor app behind the bench probe (stats only: it has no database)."""

from bench.probe import floor_application

application = floor_application()
