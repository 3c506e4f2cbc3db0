"""Settings come from the environment. Each case runs a fresh interpreter, since settings are read
once at import."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import json
from django.conf import settings
import django
django.setup()
db = settings.DATABASES["default"]
print(json.dumps({
    "DEBUG": settings.DEBUG,
    "SECRET_KEY": settings.SECRET_KEY,
    "ENGINE": db["ENGINE"], "NAME": db["NAME"], "HOST": db.get("HOST"), "PORT": db.get("PORT"),
    "USER": db.get("USER"), "PASSWORD": db.get("PASSWORD"),
    "ALLOWED_HOSTS": settings.ALLOWED_HOSTS,
    "CHANNEL_BACKEND": settings.CHANNEL_LAYERS["default"]["BACKEND"],
    "CACHE_BACKEND": settings.CACHES["default"]["BACKEND"],
    "EAGER": settings.CELERY_TASK_ALWAYS_EAGER,
    "BROKER": settings.CELERY_BROKER_URL,
    "IS_POSTGRES": settings.IS_POSTGRES,
    "THROTTLE_LOGIN": settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["login"],
    "TEST_NAME": db.get("TEST", {}).get("NAME"),
}))
"""
# Variables the probe reads; anything else in the parent environment is passed through unchanged.
CONTROLLED = (
    "DEBUG",
    "SECRET_KEY",
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "ALLOWED_HOSTS",
    "COLLECTIVE_REQUIRE_SECRET_KEY",
    "TEST_DATABASE_NAME",
    "THROTTLE_LOGIN",
    "CELERY_TASK_ALWAYS_EAGER",
)


def probe(tmp_path: Path, **env: str) -> dict:
    clean = {k: v for k, v in os.environ.items() if k not in CONTROLLED}
    clean.update(DJANGO_SETTINGS_MODULE="config.settings", COLLECTIVE_VAR_DIR=str(tmp_path), **env)
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_embedded_defaults(tmp_path):
    values = probe(tmp_path)
    assert values["DEBUG"] is False
    assert values["ENGINE"] == "core.backends.sqlite3"  # Django's, with a writer lane (docs/embedded.md)
    assert values["NAME"] == str(tmp_path / "db.sqlite3")
    assert values["CHANNEL_BACKEND"] == "channels.layers.InMemoryChannelLayer"
    assert values["CACHE_BACKEND"].endswith("LocMemCache")
    assert values["EAGER"] is True
    assert values["IS_POSTGRES"] is False
    assert values["THROTTLE_LOGIN"] == "10/min"
    # A generated key, kept in the var dir and stable across restarts, never a fixed default.
    key_file = tmp_path / "secret_key"
    assert key_file.exists() and values["SECRET_KEY"] == key_file.read_text().strip()
    assert len(values["SECRET_KEY"]) >= 50
    assert probe(tmp_path)["SECRET_KEY"] == values["SECRET_KEY"]
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"


@pytest.mark.parametrize(
    "raw, expected",
    [("true", True), ("1", True), ("yes", True), ("false", False), ("0", False), ("", False), ("nonsense", False)],
)
def test_debug_flag(tmp_path, raw, expected):
    assert probe(tmp_path, DEBUG=raw)["DEBUG"] is expected


def test_secret_key_from_env_is_respected(tmp_path):
    values = probe(tmp_path, SECRET_KEY="from-the-environment-0123456789")
    assert values["SECRET_KEY"] == "from-the-environment-0123456789"
    assert not (tmp_path / "secret_key").exists()


def test_secret_key_can_be_required(tmp_path):
    clean = {k: v for k, v in os.environ.items() if k not in CONTROLLED}
    clean.update(
        DJANGO_SETTINGS_MODULE="config.settings", COLLECTIVE_VAR_DIR=str(tmp_path), COLLECTIVE_REQUIRE_SECRET_KEY="true"
    )
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_database_url_is_parsed(tmp_path):
    values = probe(tmp_path, DATABASE_URL="postgres://app:s3cret@db.internal:6543/collective_prod")
    assert values["ENGINE"] == "django.db.backends.postgresql"
    assert (values["USER"], values["PASSWORD"], values["HOST"], values["PORT"], values["NAME"]) == (
        "app",
        "s3cret",
        "db.internal",
        6543,
        "collective_prod",
    )
    assert values["IS_POSTGRES"] is True


def test_test_database_name_applies_to_postgres_only(tmp_path):
    # On PostgreSQL the suite uses a database of its own; SQLite tests stay in memory rather than
    # writing a file named after TEST_DATABASE_NAME into the working directory.
    on_pg = probe(tmp_path, DATABASE_URL="postgres://u:p@db.example:5433/app", TEST_DATABASE_NAME="test_mine")
    assert on_pg["TEST_NAME"] == "test_mine"
    assert probe(tmp_path, TEST_DATABASE_NAME="test_mine")["TEST_NAME"] is None


def test_redis_url_switches_layer_cache_and_celery(tmp_path):
    values = probe(tmp_path, REDIS_URL="redis://cache.internal:6379/2")
    assert values["CHANNEL_BACKEND"] == "realtime.layer.RedisLayer"  # channels_redis, pop under the socket timeout
    assert values["CACHE_BACKEND"].endswith("RedisCache")
    assert values["BROKER"] == "redis://cache.internal:6379/2"
    assert values["EAGER"] is False


def test_allowed_hosts_from_env(tmp_path):
    assert probe(tmp_path, ALLOWED_HOSTS="example.com, api.example.com,")["ALLOWED_HOSTS"] == [
        "example.com",
        "api.example.com",
    ]


def test_throttle_rates_from_env(tmp_path):
    assert probe(tmp_path, THROTTLE_LOGIN="3/min")["THROTTLE_LOGIN"] == "3/min"
