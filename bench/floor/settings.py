"""Settings of the floor app: no database, no middleware, the same channel layer as the project."""

from __future__ import annotations

import os

SECRET_KEY = "bench-floor-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = ["channels"]
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "bench.floor.urls"
DATABASES: dict = {}
USE_TZ = True
ASGI_APPLICATION = "bench.floor.asgi.application"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # Same layer settings as config/settings.py, so only the app differs.
            "CONFIG": {
                "hosts": [REDIS_URL],
                "prefix": os.environ.get("CHANNEL_LAYER_PREFIX", "benchfloor"),
                "capacity": int(os.environ.get("CHANNEL_LAYER_CAPACITY", "1000")),
                "expiry": 60,
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"capacity": 1000}}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "root": {"level": os.environ.get("LOG_LEVEL", "WARNING")},
}
