"""CORS for front ends on other origins (django-cors-headers, config/settings.py): off by default,
origins from the environment (CORS_ALLOWED_ORIGINS), only for /api/ and /healthz; the socket's
Origin check (realtime/auth.py) accepts the same list."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from config.asgi import application
from tests.factories import UserFactory

APP = "https://app.example.com"


def _preflight(client: Client, path: str, origin: str):
    return client.options(
        path,
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type",
    )


@pytest.mark.django_db
def test_off_by_default(client, settings):
    assert settings.CORS_ALLOWED_ORIGINS == []
    response = _preflight(client, "/api/v1/threads/", APP)
    assert "access-control-allow-origin" not in response.headers
    response = client.get("/api/v1/offers/", HTTP_ORIGIN=APP)
    assert "access-control-allow-origin" not in response.headers


@pytest.mark.django_db
def test_a_listed_origin_is_answered_and_others_are_not(client, settings):
    settings.CORS_ALLOWED_ORIGINS = [APP]
    response = _preflight(client, "/api/v1/threads/", APP)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == APP
    assert "authorization" in response.headers["access-control-allow-headers"]
    assert "POST" in response.headers["access-control-allow-methods"]
    assert "access-control-allow-credentials" not in response.headers  # cookies stay home unless asked for
    response = client.get("/api/v1/offers/", HTTP_ORIGIN=APP)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == APP
    assert "Retry-After" in response.headers["access-control-expose-headers"]
    # Scheme and port are part of the origin.
    for other in ("http://app.example.com", "https://app.example.com:8443", "https://evil.example"):
        assert "access-control-allow-origin" not in _preflight(client, "/api/v1/threads/", other).headers
    # Pages of the web app and the admin are not for other origins.
    assert "access-control-allow-origin" not in client.get("/login", HTTP_ORIGIN=APP).headers


@pytest.mark.django_db
def test_credentials_only_when_enabled(client, settings):
    settings.CORS_ALLOWED_ORIGINS = [APP]
    settings.CORS_ALLOW_CREDENTIALS = True
    response = _preflight(client, "/api/v1/threads/", APP)
    assert response.headers["access-control-allow-credentials"] == "true"


def _session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


@pytest.mark.django_db(transaction=True)
async def test_the_socket_accepts_the_same_origins(settings):
    user = await database_sync_to_async(UserFactory)()
    cookie = await database_sync_to_async(_session_cookie)(user)

    async def attempt(origin: bytes) -> bool:
        comm = WebsocketCommunicator(
            application,
            "/ws/",
            headers=[(b"cookie", cookie.encode()), (b"host", b"api.example.com"), (b"origin", origin)],
        )
        connected, _ = await comm.connect()
        if connected:
            assert (await comm.receive_json_from())["type"] == "hello"
        await comm.disconnect()
        return connected

    assert await attempt(APP.encode()) is False  # not listed: refused
    settings.CORS_ALLOWED_ORIGINS = [APP]
    assert await attempt(APP.encode()) is True
    assert await attempt(b"https://evil.example") is False
