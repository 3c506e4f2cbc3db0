"""`GET /healthz`: is the database reachable, and does the channel layer carry a message?"""

from __future__ import annotations

import logging
import uuid

from channels.layers import get_channel_layer
from django.db import connection
from django.http import HttpRequest, JsonResponse

logger = logging.getLogger(__name__)


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


async def _check_channel_layer() -> None:
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer configured")
    # A round trip through the layer: send to a fresh channel and receive it back.
    channel = await layer.new_channel("healthz.")
    token = uuid.uuid4().hex
    await layer.send(channel, {"type": "healthz", "token": token})
    message = await layer.receive(channel)
    if message.get("token") != token:
        raise RuntimeError("channel layer returned a different message")


async def healthz(request: HttpRequest) -> JsonResponse:
    from asgiref.sync import sync_to_async

    body = {"status": "ok", "database": "ok", "channel_layer": "ok"}
    try:
        await sync_to_async(_check_database)()
    except Exception as exc:
        logger.warning("healthz: database check failed: %s", exc)
        body["database"] = "error"
    try:
        import asyncio

        await asyncio.wait_for(_check_channel_layer(), timeout=3)
    except Exception as exc:
        logger.warning("healthz: channel layer check failed: %s", exc)
        body["channel_layer"] = "error"
    if body["database"] != "ok" or body["channel_layer"] != "ok":
        body["status"] = "error"
        return JsonResponse(body, status=503)
    return JsonResponse(body)
