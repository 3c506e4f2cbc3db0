"""The HTTP side of `config.asgi`: requests served in one hop on threads reused from a bounded
pool, with `request_started` / `request_finished` (database connection hygiene) on the thread
that ran the view."""

from __future__ import annotations

import asyncio
import json
import threading

import pytest
from asgiref.testing import ApplicationCommunicator
from django.core import signals
from django.http import HttpResponse, StreamingHttpResponse
from django.test import override_settings
from django.urls import path

from config.asgi import OneHopASGIHandler, RequestThreadPool, application

pytestmark = pytest.mark.django_db(transaction=True)


def _plain(request):
    return HttpResponse(f"plain {threading.get_ident()}")


def _streaming(request):
    def chunks():
        yield f"{threading.get_ident()}|".encode()
        yield b"two"

    return StreamingHttpResponse(chunks())


urlpatterns = [path("plain/", _plain), path("streaming/", _streaming)]


async def _request(app, path_: str, method: str = "GET", body: bytes = b"", headers=()) -> tuple[int, bytes]:
    scope = {
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
    comm = ApplicationCommunicator(app, scope)
    await comm.send_input({"type": "http.request", "body": body, "more_body": False})
    start = await comm.receive_output(5)
    assert start["type"] == "http.response.start"
    content = b""
    while True:
        message = await comm.receive_output(5)
        content += message.get("body", b"")
        if not message.get("more_body"):
            break
    await comm.wait(5)
    return start["status"], content


class _SignalThreads:
    def __init__(self) -> None:
        self.started: list[int] = []
        self.finished: list[int] = []

    def on_started(self, **kwargs) -> None:
        self.started.append(threading.get_ident())

    def on_finished(self, **kwargs) -> None:
        self.finished.append(threading.get_ident())

    def __enter__(self):
        signals.request_started.connect(self.on_started)
        signals.request_finished.connect(self.on_finished)
        return self

    def __exit__(self, *exc) -> None:
        signals.request_started.disconnect(self.on_started)
        signals.request_finished.disconnect(self.on_finished)


@override_settings(ROOT_URLCONF=__name__)
async def test_sequential_requests_reuse_one_thread_and_signal_on_it():
    app = OneHopASGIHandler(threads=4)
    with _SignalThreads() as seen:
        views = []
        for _ in range(5):
            status, content = await _request(app, "/plain/")
            assert status == 200
            views.append(int(content.split()[1]))
    assert len(set(views)) == 1, "a warm thread is reused"
    assert views[0] != threading.get_ident()
    assert seen.started == views and seen.finished == views, "both signals on the view's thread"


@override_settings(ROOT_URLCONF=__name__)
@pytest.mark.filterwarnings("ignore:StreamingHttpResponse must consume")
async def test_streaming_response_is_iterated_and_closed_on_the_request_thread():
    app = OneHopASGIHandler(threads=2)
    with _SignalThreads() as seen:
        status, content = await _request(app, "/streaming/")
    assert status == 200
    view_thread, rest = content.split(b"|")
    assert rest == b"two"
    assert seen.started == [int(view_thread)] and seen.finished == [int(view_thread)]


@override_settings(ROOT_URLCONF=__name__)
async def test_concurrent_requests_never_use_more_threads_than_the_bound():
    app = OneHopASGIHandler(threads=2)
    results = await asyncio.gather(*(_request(app, "/plain/") for _ in range(12)))
    assert all(status == 200 for status, _ in results)
    assert len({content.split()[1] for _, content in results}) <= 2


async def test_async_health_view_through_the_application():
    status, content = await _request(application, "/healthz")
    assert status == 200
    assert json.loads(content) == {"status": "ok", "database": "ok", "channel_layer": "ok"}


async def test_api_error_through_the_application():
    status, content = await _request(application, "/api/v1/threads/")
    assert status == 401
    assert set(json.loads(content)) == {"code", "detail"}


async def test_pool_bounds_hands_over_and_survives_a_cancelled_waiter():
    pool = RequestThreadPool(1)
    first = await pool.acquire()
    cancelled = asyncio.ensure_future(pool.acquire())
    waiting = asyncio.ensure_future(pool.acquire())
    await asyncio.sleep(0)
    assert not cancelled.done() and not waiting.done()
    cancelled.cancel()
    await asyncio.sleep(0)
    pool.release(first)
    assert await asyncio.wait_for(waiting, 1) is first
    pool.release(first)
    assert await pool.acquire() is first  # nothing was lost to the cancelled waiter


def test_the_ported_django_methods_are_still_those_of_the_django_we_copied():
    # OneHopASGIHandler re-implements ASGIHandler.__call__, handle and run_get_response of
    # Django 5.2.19. If an upgrade changes any of them, this fails, so the port is re-read
    # against the new code rather than silently drifting from it.
    import hashlib
    import inspect

    from django.core.handlers.asgi import ASGIHandler

    digests = {
        name: hashlib.sha256(inspect.getsource(getattr(ASGIHandler, name)).encode()).hexdigest()[:16]
        for name in ("handle", "__call__", "run_get_response")
    }
    assert digests == {
        "handle": "98faeb5bef800331",
        "__call__": "f756809e9c9308dc",
        "run_get_response": "0234ea5fe09a5777",
    }, "Django's ASGIHandler changed: re-port config/asgi.py's OneHopASGIHandler, then update these digests"
