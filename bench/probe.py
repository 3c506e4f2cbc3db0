"""ASGI wrappers the bench serves instead of the bare apps: `GET /__bench__/stats` plus an SQL counter.

The counter is a database execute-wrapper installed on every connection the server process opens,
so it sees every statement the project runs (ORM or raw), from any thread. It adds one function
call per query; the floor has no database, so it pays nothing.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from typing import Any

_lock = threading.Lock()
_counts = {"queries": 0, "event_log_queries": 0}


def _count(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
    with _lock:
        _counts["queries"] += 1
        if "realtime_event" in sql:
            _counts["event_log_queries"] += 1
    return execute(sql, params, many, context)


def _install_counter() -> None:
    from django.db.backends.signals import connection_created

    def on_created(sender: Any, connection: Any, **kwargs: Any) -> None:
        if _count not in connection.execute_wrappers:
            connection.execute_wrappers.append(_count)

    connection_created.connect(on_created, weak=False)


def _rss_kb() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def wrap(app: Callable[..., Any]) -> Callable[..., Any]:
    async def application(scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] == "http" and scope["path"] == "/__bench__/stats":
            with _lock:
                body = json.dumps({"pid": os.getpid(), "rss_kb": _rss_kb(), **_counts}).encode()
            await send(
                {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]}
            )
            await send({"type": "http.response.body", "body": body})
            return
        await app(scope, receive, send)

    return application


def project_application() -> Callable[..., Any]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from config.asgi import application as app

    _install_counter()
    return wrap(app)


def idiomatic_application() -> Callable[..., Any]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.idiomatic.settings")
    from bench.idiomatic.asgi import application as app

    _install_counter()
    return wrap(app)


def floor_application() -> Callable[..., Any]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.floor.settings")
    from bench.floor.asgi import application as app

    return wrap(app)
