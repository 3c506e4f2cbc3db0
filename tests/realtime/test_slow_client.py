"""A client that stops reading cannot make the server buffer without bound: it is dropped (4408)."""

from __future__ import annotations

import asyncio
import json

import pytest
from channels.db import database_sync_to_async

from config.asgi import application
from realtime.publish import publish
from realtime.tickets import ticket_issue
from tests.event_checks import PROBE, probe
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


async def test_slow_client_is_dropped_with_4408(settings):
    settings.REALTIME = {**settings.REALTIME, "SEND_TIMEOUT": 0.3}
    user = await database_sync_to_async(UserFactory)()
    ticket = await database_sync_to_async(ticket_issue)(user_id=user.pk)
    inbox: asyncio.Queue = asyncio.Queue()
    sent: list[dict] = []
    stalled = asyncio.Event()  # never set: the client's socket buffer is full

    async def server_send(message: dict) -> None:
        # As a server with backpressure (uvicorn) does: a text frame waits for the client to drain.
        sent.append(message)
        if message["type"] == "websocket.send" and json.loads(message["text"])["type"] != "hello":
            await stalled.wait()

    scope = {
        "type": "websocket",
        "path": "/ws/",
        "query_string": f"ticket={ticket}".encode(),
        "headers": [],
        "subprotocols": [],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 8000),
    }
    await inbox.put({"type": "websocket.connect"})
    app = asyncio.create_task(application(scope, inbox.get, server_send))
    for _ in range(100):
        if any(m["type"] == "websocket.send" for m in sent):
            break
        await asyncio.sleep(0.02)
    assert [m["type"] for m in sent] == ["websocket.accept", "websocket.send"]
    for n in range(3):
        await database_sync_to_async(publish)([user.pk], PROBE, probe(n))
    await asyncio.wait_for(app, timeout=3)  # the consumer stopped by itself
    closes = [m for m in sent if m["type"] == "websocket.close"]
    assert [c["code"] for c in closes] == [4408]
    # It tried one event, then gave up: nothing piled up in the process.
    assert sum(1 for m in sent if m["type"] == "websocket.send") == 2
