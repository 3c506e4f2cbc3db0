"""ASGI entry point: HTTP through Django, WebSocket `/ws/` through the realtime consumer."""

import asyncio
import gc
import math
import os
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import django
from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.http import FileResponse
from django.urls import set_script_prefix

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup(set_prefix=False)

from core.admission import QUEUE_FULL, QUEUE_TIMEOUT, Disconnected, Limits, Refused, admit, lane_of, refuse  # noqa: E402


class RequestThreadPool:
    """A bounded set of single-thread executors, one lent to each HTTP request while it runs.

    Stock Django gives every ASGI request a `ThreadSensitiveContext` of its own, whose first
    thread-sensitive call creates a new single-thread executor: a new OS thread per request,
    and on exit a second thread started only to shut that executor down (~8 % of a message
    POST's CPU in the delivery benchmark's profile, docs/benchmarks.md). Here a request borrows
    an executor whose thread already exists, and gives it back when it is done. Every
    thread-sensitive call of the request (middleware chain and view, signals, a streaming
    response's iterator, `response.close`) still runs on that one thread, so per-thread state
    such as the request's database connection stays where Django expects it.

    At most `size` requests run their sync code at once; others wait for a free thread (FIFO
    for the waiters, LIFO for the idle threads, so warm threads are reused first). The wait is
    bounded (admission control, core/admission.py): at most `max_queue` waiters (one more is
    refused at once, `Refused("queue_full")`) and `queue_timeout` seconds each (then
    `Refused("queue_timeout")`); None for either is unbounded. Executors are owned by the pool
    and never shut down. Safe across event loops (tests run several): a waiter is woken on its
    own loop."""

    def __init__(self, size: int, max_queue: int | None = None, queue_timeout: float | None = None) -> None:
        self.size = max(1, size)
        self.max_queue = max_queue
        self.queue_timeout = queue_timeout
        self._lock = threading.Lock()
        self._idle: list[ThreadPoolExecutor] = []
        self._created = 0
        # (future, deadline on the monotonic clock; inf without a timeout)
        self._waiters: deque[tuple[asyncio.Future, float]] = deque()

    @property
    def waiting(self) -> int:
        """Requests waiting for a thread right now."""
        return len(self._waiters)

    def _take(self) -> ThreadPoolExecutor | None:
        # Called with the lock held.
        if self._idle:
            return self._idle.pop()
        if self._created < self.size:
            self._created += 1
            return ThreadPoolExecutor(max_workers=1, thread_name_prefix="asgi-request")
        return None

    def try_acquire(self) -> ThreadPoolExecutor | None:
        """A thread if one is free now (and nobody waits for one), else None; `Refused` at once
        when the queue is full (no task is started for a request that cannot wait)."""
        with self._lock:
            if self._waiters:
                if self.max_queue is not None and len(self._waiters) >= self.max_queue:
                    raise Refused(QUEUE_FULL)
                return None
            return self._take()

    async def acquire(self) -> ThreadPoolExecutor:
        loop = asyncio.get_running_loop()
        with self._lock:
            executor = None if self._waiters else self._take()
            if executor is not None:
                return executor
            if self.max_queue is not None and len(self._waiters) >= self.max_queue:
                raise Refused(QUEUE_FULL)
            waiter = loop.create_future()
            timeout = self.queue_timeout
            entry = (waiter, time.monotonic() + timeout if timeout is not None else math.inf)
            self._waiters.append(entry)
        timer = loop.call_later(self.queue_timeout, self._expire, waiter) if self.queue_timeout is not None else None
        try:
            return await waiter
        except BaseException:  # cancelled, or Refused by the timer
            with self._lock:
                try:
                    self._waiters.remove(entry)
                except ValueError:
                    pass
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                self.release(waiter.result())  # handed over as we were cancelled: pass it on
            raise
        finally:
            if timer is not None:
                timer.cancel()

    def _expire(self, waiter: asyncio.Future) -> None:
        # On the waiter's loop, like `_hand_over`: the two cannot race. A thread handed over
        # after this finds the waiter done and goes to the next one.
        if not waiter.done():
            waiter.set_exception(Refused(QUEUE_TIMEOUT))

    def release(self, executor: ThreadPoolExecutor) -> None:
        with self._lock:
            now = time.monotonic()
            while self._waiters:
                waiter, deadline = self._waiters.popleft()
                # Skip a waiter past its deadline whose timer has not run yet (a busy loop): it
                # is about to be refused, and the thread would go idle through two more hops.
                if not waiter.done() and deadline > now:
                    waiter.get_loop().call_soon_threadsafe(self._hand_over, waiter, executor)
                    return
            self._idle.append(executor)

    def _hand_over(self, waiter: asyncio.Future, executor: ThreadPoolExecutor) -> None:
        if waiter.done():  # cancelled or timed out in the meantime
            self.release(executor)
        else:
            waiter.set_result(executor)


class OneHopASGIHandler(ASGIHandler):
    """Django's ASGI handler with each request served in one hop to a reused thread.

    - The middleware chain and the view run together in the request's thread, as under WSGI.
      Stock Django runs each sync middleware hook (`process_request`, `process_response`, ...)
      of an ASGI request through its own `sync_to_async` hop: with our seven middlewares that
      is a dozen hops between the event loop and the request's thread per request, which the
      delivery benchmark's profile showed costing more than the view itself. The middlewares,
      their order and what they do are unchanged; an async view (health check) still works,
      called with `async_to_sync` from the request's thread, as under WSGI.
    - `request_started` and, for a non-streaming response, `request_finished` (both call
      `close_old_connections`) are sent inside that same hop, before and after the view, on
      the thread that holds the view's database connection. Stock Django sends each through
      a hop of its own. A streaming response is closed after it is sent, as before (its
      `close()` sends `request_finished`, through the request's thread).
    - The thread comes from `RequestThreadPool` instead of a new thread per request, admitted
      within bounds (core/admission.py): a request that cannot get one within
      ADMISSION_QUEUE_TIMEOUT, or finds ADMISSION_MAX_QUEUE already waiting, is answered 503
      `retry_later` with Retry-After on the event loop, before its body is handed to Django and
      before any middleware or view runs. /healthz and /metrics have a small pool of their own.

    The rest (`handle`) follows Django 5.2's `ASGIHandler.handle`: the same disconnect
    handling, body reading, error responses and chunking."""

    def __init__(self, threads: int | None = None, limits: Limits | None = None) -> None:
        from django.conf import settings

        super().__init__()
        configured: int = getattr(settings, "ASGI_REQUEST_THREADS", 20)
        size = threads or configured
        self.limits = limits or Limits.from_settings(size)
        max_queue, timeout = self.limits.max_queue, self.limits.queue_timeout
        self.threads = RequestThreadPool(size, max_queue=max_queue, queue_timeout=timeout)
        self.reserved = RequestThreadPool(self.limits.reserved_threads, max_queue=max_queue, queue_timeout=timeout)

    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        lane = lane_of(scope)
        pool = self.reserved if lane == "reserved" else self.threads
        started = time.monotonic()
        try:
            executor, receive = await admit(pool, receive)
        except Refused as refusal:
            await refuse(scope, send, refusal, self.limits, time.monotonic() - started, lane)
            return
        except Disconnected:
            return
        try:
            async with ThreadSensitiveContext(executor=executor):
                await self.handle(scope, receive, send)
        finally:
            pool.release(executor)

    def _serve(self, request):
        """The one hop, on the request's thread: request_started, middlewares + view, and for
        a response already complete, `close()` (request_finished) before it is sent."""
        signals.request_started.send(sender=self.__class__, scope=request.scope)
        try:
            # Any: it gets attributes Django's handler reads and the stubs do not declare.
            response: Any = self.get_response(request)
        except BaseException:
            signals.request_finished.send(sender=self.__class__)
            raise
        response._handler_class = self.__class__
        if not response.streaming:
            response.close()
            response._closed_in_hop = True
        return response

    async def get_response_async(self, request):
        return await sync_to_async(self._serve, thread_sensitive=True)(request)

    async def handle(self, scope, receive, send):
        # Django 5.2's ASGIHandler.handle, less the request_started hop (sent in `_serve`) and
        # the response.close hop for responses already closed there.
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        set_script_prefix(get_script_prefix(scope))
        request, error_response = self.create_request(scope, body_file)
        if request is None:
            assert error_response is not None  # create_request returns one of the two
            body_file.close()
            await self.send_response(error_response, send)
            await sync_to_async(error_response.close)()
            return

        async def process_request(request, send):
            response = await self.run_get_response(request)
            try:
                await self.send_response(response, send)
            except asyncio.CancelledError:
                pass  # client disconnected during send_response
            return response

        tasks = [
            asyncio.create_task(self.listen_for_disconnect(receive)),
            asyncio.create_task(process_request(request, send)),
        ]
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in tasks:
            if task.done():
                try:
                    task.result()
                except RequestAborted:
                    pass
                except AssertionError:
                    body_file.close()
                    raise
            else:
                task.cancel()
                try:
                    await task
                except asyncio.CancelledError:
                    pass

        try:
            response = tasks[1].result()
        except asyncio.CancelledError:
            await signals.request_finished.asend(sender=self.__class__)
        else:
            if not getattr(response, "_closed_in_hop", False):
                await sync_to_async(response.close)()

        body_file.close()

    async def run_get_response(self, request):
        response = await self.get_response_async(request)
        if isinstance(response, FileResponse):
            response.block_size = self.chunk_size
        return response


django_asgi_app = OneHopASGIHandler()

from channels.routing import ProtocolTypeRouter  # noqa: E402

from core.proxy import TrustedProxyMiddleware  # noqa: E402
from realtime.routing import websocket_application  # noqa: E402

# Proxy headers believed only from TRUSTED_PROXIES (core/proxy.py), for HTTP and WebSocket.
application = TrustedProxyMiddleware(ProtocolTypeRouter({"http": django_asgi_app, "websocket": websocket_application}))

# Everything loaded so far (Django, the apps, their modules) lives as long as the process: move it
# out of the garbage collector's reach, so a full collection scans only what requests created
# since. A full collection over the whole heap stalled every request in flight for ~65 ms (one
# process, measured with gc.callbacks), which showed as p99 spikes in the delivery benchmark.
gc.freeze()
