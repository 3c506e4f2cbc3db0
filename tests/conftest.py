"""Shared fixtures.

Integration tests are marked `postgres` and/or `redis` (and `integration`). They run when
`DATABASE_URL` / `REDIS_URL` are set and are skipped, with the reason, when they are not. Under
`CI=true` a missing or unreachable service is a failure, never a silent skip.
"""

from __future__ import annotations

import os
import socket
from urllib.parse import urlparse

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from tests.factories import UserFactory

# Every event published during a test is checked against the event catalogue.
pytest_plugins = ["tests.event_checks"]

IN_CI = os.environ.get("CI", "").lower() == "true"


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=2):
            return True
    except OSError:
        return False


def _require(name: str, needed_for: str, default_port: int, check) -> None:
    url = os.environ.get(name, "")
    if not url:
        reason = f"{name} is not set: this test needs {needed_for}"
        if IN_CI:
            pytest.fail(f"{reason} (CI=true: a missing service is a failure)")
        pytest.skip(reason)
    if not _reachable(url, default_port):
        reason = f"{name}={url} is unreachable: this test needs {needed_for}"
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    if not check():
        pytest.fail(f"{name} is set, but the settings do not use it ({needed_for}); check the configuration")


def pytest_collection_modifyitems(config, items) -> None:
    for item in items:
        if item.get_closest_marker("postgres") or item.get_closest_marker("redis"):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(autouse=True)
def _integration_gate(request) -> None:
    if request.node.get_closest_marker("postgres"):
        _require("DATABASE_URL", "PostgreSQL", 5432, lambda: settings.IS_POSTGRES)
    if request.node.get_closest_marker("redis"):
        _require("REDIS_URL", "Redis", 6379, lambda: bool(settings.REDIS_URL))


@pytest.fixture(scope="session")
def django_db_modify_db_settings_xdist_suffix() -> None:
    """Under pytest-xdist, TEST_DATABASE_NAME already ends in the worker's `_gw<n>`
    (tests/xdist_isolation.py), so pytest-django adds no second suffix.

    This runs just before the test database is created. A PostgreSQL connection pool built
    earlier (a request served at collection time: tests/config/test_schemathesis.py loads the
    served schema) connects to DATABASE_URL's own database, and Django keeps it across the switch
    to the test database (it only closes pools when cloning or destroying one): close it, so the
    test database gets a pool of its own."""
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        if connection.vendor == "postgresql":
            connection.close_pool()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    """Test users are many; the production hasher costs ~0.3 s each. Tests of password rules
    use the validators, which do not depend on the hasher."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _isolated_cache() -> None:
    """Each test starts with an empty cache (tickets, presence, rate-limit counters)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fresh_channel_layer() -> None:
    """Each test gets its own channel-layer instance. pytest-asyncio gives every async test a new
    event loop, while channels_redis keeps asyncio locks on the layer instance (one per process
    channel prefix): a lock left held by a consumer cancelled at the end of one test is bound to
    that test's loop, and the next test's consumers would fail on it ("bound to a different event
    loop"). A server process runs one loop for its life, so this is a test-harness concern only."""
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture(scope="session", autouse=True)
def _redis_cleanup() -> None:
    """Tests own the Redis database index of REDIS_URL: leave it empty when done."""
    yield
    if settings.REDIS_URL:
        import redis

        try:
            redis.Redis.from_url(settings.REDIS_URL).flushdb()
        except redis.RedisError:
            pass


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def other_user(db):
    return UserFactory()


@pytest.fixture
def auth_client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def client_for(user) -> APIClient:
    """An API client authenticated as `user` with a real token (as a REST client would be)."""
    from rest_framework.authtoken.models import Token

    token, _ = Token.objects.get_or_create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client
