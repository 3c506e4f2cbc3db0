"""The log lines as a real deployment writes them (docs/operations.md, "Logs"):

- a real uvicorn server (`make run` on the embedded defaults, LOG_FORMAT=json): one JSON line per
  request with its fields, the same request id as the response header, and one line per socket
  session (user, duration, frames in/out, close code, the handshake's request id);
- LOG_FORMAT=console: human-readable lines;
- PostgreSQL + Redis: a request's id crosses into the task it starts, run by a REAL Celery worker
  process whose log output is read.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection
from websockets.asyncio.client import connect

from tests.conftest import client_for
from tests.factories import OfferFactory, UserFactory
from tests.procs import (
    ROOT,
    database_url_of,
    embedded_env,
    free_port,
    migrate_embedded,
    service_env,
    start_celery,
    start_uvicorn,
    stop,
    wait_for,
    wait_http_ready,
)


def _json_lines(log: Path) -> list[dict]:
    out = []
    for line in log.read_text().splitlines():
        if line.startswith("{"):
            out.append(json.loads(line))
    return out


def _call(port: int, method: str, path: str, body: dict | None = None, headers: dict | None = None):
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=json.dumps(body).encode() if body is not None else None,
        method=method,
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as res:
            return res.status, res.headers, json.loads(res.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, json.loads(exc.read() or b"null")


@pytest.fixture
def json_server(tmp_path):
    env = embedded_env(tmp_path, LOG_FORMAT="json", LOG_LEVEL="INFO", THROTTLE_REGISTER="1000/hour")
    migrate_embedded(env)
    port, log = free_port(), tmp_path / "server.log"
    proc = start_uvicorn(port, env, log)
    try:
        wait_http_ready(port, proc, log)
        yield port, log
    finally:
        stop(proc)
        print(f"--- server log ---\n{log.read_text()[-4000:]}")


async def test_a_real_server_logs_one_json_line_per_request_and_per_socket(json_server):
    port, log = json_server
    call = lambda *a, **k: asyncio.to_thread(_call, port, *a, **k)  # noqa: E731
    status, _, alice = await call(
        "POST",
        "/api/v1/auth/register/",
        {"username": "alice_l", "email": "a@example.com", "password": "correct-horse-1"},
    )
    assert status == 201, alice
    auth = {"Authorization": f"Token {alice['token']}"}
    status, headers, _ = await call("GET", "/api/v1/me/", headers={**auth, "X-Request-ID": "walk-me-1"})
    assert status == 200 and headers["X-Request-ID"] == "walk-me-1"
    status, headers, _ = await call("GET", "/api/v1/nothing-here/", headers={"X-Request-ID": "bad id!"})
    assert status == 404
    made = headers["X-Request-ID"]
    assert made != "bad id!" and len(made) == 32

    # A socket with a request id of its own: hello + pong out, ping + an unknown frame in.
    status, _, ticket = await call("POST", "/api/v1/realtime/tickets/", {}, auth)
    assert status == 201, ticket
    ws = await connect(
        f"ws://127.0.0.1:{port}/ws/?ticket={ticket['ticket']}", additional_headers={"X-Request-ID": "sock-1"}
    )
    assert json.loads(await ws.recv())["type"] == "hello"
    await ws.send(json.dumps({"type": "ping"}))
    assert json.loads(await ws.recv())["type"] == "pong"
    await ws.send(json.dumps({"type": "no.such"}))
    assert json.loads(await ws.recv())["type"] == "error"
    await ws.close()

    def session_line():
        return [line for line in _json_lines(log) if line.get("event") == "ws.session"]

    await asyncio.to_thread(wait_for, session_line, 10, "the socket session line")
    lines = _json_lines(log)
    requests = {line["request_id"]: line for line in lines if line.get("event") == "http.request"}
    me = requests["walk-me-1"]
    assert me["method"] == "GET" and me["route"] == "api/v1/me/" and me["path"] == "/api/v1/me/"
    assert me["status"] == 200 and me["user_id"] == alice["id"] and me["client_ip"] == "127.0.0.1"
    assert me["level"] == "info" and me["logger"] == "collective.access" and me["duration_ms"] >= 0
    assert requests[made]["status"] == 404 and requests[made]["route"] == "unmatched"
    register = next(line for line in requests.values() if line["path"] == "/api/v1/auth/register/")
    assert register["status"] == 201 and register["method"] == "POST"

    (session,) = session_line()
    assert session["request_id"] == "sock-1" and session["user_id"] == alice["id"]
    assert session["frames_in"] == 2 and session["frames_out"] == 3  # hello, pong, error
    assert session["close_code"] == 1000 and session["duration_ms"] > 0
    print("\nrequest line:", json.dumps(me), "\nsocket line:", json.dumps(session))


def test_console_format_is_human_readable(tmp_path):
    env = embedded_env(tmp_path, LOG_FORMAT="console", LOG_LEVEL="INFO")
    code = (
        "import django; django.setup(); import structlog, logging;"
        "structlog.get_logger('demo').info('hello.there', user_id=7);"
        "logging.getLogger('plain').warning('a stdlib line')"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    lines = [line for line in out.stderr.splitlines() if "hello.there" in line or "a stdlib line" in line]
    assert len(lines) == 2, out.stderr
    assert not lines[0].startswith("{") and "user_id" in lines[0] and "7" in lines[0]
    assert "warning" in lines[1].lower()


def test_an_unknown_format_is_refused_at_start(tmp_path):
    env = embedded_env(tmp_path, LOG_FORMAT="yaml")
    setup = [sys.executable, "-c", "import django; django.setup()"]
    out = subprocess.run(setup, cwd=ROOT, env=env, capture_output=True)
    assert out.returncode != 0 and b"LOG_FORMAT" in out.stderr


# --- a real Celery worker ---------------------------------------------------------------------
@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_request_id_crosses_into_a_real_worker(tmp_path, settings):
    from config.celery import app

    assert not django_settings.CELERY_TASK_ALWAYS_EAGER
    settings.NOTIFICATIONS = {"SMS_DELAY_SECONDS": 0}
    app.control.purge()
    env = service_env(
        database_url=database_url_of(connection.settings_dict), redis_url=django_settings.REDIS_URL, LOG_FORMAT="json"
    )
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    log = tmp_path / "worker.log"
    worker = start_celery(env, log)
    try:
        owner, initiator = UserFactory(), UserFactory()
        offer = OfferFactory(user=owner)
        res = client_for(initiator).post(
            "/api/v1/connections/",
            {"offer": offer.pk, "initial_message": "Hi!"},
            format="json",
            HTTP_X_REQUEST_ID="to-the-worker-1",
        )
        assert res.status_code == 201, res.data
        assert res["X-Request-ID"] == "to-the-worker-1"

        def task_lines():
            return [line for line in _json_lines(log) if line.get("event") == "celery.task"]

        lines = wait_for(task_lines, 30, "a task line in the worker's log")
        assert {line["request_id"] for line in lines} == {"to-the-worker-1"}, lines
        assert all(line["task"] and line["task_id"] and line["state"] == "SUCCESS" for line in lines)
        # Celery's own lines of the task, while it runs, carry the id too.
        during = [
            line
            for line in _json_lines(log)
            if line.get("task_id") == lines[0]["task_id"] and line.get("event") != "celery.task"
        ]
        assert all(line["request_id"] == "to-the-worker-1" for line in during)
        print("\ntask line:", json.dumps(lines[0]))
    finally:
        stop(worker)
        print(f"--- worker log ---\n{log.read_text()[-3000:]}")
