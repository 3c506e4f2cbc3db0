"""A burst of registrations on the embedded default (SQLite file, the real PBKDF2 hasher, a real
uvicorn server) all succeed: the password is hashed before the write transaction opens, so
SQLite's single writer is held for milliseconds, not for each ~0.3 s hash in turn.

Before the fix, 100 registrations in parallel against `make run` answered `503 database is locked`.
Here the server's busy timeout is lowered to 5 s (SQLITE_BUSY_TIMEOUT) so that 40 registrations
show it: hashed under the lock they need 40 × ~0.3 s = ~12 s of lock time, far over 5 s."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.procs import ROOT, free_port, start_uvicorn, stop, wait_http_ready

COUNT = 40


def _embedded_env(tmp_path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "TEST_DATABASE_NAME",
                        "CELERY_TASK_ALWAYS_EAGER"}}
    env.update({
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SQLITE_PATH": str(tmp_path / "db.sqlite3"),
        "COLLECTIVE_VAR_DIR": str(tmp_path / "var"),
        "SQLITE_BUSY_TIMEOUT": "5",
        "THROTTLE_REGISTER": "1000/hour",  # the burst comes from one address
        "LOG_LEVEL": "WARNING",
    })
    return env


def test_parallel_registrations_on_sqlite_all_succeed(tmp_path):
    env = _embedded_env(tmp_path)
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    port, log = free_port(), tmp_path / "uvicorn.log"
    proc = start_uvicorn(port, env, log)
    try:
        wait_http_ready(port, proc, log)

        def register(i: int) -> tuple[int, str]:
            response = requests.post(
                f"http://127.0.0.1:{port}/api/v1/auth/register/",
                json={"username": f"burst{i}", "email": f"burst{i}@example.com", "password": "a-long-passphrase"},
                timeout=120,
            )
            return response.status_code, response.text[:200]

        with ThreadPoolExecutor(COUNT) as pool:
            results = list(pool.map(register, range(COUNT)))
        failures = [r for r in results if r[0] != 201]
        assert not failures, (len(failures), failures[:5], log.read_text()[-2000:])
    finally:
        stop(proc)
    with sqlite3.connect(tmp_path / "db.sqlite3") as db:
        hashes = [row[0] for row in db.execute("SELECT password FROM collective_user WHERE username LIKE 'burst%'")]
    assert len(hashes) == COUNT
    assert all(h.startswith("pbkdf2_sha256$") for h in hashes)  # the production hasher, not the tests' MD5
