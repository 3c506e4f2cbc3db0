"""The isolation of parallel test workers (tests/xdist_isolation.py, tests/procs.py `free_port`)."""

from __future__ import annotations

import socket

import pytest

from tests import procs
from tests.xdist_isolation import isolate_worker, shifted_redis_url, worker_number


@pytest.mark.parametrize(
    ("url", "n", "expected"),
    [
        ("redis://127.0.0.1:6379/13", 0, "redis://127.0.0.1:6379/13"),
        ("redis://127.0.0.1:6379/13", 1, "redis://127.0.0.1:6379/14"),
        ("redis://127.0.0.1:6379/15", 1, "redis://127.0.0.1:6379/0"),  # wraps within 0-15
        ("redis://127.0.0.1:6379", 2, "redis://127.0.0.1:6379/2"),  # no index: 0
        ("rediss://:secret@cache:6380/4?ssl_cert_reqs=none", 1, "rediss://:secret@cache:6380/5?ssl_cert_reqs=none"),
        ("memory://", 3, "memory://"),  # not Redis: untouched
    ],
)
def test_each_worker_gets_the_next_redis_index(url, n, expected) -> None:
    assert shifted_redis_url(url, n) == expected


def test_workers_of_a_ci_run_use_distinct_indexes_in_range() -> None:
    indexes = [int(shifted_redis_url("redis://127.0.0.1:6379/13", n).rsplit("/", 1)[1]) for n in range(16)]
    assert len(set(indexes)) == 16 and all(0 <= i <= 15 for i in indexes)


def test_worker_environment() -> None:
    env = {
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/collective",
        "REDIS_URL": "redis://127.0.0.1:6379/13",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/9",
        "TEST_DATABASE_NAME": "test_collective_ci",
    }
    isolate_worker(env, 1)
    assert env == {
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/collective",
        "REDIS_URL": "redis://127.0.0.1:6379/14",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/10",
        "TEST_DATABASE_NAME": "test_collective_ci_gw1",
    }
    unnamed = {"DATABASE_URL": "postgres://u@db/app"}
    isolate_worker(unnamed, 0)
    assert unnamed["TEST_DATABASE_NAME"] == "test_app_gw0"  # Django's default test name, suffixed
    embedded: dict[str, str] = {}
    isolate_worker(embedded, 2)
    assert embedded == {}  # SQLite in memory: one per process already


def test_worker_number(monkeypatch) -> None:
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw7")
    assert worker_number() == 7
    monkeypatch.delenv("PYTEST_XDIST_WORKER")
    assert worker_number() is None


def test_a_worker_takes_free_ports_from_its_own_range(monkeypatch) -> None:
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw3")
    monkeypatch.setattr(procs, "_next_port", {})
    low = procs.WORKER_PORTS_START + 3 * procs.WORKER_PORTS_SPAN
    ports = [procs.free_port() for _ in range(5)]
    assert all(low <= p < low + procs.WORKER_PORTS_SPAN for p in ports)
    assert len(set(ports)) == 5  # never the same port twice in a row
    with socket.socket() as held:  # a port in use is passed over
        held.bind(("127.0.0.1", procs.free_port()))
        held.listen()
        taken = held.getsockname()[1]
        procs._next_port[3] = taken - low
        assert procs.free_port() != taken
    # 16 workers' ranges end below the kernel's ephemeral range (where bind(0) picks).
    assert procs.WORKER_PORTS_START + 16 * procs.WORKER_PORTS_SPAN <= 32_768
