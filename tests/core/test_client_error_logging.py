"""Expected client errors are one WARNING line in the server's log, never a traceback (issue 11
item 7): through a real server, whose log handler is the one configured in settings."""

from __future__ import annotations

import json

import requests

from tests.procs import embedded_env, free_port, migrate_embedded, start_uvicorn, stop, wait_http_ready


def test_a_10_mb_body_is_a_413_and_one_warning_line(tmp_path):
    env = embedded_env(tmp_path, LOG_LEVEL="INFO")
    migrate_embedded(env)
    port, log = free_port(), tmp_path / "uvicorn.log"
    proc = start_uvicorn(port, env, log)
    try:
        wait_http_ready(port, proc, log)
        r = requests.post(
            f"http://127.0.0.1:{port}/api/v1/auth/register/",
            data=b"x" * (10 * 1024 * 1024),
            headers={"Content-Type": "application/json"},
            timeout=30,
        )
        assert r.status_code == 413 and r.json()["code"] == "request_too_large"
        r = requests.get(f"http://127.0.0.1:{port}/healthz", headers={"Host": "evil.example"}, timeout=10)
        assert r.status_code == 400  # a Host not in ALLOWED_HOSTS
    finally:
        stop(proc)
    text = log.read_text()
    assert "Traceback" not in text, text[-3000:]
    records = [json.loads(line) for line in text.splitlines() if line.startswith("{")]  # LOG_FORMAT=json
    lines = [r for r in records if r["logger"].startswith("django.security.")]
    assert len(lines) == 2 and all(r["level"] == "warning" and "exception" not in r for r in lines), lines
    assert not [r for r in records if r["level"] == "error"], text[-3000:]
