"""The idiomatic reference app behind the bench probe (stats + SQL counter)."""

from bench.probe import idiomatic_application

application = idiomatic_application()
