"""`GET /healthz`: is the database reachable, and does the channel layer carry a message?

Both checks run at once, each bounded by CHECK_TIMEOUT, so the answer comes within about a
second whichever part is down or hangs, and names the part that failed (contract §6):
`{"status": "error", "database": "error", "channel_layer": "ok"}` with a 503.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid
from concurrent.futures import Future, ThreadPoolExecutor

from channels.layers import get_channel_layer
from django.db import connection
from django.http import HttpRequest, JsonResponse

from core.errors import RETRY_AFTER_SECONDS, check_database_pool, unavailable_code

logger = logging.getLogger(__name__)

CHECK_TIMEOUT = 1.0  # seconds, per check; both run concurrently

# The database check runs on a thread of its own, not the request's: a query to a PostgreSQL that
# hangs cannot be interrupted, and on the request's thread it would hold the response however
# long it hangs. One thread, and at most one check in flight: while a check is stuck, /healthz
# answers "error" at once instead of queueing more stuck checks behind it.
_db_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="healthz-db")
_db_lock = threading.Lock()
_db_inflight: Future | None = None


def _check_database() -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    finally:
        # This thread's connection goes back to the pool (or is closed) after every check, as at
        # the end of a request; a broken one is not kept for the next check.
        connection.close()


async def _database() -> None:
    global _db_inflight
    with _db_lock:
        if _db_inflight is not None and not _db_inflight.done():
            raise TimeoutError("the previous database check has not returned yet")
        _db_inflight = future = _db_executor.submit(_check_database)
    await asyncio.wait_for(asyncio.wrap_future(future), timeout=CHECK_TIMEOUT)


async def _channel_layer() -> None:
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
    # The round trip reaches one shard of a sharded layer (CHANNEL_LAYER_URLS): check them all.
    check_shards = getattr(layer, "check_shards", None)
    if check_shards is not None:
        await check_shards()


async def _probe(name: str, check) -> str:
    try:
        await asyncio.wait_for(check(), timeout=CHECK_TIMEOUT)
    except Exception as exc:  # noqa: BLE001 — any failure of the part is its "error"
        if isinstance(exc, TimeoutError) and not str(exc):
            exc = TimeoutError(f"no answer within {CHECK_TIMEOUT} s")
        logger.warning("healthz: %s check failed: %s: %s", name, type(exc).__name__, " ".join(str(exc).split()))
        if name == "database" and unavailable_code(exc) == "database_unavailable":
            check_database_pool()
        return "error"
    return "ok"


async def healthz(request: HttpRequest) -> JsonResponse:
    database, channel_layer = await asyncio.gather(
        _probe("database", _database), _probe("channel_layer", _channel_layer)
    )
    body = {"status": "ok", "database": database, "channel_layer": channel_layer}
    if database != "ok" or channel_layer != "ok":
        body["status"] = "error"
        response = JsonResponse(body, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return JsonResponse(body)
