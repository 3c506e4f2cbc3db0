"""Two real server processes on one PostgreSQL database and one Redis (contract §1, §3)."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from channels.db import database_sync_to_async
from django.conf import settings
from rest_framework.authtoken.models import Token
from websockets.asyncio.client import connect

from tests.factories import UserFactory
from tests.procs import database_url_of, free_port, service_env, start_uvicorn, wait_http_ready

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

TTL = 3


def _start_server(port: int, log: Path) -> subprocess.Popen:
    env = service_env(
        # The servers use the test database this test runs in, and the same Redis index.
        database_url=database_url_of(settings.DATABASES["default"]),
        redis_url=settings.REDIS_URL,
        REALTIME_HEARTBEAT_SECONDS="1",
        REALTIME_PRESENCE_TTL=str(TTL),
        LOG_LEVEL="WARNING",
    )
    return start_uvicorn(port, env, log)


def _http(method: str, url: str, token: str, body: dict | None = None) -> tuple[int, dict]:
    req = urllib.request.Request(
        url,
        method=method,
        data=json.dumps(body or {}).encode(),
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=5) as res:
        return res.status, json.loads(res.read() or b"{}")


async def _frame(ws, type_: str, timeout: float = 5) -> tuple[dict, float]:
    """The next frame of `type_` (others skipped) and when it arrived (monotonic)."""
    deadline = time.monotonic() + timeout
    while True:
        raw = await asyncio.wait_for(ws.recv(), max(0.01, deadline - time.monotonic()))
        frame = json.loads(raw)
        if frame["type"] == type_:
            return frame, time.monotonic()


async def _socket(port: int, token: str):
    _, body = await asyncio.to_thread(_http, "POST", f"http://127.0.0.1:{port}/api/v1/realtime/tickets/", token)
    ws = await connect(f"ws://127.0.0.1:{port}/ws/?ticket={body['ticket']}")
    hello, _ = await _frame(ws, "hello")
    return ws, hello


async def test_two_servers_share_events_and_presence(tmp_path):
    def make_users():
        x, y = UserFactory(), UserFactory()
        return x, y, Token.objects.create(user=x).key, Token.objects.create(user=y).key

    x, y, tx, ty = await database_sync_to_async(make_users)()
    ports = [free_port(), free_port()]
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    procs = [_start_server(p, log) for p, log in zip(ports, logs, strict=True)]
    try:
        for port, proc, log in zip(ports, procs, logs, strict=True):
            await asyncio.to_thread(wait_http_ready, port, proc, log)
        a, b = ports
        ws_y, hello = await _socket(b, ty)  # Y is on server B
        assert hello["data"]["user"]["id"] == y.pk
        ws_x, _ = await _socket(a, tx)  # X is on server A

        # A change through REST on A reaches Y's socket on B.
        started = time.monotonic()
        status, _ = await asyncio.to_thread(
            _http, "POST", f"http://127.0.0.1:{a}/api/v1/follows/", tx, {"following": y.pk}
        )
        assert status == 201
        frame, arrived = await _frame(ws_y, "follow.created")
        latency_ms = (arrived - started) * 1000
        print(f"\nREST write on A -> frame on B: {latency_ms:.1f} ms (including the request itself)")
        # (The follow may publish other events too, e.g. a notification: ids only increase.)
        assert frame["id"] > hello["data"]["last_event_id"] and frame["data"]["follower"]["id"] == x.pk

        # X (on A) follows Y now, so sees Y (on B) online.
        await ws_x.send(json.dumps({"type": "presence.query", "users": [y.pk]}))
        state, _ = await _frame(ws_x, "presence.state")
        assert state["data"]["users"][str(y.pk)]["status"] == "online"

        # Server B dies without closing anything: after the TTL Y is offline, and X is told.
        procs[1].send_signal(signal.SIGKILL)
        procs[1].wait(5)
        killed = time.monotonic()
        offline, when = await _frame(ws_x, "presence", timeout=TTL + 5)
        assert offline["data"] == {**offline["data"], "user": y.pk, "status": "offline"}
        print(f"offline announced {when - killed:.1f} s after SIGKILL (TTL {TTL} s)")
        await ws_x.send(json.dumps({"type": "presence.query", "users": [y.pk]}))
        state, _ = await _frame(ws_x, "presence.state")
        assert state["data"]["users"][str(y.pk)]["status"] == "offline"
        await ws_x.close()
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(5)
                except subprocess.TimeoutExpired:
                    proc.kill()
