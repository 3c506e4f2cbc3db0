"""X-Request-ID (contract §6): every response carries one, the client's own when it is sane, and the
log lines of the request carry the same; the id crosses into the Celery tasks a request starts
(here on the embedded, eager configuration; tests/core/test_logging.py runs a real worker).

The log lines are the real formatter's output (core.logs.formatter, as LOGGING configures it),
captured from a handler on the root logger."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
from collections.abc import Iterator

import pytest
from channels.testing import WebsocketCommunicator
from django.http import HttpResponse
from django.urls import include, path

import config.urls
from config.asgi import application  # here, not in a test: its django.setup() reconfigures logging
from core import logs
from tests.conftest import client_for
from tests.factories import OfferFactory, UserFactory
from tests.fakes.sms import eager_celery  # noqa: F401
from tests.realtime.conftest import expect_close

HEX32 = re.compile(r"[0-9a-f]{32}")


def _boom(request):
    raise RuntimeError("kaboom from a test view")


def _ok(request, n):
    return HttpResponse("ok")


# The project's URLs plus two test-only views (pytest.mark.urls).
urlpatterns = [
    path("test-only/boom/", _boom),
    path("test-only/ok/<int:n>/", _ok),
    path("", include(config.urls)),
]


class Lines:
    def __init__(self, stream: io.StringIO) -> None:
        self.stream = stream

    def all(self) -> list[dict]:
        return [json.loads(line) for line in self.stream.getvalue().splitlines() if line.startswith("{")]

    def requests(self) -> list[dict]:
        return [line for line in self.all() if line["event"] == "http.request"]


@pytest.fixture
def log_lines() -> Iterator[Lines]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.formatter("json"))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield Lines(stream)
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def test_a_sane_id_is_echoed_and_logged(api_client, log_lines, db):
    res = api_client.get("/healthz", HTTP_X_REQUEST_ID="client-req.42:a_b")
    assert res["X-Request-ID"] == "client-req.42:a_b"
    (line,) = log_lines.requests()
    assert line["request_id"] == "client-req.42:a_b"


def test_without_one_a_uuid4_hex_is_made_per_request(api_client, log_lines, db):
    first, second = api_client.get("/healthz"), api_client.get("/healthz")
    assert HEX32.fullmatch(first["X-Request-ID"]) and HEX32.fullmatch(second["X-Request-ID"])
    assert first["X-Request-ID"] != second["X-Request-ID"]
    assert [line["request_id"] for line in log_lines.requests()] == [first["X-Request-ID"], second["X-Request-ID"]]


@pytest.mark.parametrize(
    "insane",
    ["", "has space", "x" * 129, "inject\\nline", "<script>", "é-accent", "semi;colon", '"quoted"'],
)
def test_an_insane_id_is_replaced(api_client, log_lines, db, insane):
    res = api_client.get("/healthz", HTTP_X_REQUEST_ID=insane)
    assert HEX32.fullmatch(res["X-Request-ID"]), res["X-Request-ID"]
    assert log_lines.requests()[0]["request_id"] == res["X-Request-ID"]


def test_128_characters_is_still_sane(api_client, db):
    assert api_client.get("/healthz", HTTP_X_REQUEST_ID="a" * 128)["X-Request-ID"] == "a" * 128


@pytest.mark.urls(__name__)
def test_every_kind_of_response_carries_it(api_client, user, db):
    cases = {
        "/api/v1/no-such-thing/": 404,  # unmatched URL
        "/api/v1/me/": 401,  # DRF's exception handler
        "/static/collective/realtime.js": 200,  # WhiteNoise
        "/test-only/ok/1/": 200,
    }
    for url, status in cases.items():
        res = api_client.get(url, HTTP_X_REQUEST_ID=f"id-{status}")
        assert (res.status_code, res["X-Request-ID"]) == (status, f"id-{status}"), url
    res = client_for(user).post("/api/v1/offers/", {}, format="json", HTTP_X_REQUEST_ID="id-400")
    assert (res.status_code, res["X-Request-ID"]) == (400, "id-400")


@pytest.mark.urls(__name__)
def test_the_request_line_has_every_field(user, log_lines, db):
    res = client_for(user).get("/api/v1/me/", HTTP_X_REQUEST_ID="fields-1", REMOTE_ADDR="192.0.2.10")
    assert res.status_code == 200
    (line,) = log_lines.requests()
    assert line["method"] == "GET" and line["route"] == "api/v1/me/" and line["path"] == "/api/v1/me/"
    assert line["status"] == 200 and line["user_id"] == user.pk and line["client_ip"] == "192.0.2.10"
    assert line["request_id"] == "fields-1" and line["level"] == "info" and line["logger"] == "collective.access"
    assert isinstance(line["duration_ms"], float) and 0 <= line["duration_ms"] < 10_000
    assert line["timestamp"].endswith("Z")


@pytest.mark.urls(__name__)
def test_the_route_is_the_template_and_anonymous_is_null(api_client, log_lines, db):
    api_client.get("/test-only/ok/7/", HTTP_X_REQUEST_ID="r-7")
    api_client.get("/nowhere/at/all")
    ok, unmatched = log_lines.requests()
    assert ok["route"] == "test-only/ok/<int:n>/" and ok["path"] == "/test-only/ok/7/" and ok["user_id"] is None
    assert unmatched["route"] == "unmatched" and unmatched["status"] == 404
    # Django's own "Not Found" warning, logged after the middleware chain, carries the id too.
    (not_found,) = [line for line in log_lines.all() if line["logger"] == "django.request"]
    assert not_found["request_id"] == unmatched["request_id"]


@pytest.mark.urls(__name__)
def test_a_server_error_is_logged_with_its_traceback_and_id(api_client, log_lines, db):
    api_client.raise_request_exception = False
    res = api_client.get("/test-only/boom/", HTTP_X_REQUEST_ID="boom-1")
    assert res.status_code == 500 and res["X-Request-ID"] == "boom-1"
    error = next(line for line in log_lines.all() if line["logger"] == "django.request")
    assert error["level"] == "error" and error["request_id"] == "boom-1"
    assert "Traceback" in error["exception"] and "RuntimeError: kaboom from a test view" in error["exception"]
    (line,) = log_lines.requests()
    assert line["status"] == 500 and line["level"] == "warning" and line["request_id"] == "boom-1"


def test_nothing_stays_bound_after_the_request(api_client, db):
    api_client.get("/healthz", HTTP_X_REQUEST_ID="gone-after")
    assert logs.current_request_id() is None


@pytest.mark.django_db(transaction=True)
def test_eager_tasks_started_by_a_request_log_its_id(log_lines, eager_celery):
    owner, initiator = UserFactory(), UserFactory()
    offer = OfferFactory(user=owner)
    res = client_for(initiator).post(
        "/api/v1/connections/",
        {"offer": offer.pk, "initial_message": "Hi!"},
        format="json",
        HTTP_X_REQUEST_ID="eager-task-1",
    )
    assert res.status_code == 201, res.data
    tasks = [line for line in log_lines.all() if line["event"] == "celery.task"]
    assert tasks, log_lines.all()
    assert {line["request_id"] for line in tasks} == {"eager-task-1"}
    assert all(line["state"] == "SUCCESS" and line["task_id"] for line in tasks)
    # The request's own line follows, still with its id (the task did not unbind it).
    assert log_lines.requests()[-1]["request_id"] == "eager-task-1"


@pytest.mark.django_db(transaction=True)
async def test_a_refused_socket_logs_its_session_with_the_handshake_id(log_lines):
    comm = WebsocketCommunicator(application, "/ws/?ticket=not-a-ticket", headers=[(b"x-request-id", b"ws-refused-1")])
    await comm.connect()
    assert await expect_close(comm) == 4401
    await comm.disconnect()  # as a server does after the close: the consumer ends

    def sessions() -> list[dict]:
        return [line for line in log_lines.all() if line["event"] == "ws.session"]

    for _ in range(50):  # the consumer's task finishes just after the disconnect is handed over
        if sessions():
            break
        await asyncio.sleep(0.05)
    (session,) = sessions()
    assert session["request_id"] == "ws-refused-1" and session["close_code"] == 4401
    assert session["user_id"] is None and session["frames_in"] == 0 and session["frames_out"] == 0
    assert logs.current_request_id() is None  # the socket's binding stayed in its own task
