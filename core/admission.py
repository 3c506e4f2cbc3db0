"""Admission control for HTTP requests: a bounded wait for a request thread, or a fast refusal
(issue 17; docs/operations.md, "Admission control").

Every HTTP request needs one of the process's ASGI_REQUEST_THREADS threads (config/asgi.py,
`RequestThreadPool`). Past saturation, an unbounded queue for them only makes every request
late: the p99 grew to seconds while the server served no more than before. Instead:

- at most ADMISSION_MAX_QUEUE requests wait for a thread; one more is refused at once
  (`queue_full`);
- a request waits at most ADMISSION_QUEUE_TIMEOUT seconds; then it is refused (`queue_timeout`);
- a waiting request whose client disconnects leaves the queue (`Disconnected`).

A refusal is `503` in the stable error shape with code `retry_later` ("nothing was saved,
retry"), `Retry-After` (ADMISSION_RETRY_AFTER, whole seconds, at least 1) and `X-Request-ID` (the
client's own when it is sane, core/logs.py), a WARNING `http.refused` log line and a count in
`collective_http_requests_refused_total`. It is answered on the event loop, before the body is
handed to Django and before any middleware or view runs: a refused request did nothing.

/healthz and /metrics have a lane of their own (ADMISSION_RESERVED_THREADS threads, with the same
bounds): a load balancer's health check and a Prometheus scrape still answer while the main pool
is saturated, and a flood of either cannot take a thread from the API.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from core import metrics
from core.errors import CoreCode
from core.logs import HEADER, access_logger, sane_request_id

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

QUEUE_FULL = "queue_full"
QUEUE_TIMEOUT = "queue_timeout"
REASONS = (QUEUE_FULL, QUEUE_TIMEOUT)
# The paths served by the reserved lane (exact: config/urls.py routes them without a slash).
RESERVED_PATHS = frozenset({"/healthz", "/metrics"})
# While a request waits, its body is read into memory only up to this size (then the server's
# own flow control holds the rest, and a disconnect is noticed at the latest at the timeout).
WATCH_BODY_LIMIT = 64 * 1024
DETAIL = "The server is at capacity; the request was not started and nothing was saved. Retry shortly."


class Refused(Exception):
    """No request thread within the bounds: answered 503 without running anything."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Disconnected(Exception):
    """The client went away while its request waited for a thread: nothing to answer."""


@dataclass(frozen=True)
class Limits:
    queue_timeout: float  # seconds a request may wait for a thread
    max_queue: int  # requests that may wait at once (per lane, per process)
    retry_after: int  # the Retry-After of a refusal, whole seconds >= 1
    reserved_threads: int  # threads of the /healthz + /metrics lane

    @classmethod
    def from_settings(cls, threads: int) -> Limits:
        from django.conf import settings

        return cls(
            queue_timeout=max(0.0, float(getattr(settings, "ADMISSION_QUEUE_TIMEOUT", 0.5))),
            max_queue=max(0, int(getattr(settings, "ADMISSION_MAX_QUEUE", 2 * threads))),
            retry_after=max(1, int(getattr(settings, "ADMISSION_RETRY_AFTER", 1))),
            reserved_threads=max(1, int(getattr(settings, "ADMISSION_RESERVED_THREADS", 2))),
        )


_refused_children: dict[tuple[str, str], Any] = {}


def _count(lane: str, reason: str) -> None:
    child = _refused_children.get((lane, reason))
    if child is None:
        child = _refused_children[(lane, reason)] = metrics.HTTP_REFUSED.labels(lane, reason)
    child.inc()


def _header(scope: dict[str, Any], name: bytes) -> str | None:
    for key, value in scope.get("headers") or ():
        if key == name:
            return value.decode("latin1")
    return None


async def refuse(
    scope: dict[str, Any], send: Send, refusal: Refused, limits: Limits, waited: float, lane: str = "main"
) -> None:
    """Answer a refused request: 503 retry_later, Retry-After, X-Request-ID; count and log it."""
    request_id = sane_request_id(_header(scope, HEADER.lower().encode()))
    body = json.dumps({"code": str(CoreCode.RETRY_LATER), "detail": DETAIL}).encode()
    _count(lane, refusal.reason)
    client = scope.get("client")
    access_logger.warning(
        "http.refused",
        request_id=request_id,
        method=scope.get("method"),
        path=scope.get("path"),
        status=503,
        reason=refusal.reason,
        lane=lane,
        waited_ms=round(waited * 1000, 2),
        client_ip=client[0] if client else None,
    )
    await send(
        {
            "type": "http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", str(limits.retry_after).encode()),
                (b"cache-control", b"no-store"),
                (HEADER.lower().encode(), request_id.encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _watch(receive: Receive, buffered: list[dict[str, Any]]) -> bool:
    """Read the client's messages while its request waits: True once it disconnected; False when
    the body passed WATCH_BODY_LIMIT (stop reading: the rest waits in the server)."""
    size = 0
    complete = False
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return True
        if complete:
            continue  # nothing else may come before a disconnect; ignore rather than replay it
        buffered.append(message)
        size += len(message.get("body", b""))
        if not message.get("more_body", False):
            complete = True
        elif size >= WATCH_BODY_LIMIT:
            return False


def _replay(buffered: list[dict[str, Any]], receive: Receive) -> Receive:
    if not buffered:
        return receive
    pending = deque(buffered)

    async def replayed() -> dict[str, Any]:
        if pending:
            return pending.popleft()
        return await receive()

    return replayed


async def _settle(task: asyncio.Future) -> None:
    if not task.done():
        task.cancel()
    try:
        await task
    except (asyncio.CancelledError, Refused, Exception):
        pass


async def admit(pool: Any, receive: Receive) -> tuple[Any, Receive]:
    """A thread from `pool` (a config.asgi.RequestThreadPool) and the receive to use from now on.

    Raises `Refused` (queue full, or waited the timeout) or `Disconnected`. The fast paths (a
    thread is free; the queue is full) create no task; a waiting request watches its
    connection meanwhile."""
    executor = pool.try_acquire()
    if executor is not None:
        return executor, receive
    buffered: list[dict[str, Any]] = []
    acquiring = asyncio.ensure_future(pool.acquire())
    watcher = asyncio.ensure_future(_watch(receive, buffered))
    try:
        await asyncio.wait({acquiring, watcher}, return_when=asyncio.FIRST_COMPLETED)
        if not acquiring.done() and watcher.result():  # the client disconnected first
            await _settle(acquiring)
            if acquiring.done() and not acquiring.cancelled() and acquiring.exception() is None:
                pool.release(acquiring.result())  # handed over as we gave up: pass it on
            raise Disconnected()
        executor = await acquiring  # raises Refused
    finally:
        if not acquiring.done():
            acquiring.cancel()  # our caller was cancelled: RequestThreadPool.acquire cleans up
        await _settle(watcher)
    return executor, _replay(buffered, receive)


def lane_of(scope: dict[str, Any]) -> str:
    return "reserved" if scope.get("path") in RESERVED_PATHS else "main"
