"""The production topology: two server processes and a Celery worker share one
PROMETHEUS_MULTIPROC_DIR, and a scrape of either server covers all three (core/metrics.py)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import urllib.request

import pytest
from channels.db import database_sync_to_async
from django.conf import settings
from rest_framework.authtoken.models import Token
from websockets.asyncio.client import connect

from core import metrics
from tests.core.test_metrics import scrape, total, value
from tests.factories import UserFactory
from tests.procs import (
    database_url_of,
    free_port,
    service_env,
    start_celery,
    start_uvicorn,
    stop,
    wait_for,
    wait_http_ready,
)

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def _get(port: int, path: str, token: str | None = None, method: str = "GET") -> int:
    headers = {"Authorization": f"Token {token}"} if token else {}
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", method=method, headers=headers, data=b"" if method == "POST" else None
    )
    with urllib.request.urlopen(req, timeout=10) as res:
        return res.status if method != "POST" else json.loads(res.read())


def _healthz(samples: dict) -> float:
    return value(samples, "collective_http_requests_total", route="healthz", method="GET", status="200")


async def test_two_servers_and_a_worker_are_summed_in_one_scrape(tmp_path):
    prom = tmp_path / "prometheus"
    prom.mkdir()  # emptied at deploy start: here, a new directory
    env = service_env(
        database_url=database_url_of(settings.DATABASES["default"]),
        redis_url=settings.REDIS_URL,
        PROMETHEUS_MULTIPROC_DIR=str(prom),
        LOG_LEVEL="WARNING",
    )
    env.pop("METRICS_TOKEN", None)
    user = await database_sync_to_async(UserFactory)()
    token = await database_sync_to_async(lambda: Token.objects.create(user=user).key)()

    ports = [free_port(), free_port()]
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    procs = [start_uvicorn(p, env, log) for p, log in zip(ports, logs, strict=True)]
    worker = None
    try:
        for port, proc, log in zip(ports, procs, logs, strict=True):
            await asyncio.to_thread(wait_http_ready, port, proc, log)
        worker = await asyncio.to_thread(start_celery, env, tmp_path / "worker.log")
        a, b = ports

        before = await asyncio.to_thread(scrape, a)
        for _ in range(3):
            await asyncio.to_thread(_get, a, "/healthz")
        for _ in range(5):
            await asyncio.to_thread(_get, b, "/healthz")
        # One scrape of A counts B's requests too; and B's scrape is the same sum.
        after_a = await asyncio.to_thread(scrape, a)
        after_b = await asyncio.to_thread(scrape, b)
        assert _healthz(after_a) - _healthz(before) == 8
        assert _healthz(after_b) == _healthz(after_a)
        assert value(after_b, "collective_http_requests_total", route="metrics", method="GET", status="200") >= 2

        # A socket on B shows in A's scrape, and leaves it when closed.
        ticket = (await asyncio.to_thread(_get, b, "/api/v1/realtime/tickets/", token, "POST"))["ticket"]
        ws = await connect(f"ws://127.0.0.1:{b}/ws/?ticket={ticket}")
        assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "hello"
        samples = await asyncio.to_thread(scrape, a)
        assert value(samples, "collective_ws_open_sockets") == 1
        assert value(samples, "collective_presence_entries") == 1
        assert value(samples, "collective_presence_users_online") == 1  # read from Redis at the scrape
        await ws.close()
        await asyncio.to_thread(
            wait_for, lambda: value(scrape(a), "collective_ws_open_sockets") == 0, 10, "the socket to leave the gauge"
        )

        # A task published here runs on the worker: its outcome and queue lag reach the scrape.
        from config.celery import app

        app.send_task("realtime.tasks.presence_sweep")
        task = {"task": "realtime.tasks.presence_sweep"}
        await asyncio.to_thread(
            wait_for,
            lambda: value(scrape(a), "collective_celery_tasks_total", **task, outcome="succeeded") >= 1,
            30,
            "the worker's task outcome in the scrape",
        )
        samples = await asyncio.to_thread(scrape, a)
        with urllib.request.urlopen(f"http://127.0.0.1:{a}/metrics", timeout=10) as res:
            (tmp_path / "scrape.txt").write_bytes(res.read())  # for the record
        assert value(samples, "collective_celery_queue_lag_seconds_count", **task) >= 1
        assert 0 <= value(samples, "collective_celery_queue_lag_seconds_sum", **task) < 30
        # The PostgreSQL pool of each server (and the worker) is sampled into the gauges.
        assert value(samples, "collective_db_pool_connections", state="open") >= 2
        assert total(samples, "collective_db_connections_opened_total", vendor="postgresql") >= 1

        # A server killed without a word (SIGKILL) while holding a socket: its live gauges leave
        # the sum at the next scrape of the other server; its counters stay counted.
        ticket = (await asyncio.to_thread(_get, b, "/api/v1/realtime/tickets/", token, "POST"))["ticket"]
        ws = await connect(f"ws://127.0.0.1:{b}/ws/?ticket={ticket}")
        assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "hello"
        assert value(await asyncio.to_thread(scrape, a), "collective_ws_open_sockets") == 1
        healthz_before_kill = _healthz(await asyncio.to_thread(scrape, a))
        procs[1].send_signal(signal.SIGKILL)
        procs[1].wait(10)
        samples = await asyncio.to_thread(scrape, a)
        assert value(samples, "collective_ws_open_sockets") == 0
        assert _healthz(samples) == healthz_before_kill
        assert not [f for f in os.listdir(prom) if f.startswith("gauge_live") and f.endswith(f"_{procs[1].pid}.db")]
    finally:
        stop(worker)
        for proc in procs:
            stop(proc)
    # The files are named by host and pid (containers sharing the directory never collide).
    assert any(
        name.endswith(f"{metrics.process_identity().rsplit('_', 1)[0]}_{procs[0].pid}.db") for name in os.listdir(prom)
    )
