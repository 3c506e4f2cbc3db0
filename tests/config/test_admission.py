"""Admission control in front of the request threads (config/asgi.py, core/admission.py): past
saturation a request waits a bounded time in a bounded queue, or is refused at once with `503
retry_later`, `Retry-After` and its `X-Request-ID`, without any view code running.

The real handler and pool; the pool is filled by requests to a view of this module's urlconf that
blocks on an event the test sets (the threads are really busy, nothing is mocked)."""

from __future__ import annotations

import asyncio
import json
import threading
import time

import pytest
from asgiref.testing import ApplicationCommunicator
from django.http import HttpResponse
from django.test import override_settings
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from prometheus_client import REGISTRY

from config.asgi import OneHopASGIHandler, RequestThreadPool
from core.admission import Limits, Refused
from core.health import healthz

pytestmark = pytest.mark.django_db(transaction=True)

# Generous for a loaded 2-core machine: a refusal must not wait for anything.
FAST = 0.5


class Gate:
    """Requests to /block/ hold their thread until `open()`; `entered` counts views that ran."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.entered = 0
        self.bodies: list[bytes] = []
        self.lock = threading.Lock()

    def view(self, request):
        with self.lock:
            self.entered += 1
            self.bodies.append(request.body)
        self.event.wait(10)
        return HttpResponse(b"done")


GATE = Gate()


@csrf_exempt
def _block(request):
    return GATE.view(request)


urlpatterns = [path("block/", _block), path("healthz", healthz)]


@pytest.fixture(autouse=True)
def _gate():
    global GATE
    GATE = Gate()
    yield GATE
    GATE.event.set()


def _scope(path_: str, method: str = "GET", headers=()) -> dict:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path_,
        "raw_path": path_.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
    }


async def _start(app, path_: str, method: str = "GET", body: bytes = b"", headers=()) -> ApplicationCommunicator:
    comm = ApplicationCommunicator(app, _scope(path_, method, headers))
    await comm.send_input({"type": "http.request", "body": body, "more_body": False})
    return comm


async def _answer(comm: ApplicationCommunicator, timeout: float = 5) -> tuple[int, dict[str, str], bytes]:
    start = await comm.receive_output(timeout)
    assert start["type"] == "http.response.start"
    headers = {k.decode().lower(): v.decode() for k, v in start["headers"]}
    content = b""
    while True:
        message = await comm.receive_output(timeout)
        content += message.get("body", b"")
        if not message.get("more_body"):
            break
    await comm.wait(timeout)
    return start["status"], headers, content


async def _until(predicate, timeout: float = 5.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.01)


def _refused_count(lane: str, reason: str) -> float:
    return REGISTRY.get_sample_value("collective_http_requests_refused_total", {"lane": lane, "reason": reason}) or 0.0


def _assert_refusal(status: int, headers: dict[str, str], content: bytes) -> dict:
    assert status == 503
    assert headers["retry-after"].isdigit() and int(headers["retry-after"]) >= 1
    assert headers["content-type"] == "application/json"
    body = json.loads(content)
    assert set(body) == {"code", "detail"} and body["code"] == "retry_later"
    assert headers.get("x-request-id")
    return body


def _app(threads: int, max_queue: int, queue_timeout: float) -> OneHopASGIHandler:
    return OneHopASGIHandler(
        threads=threads,
        limits=Limits(queue_timeout=queue_timeout, max_queue=max_queue, retry_after=1, reserved_threads=1),
    )


@override_settings(ROOT_URLCONF=__name__)
async def test_past_the_queue_bound_requests_are_refused_at_once_and_run_nothing(_gate):
    app = _app(threads=2, max_queue=2, queue_timeout=30)
    busy = [await _start(app, "/block/") for _ in range(2)]
    await _until(lambda: _gate.entered == 2, what="two requests in the view")
    queued = [await _start(app, "/block/") for _ in range(2)]
    await _until(lambda: app.threads.waiting == 2, what="two waiters")
    before = _refused_count("main", "queue_full")

    for i in range(3):
        started = time.monotonic()
        comm = await _start(app, "/block/", "POST", b'{"x": 1}', headers=[(b"x-request-id", f"client-{i}".encode())])
        status, headers, content = await _answer(comm)
        assert time.monotonic() - started < FAST
        _assert_refusal(status, headers, content)
        assert headers["x-request-id"] == f"client-{i}", "the client's own id is echoed"
        assert app.threads.waiting <= 2, "the queue never exceeds its bound"

    # An id that is not sane is replaced, as everywhere else (core/logs.py).
    comm = await _start(app, "/block/", headers=[(b"x-request-id", b"bad id\x7f")])
    status, headers, content = await _answer(comm)
    _assert_refusal(status, headers, content)
    assert headers["x-request-id"] != "bad id\x7f" and len(headers["x-request-id"]) == 32

    assert _refused_count("main", "queue_full") == before + 4
    assert _gate.entered == 2, "no view code ran for a refused request"
    _gate.event.set()
    for comm in busy + queued:
        status, _, content = await _answer(comm)
        assert (status, content) == (200, b"done"), "admitted requests complete"
    assert _gate.entered == 4


@override_settings(ROOT_URLCONF=__name__)
async def test_a_waiter_is_refused_at_its_timeout_and_one_admitted_in_time_is_served(_gate):
    app = _app(threads=1, max_queue=4, queue_timeout=0.3)
    busy = await _start(app, "/block/")
    await _until(lambda: _gate.entered == 1, what="the request in the view")
    before = _refused_count("main", "queue_timeout")
    started = time.monotonic()
    late = await _start(app, "/block/", "POST", b"late")
    status, headers, content = await _answer(late)
    waited = time.monotonic() - started
    _assert_refusal(status, headers, content)
    assert 0.25 <= waited < 0.3 + FAST, waited
    assert app.threads.waiting == 0, "the timed-out waiter left the queue"
    assert _refused_count("main", "queue_timeout") == before + 1

    # A waiter whose thread frees up within the timeout is served, with its whole body.
    app.threads.queue_timeout = 5
    queued = await _start(app, "/block/", "POST", b"in time")
    await _until(lambda: app.threads.waiting == 1, what="the waiter")
    _gate.event.set()
    assert (await _answer(busy))[0] == 200
    assert (await _answer(queued))[:3:2] == (200, b"done")
    assert _gate.bodies == [b"", b"in time"], "the refused request's body never reached a view"


@override_settings(ROOT_URLCONF=__name__)
async def test_a_waiter_whose_client_disconnects_leaves_the_queue_and_loses_no_thread(_gate):
    app = _app(threads=1, max_queue=4, queue_timeout=30)
    busy = await _start(app, "/block/")
    await _until(lambda: _gate.entered == 1, what="the request in the view")
    gone = await _start(app, "/block/", "POST", b"never")
    await _until(lambda: app.threads.waiting == 1, what="the waiter")
    await gone.send_input({"type": "http.disconnect"})
    await _until(lambda: app.threads.waiting == 0, what="the disconnected waiter to leave")
    await gone.wait(5)  # the application returned without answering
    assert await gone.receive_nothing()

    _gate.event.set()
    assert (await _answer(busy))[0] == 200
    # The one thread is still there (nothing lost to the waiter that left) and is reused.
    after = await _start(app, "/block/")
    assert (await _answer(after))[0] == 200
    assert _gate.entered == 2 and _gate.bodies == [b"", b""]


@override_settings(ROOT_URLCONF=__name__)
async def test_a_waiters_body_in_several_messages_reaches_the_view_whole(_gate):
    app = _app(threads=1, max_queue=4, queue_timeout=5)
    busy = await _start(app, "/block/")
    await _until(lambda: _gate.entered == 1, what="the request in the view")
    comm = ApplicationCommunicator(app, _scope("/block/", "POST"))
    for part in (b"one,", b"two,"):
        await comm.send_input({"type": "http.request", "body": part, "more_body": True})
    await comm.send_input({"type": "http.request", "body": b"three", "more_body": False})
    await _until(lambda: app.threads.waiting == 1, what="the waiter")
    _gate.event.set()
    assert (await _answer(busy))[0] == 200
    assert (await _answer(comm))[0] == 200
    assert _gate.bodies == [b"", b"one,two,three"]


@override_settings(ROOT_URLCONF=__name__)
async def test_healthz_answers_while_the_request_pool_is_saturated(_gate):
    app = _app(threads=1, max_queue=1, queue_timeout=30)
    busy = await _start(app, "/block/")
    await _until(lambda: _gate.entered == 1, what="the request in the view")
    queued = await _start(app, "/block/")
    await _until(lambda: app.threads.waiting == 1, what="the waiter")
    refused = await _start(app, "/block/")
    _assert_refusal(*(await _answer(refused)))

    started = time.monotonic()
    status, headers, content = await _answer(await _start(app, "/healthz"))
    assert status == 200 and json.loads(content)["status"] == "ok"
    assert time.monotonic() - started < FAST
    assert headers.get("x-request-id"), "served through the whole middleware chain"
    for _ in range(3):  # the lane's one thread goes back to the lane each time
        status, _, _ = await _answer(await _start(app, "/healthz"))
        assert status == 200
    assert app.reserved.waiting == 0 and app.reserved.try_acquire() is not None
    _gate.event.set()
    for comm in (busy, queued):
        assert (await _answer(comm))[0] == 200
    assert len(app.threads._idle) == 1, "the main pool got back its one thread, and no other"


async def test_a_thread_freed_after_a_waiters_deadline_is_not_lent_to_it():
    # The loop was too busy to run the waiter's timer in time: the waiter is refused all the
    # same, and the thread is not sent on a detour through it (it stays free for the next one).
    pool = RequestThreadPool(1, max_queue=2, queue_timeout=0.1)
    first = await pool.acquire()
    late = asyncio.ensure_future(pool.acquire())
    await asyncio.sleep(0)
    assert pool.waiting == 1
    time.sleep(0.15)  # blocks the loop past the deadline, as a flood of requests would
    pool.release(first)
    with pytest.raises(Refused) as refused:
        await asyncio.wait_for(late, 1)
    assert refused.value.reason == "queue_timeout"
    assert pool.waiting == 0
    assert pool.try_acquire() is first
