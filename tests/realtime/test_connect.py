"""`/ws/` authentication, `hello`, the envelope, tickets, heartbeat, ping."""

from __future__ import annotations

import asyncio
import re

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from config.asgi import application
from realtime.publish import publish
from realtime.tickets import ticket_issue
from tests.conftest import client_for
from tests.event_checks import PROBE, probe
from tests.factories import UserFactory

from .conftest import expect_close, open_socket, receive_until, send

pytestmark = pytest.mark.django_db(transaction=True)
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def test_ticket_endpoint_requires_auth(api_client):
    assert api_client.post("/api/v1/realtime/tickets/").status_code == 401


def test_ticket_endpoint_issues_ticket(user):
    res = client_for(user).post("/api/v1/realtime/tickets/")
    assert res.status_code == 201
    assert res.json()["expires_in"] == 60
    assert isinstance(res.json()["ticket"], str) and len(res.json()["ticket"]) >= 32


async def test_hello_with_ticket_and_envelope():
    user = await database_sync_to_async(UserFactory)()
    await database_sync_to_async(publish)([user.pk], PROBE, probe())
    comm, hello = await open_socket(user)
    assert set(hello) == {"id", "type", "ts", "data"}
    assert hello["id"] is None and ISO.match(hello["ts"])
    assert hello["data"] == {"user": {"id": user.pk, "username": user.username}, "last_event_id": 1}
    await comm.disconnect()


async def test_ticket_is_single_use():
    user = await database_sync_to_async(UserFactory)()
    ticket = await database_sync_to_async(ticket_issue)(user_id=user.pk)
    first = WebsocketCommunicator(application, f"/ws/?ticket={ticket}")
    assert (await first.connect())[0]
    assert (await first.receive_json_from())["type"] == "hello"
    second = WebsocketCommunicator(application, f"/ws/?ticket={ticket}")
    await second.connect()
    assert await expect_close(second) == 4401
    await second.disconnect()  # as a server does after the close: the consumer ends
    await first.disconnect()


async def test_expired_ticket_is_refused(settings):
    settings.REALTIME = {**settings.REALTIME, "TICKET_TTL": 1}
    user = await database_sync_to_async(UserFactory)()
    ticket = await database_sync_to_async(ticket_issue)(user_id=user.pk)
    await asyncio.sleep(1.3)
    comm = WebsocketCommunicator(application, f"/ws/?ticket={ticket}")
    await comm.connect()
    assert await expect_close(comm) == 4401
    await comm.disconnect()  # as a server does after the close: the consumer ends


@pytest.mark.parametrize("path", ["/ws/", "/ws/?ticket=", "/ws/?ticket=not-a-real-ticket-at-all-xxxxxxxx"])
async def test_no_valid_auth_is_closed_4401(path):
    comm = WebsocketCommunicator(application, path)
    await comm.connect()
    assert await expect_close(comm) == 4401
    await comm.disconnect()  # as a server does after the close: the consumer ends


async def test_inactive_user_ticket_refused():
    user = await database_sync_to_async(UserFactory)(is_active=False)
    ticket = await database_sync_to_async(ticket_issue)(user_id=user.pk)
    comm = WebsocketCommunicator(application, f"/ws/?ticket={ticket}")
    await comm.connect()
    assert await expect_close(comm) == 4401
    await comm.disconnect()  # as a server does after the close: the consumer ends


def _session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


async def test_session_cookie_with_allowed_origin():
    user = await database_sync_to_async(UserFactory)()
    cookie = await database_sync_to_async(_session_cookie)(user)
    comm = WebsocketCommunicator(
        application,
        "/ws/",
        headers=[(b"cookie", cookie.encode()), (b"host", b"localhost:8000"), (b"origin", b"http://localhost:8000")],
    )
    assert (await comm.connect())[0]
    hello = await comm.receive_json_from()
    assert hello["data"]["user"]["id"] == user.pk
    await comm.disconnect()


@pytest.mark.parametrize(
    "origin",
    [
        b"http://localhost:6666",  # same host, another port: any local page could ride the cookie
        b"https://localhost:8000",  # another scheme
        b"http://localhost",  # the default port is another origin too
        b"http://evil.example:8000",
        b"null",
    ],
)
async def test_session_cookie_origin_must_match_scheme_host_and_port(origin):
    user = await database_sync_to_async(UserFactory)()
    cookie = await database_sync_to_async(_session_cookie)(user)
    comm = WebsocketCommunicator(
        application, "/ws/", headers=[(b"cookie", cookie.encode()), (b"host", b"localhost:8000"), (b"origin", origin)]
    )
    connected, _ = await comm.connect()
    assert connected is False
    await comm.disconnect()  # as a server does after a refusal: the denier consumer ends


async def test_a_trusted_origin_elsewhere_is_allowed_exactly(settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://app.example.com:8443"]
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
        # Refused or not, the server then tells the app the socket is gone (the denier consumer
        # of a refused handshake runs until it hears so; left running it holds a channel-layer
        # receive that the test's event loop cannot close cleanly).
        await comm.disconnect()
        return connected

    assert await attempt(b"https://app.example.com:8443") is True
    assert await attempt(b"https://app.example.com") is False
    assert await attempt(b"http://app.example.com:8443") is False


async def test_session_cookie_without_origin_is_4401():
    user = await database_sync_to_async(UserFactory)()
    cookie = await database_sync_to_async(_session_cookie)(user)
    comm = WebsocketCommunicator(application, "/ws/", headers=[(b"cookie", cookie.encode())])
    await comm.connect()
    assert await expect_close(comm) == 4401
    await comm.disconnect()  # as a server does after the close: the consumer ends


async def test_foreign_origin_handshake_refused():
    user = await database_sync_to_async(UserFactory)()
    cookie = await database_sync_to_async(_session_cookie)(user)
    comm = WebsocketCommunicator(
        application, "/ws/", headers=[(b"cookie", cookie.encode()), (b"origin", b"https://evil.example")]
    )
    connected, code = await comm.connect()
    assert connected is False  # closed before accept: the server answers the handshake with 403
    await comm.disconnect()
    # Even with a good ticket, a foreign Origin is refused.
    ticket = await database_sync_to_async(ticket_issue)(user_id=user.pk)
    comm = WebsocketCommunicator(application, f"/ws/?ticket={ticket}", headers=[(b"origin", b"https://evil.example")])
    assert (await comm.connect())[0] is False
    await comm.disconnect()


async def test_ping_pong():
    user = await database_sync_to_async(UserFactory)()
    comm, _ = await open_socket(user)
    await send(comm, {"type": "ping"})
    pong = (await receive_until(comm, "pong"))[-1]
    assert pong["id"] is None and pong["data"] == {} and ISO.match(pong["ts"])
    await comm.disconnect()


async def test_heartbeat_keeps_idle_socket_talking(settings):
    settings.REALTIME = {**settings.REALTIME, "HEARTBEAT_SECONDS": 0.2}
    user = await database_sync_to_async(UserFactory)()
    comm, _ = await open_socket(user)
    beats = [await comm.receive_json_from(timeout=1) for _ in range(2)]
    assert [b["type"] for b in beats] == ["heartbeat", "heartbeat"]
    assert all(b["id"] is None for b in beats)
    await comm.disconnect()


def test_concurrent_consumers_of_one_ticket_exactly_one_wins():
    from concurrent.futures import ThreadPoolExecutor

    from realtime.tickets import ticket_consume

    ticket = ticket_issue(user_id=42)
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: ticket_consume(ticket), range(16)))
    assert results.count(42) == 1 and results.count(None) == 15
