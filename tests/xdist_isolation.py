"""Isolation of parallel test workers (pytest-xdist, `make test`'s `-n`).

Loaded with `-p tests.xdist_isolation` (pyproject.toml addopts), so it runs before pytest-django
reads the settings. In a worker process (`PYTEST_XDIST_WORKER` = `gw<n>`) it rewrites the
environment the settings and the tests read:

- `REDIS_URL` (and `CELERY_BROKER_URL` when set): database index `(base + n) % 16`, where `base` is
  the index the run was given. Worker gw0 keeps the base index, gw1 takes the next, and so on: with
  `.ci/run`'s index 13 and `-n 2` the workers use 13 and 14; a run given 11 uses 11 and 12. The
  session-end `flushdb` (tests/conftest.py) and every channel-layer, cache, presence and Celery key
  of a worker stay in its own index. Keep `-n` at 16 or fewer (the index wraps around), and leave
  the next `n - 1` indexes to the suite.
- `TEST_DATABASE_NAME`: `<name>_gw<n>` (default name: `test_` + DATABASE_URL's database), so that
  pytest-django's test database and the databases tests derive from the name (`<name>_web`,
  `<name>_web_pay`, `<name>_migration_proof`) are the worker's own. tests/conftest.py turns off
  pytest-django's own `_gw<n>` suffix, which the name already carries. SQLite (embedded) test
  databases are in memory, one per process already.

Ports are partitioned per worker in tests/procs.py (`free_port`). Outside xdist nothing changes."""

from __future__ import annotations

import os
import re
from urllib.parse import urlsplit, urlunsplit

import pytest

REDIS_DATABASES = 16


def worker_number() -> int | None:
    """0 for gw0, 1 for gw1...; None outside a pytest-xdist worker."""
    match = re.fullmatch(r"gw(\d+)", os.environ.get("PYTEST_XDIST_WORKER", ""))
    return int(match.group(1)) if match else None


def shifted_redis_url(url: str, n: int) -> str:
    """`url` with its database index moved `n` places on (mod 16); index 0 when it names none."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss"):
        return url
    path = parts.path.strip("/")
    base = int(path) if path.isdigit() else 0
    return urlunsplit(parts._replace(path=f"/{(base + n) % REDIS_DATABASES}"))


def isolate_worker(environ: dict[str, str] | os._Environ[str], n: int) -> None:
    for name in ("REDIS_URL", "CELERY_BROKER_URL"):
        if environ.get(name):
            environ[name] = shifted_redis_url(environ[name], n)
    database_url = environ.get("DATABASE_URL", "")
    if database_url:
        default = "test_" + (urlsplit(database_url).path.strip("/") or "collective")
        environ["TEST_DATABASE_NAME"] = f"{environ.get('TEST_DATABASE_NAME') or default}_gw{n}"


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args) -> None:
    n = worker_number()
    if n is not None:
        isolate_worker(os.environ, n)
