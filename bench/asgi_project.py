"""`config.asgi.application` behind the bench probe (stats + SQL counter)."""

from bench.probe import project_application

application = project_application()
