"""How every Redis client of the service talks to Redis: timeouts and the retry of a broken
connection, in one place (the cache, the channel layer, presence, the SMS presence check).

Why each one:
- `socket_connect_timeout` (REDIS_CONNECT_TIMEOUT, 1 s): a Redis that is down refuses at once, but
  one that is unreachable (a dropped network path) would hold each request for redis-py's default
  of 5 s. One second bounds it, and the request answers 503 (contract §6).
- `socket_timeout` (REDIS_SOCKET_TIMEOUT, 5 s): a command that gets no answer fails instead of
  hanging. The channel layer's blocking pop must stay *under* it, or every idle socket dies when
  the pop and the read time out together (redis-py 8 made 5 s the default, equal to channels_redis's
  5 s pop: channels_redis issue 422, redis-py issue 4091). realtime/layer.py derives the pop from it.
- `retry`: one immediate retry on a fresh connection for `ConnectionError`/`TimeoutError`. After a
  Redis restart every pooled connection is dead; without a retry the first command on each failed
  (HTTP 500s and refused handshakes "until pooled connections happen to be replaced"). Redis that is
  still down fails the retry at once too, so an outage still answers fast.
- `health_check_interval`: a connection idle this long is PINGed before use, so one that died
  quietly is replaced before a command is lost on it.
"""

from __future__ import annotations

import os
from typing import Any


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    return float(raw) if raw not in (None, "") else default


def socket_timeout() -> float:
    return _env_float("REDIS_SOCKET_TIMEOUT", 5.0)


def connect_timeout() -> float:
    return _env_float("REDIS_CONNECT_TIMEOUT", 1.0)


def client_options(*, asyncio: bool) -> dict[str, Any]:
    """Keyword arguments for `redis.ConnectionPool.from_url` (sync) or its asyncio twin."""
    from redis.backoff import ExponentialBackoff
    from redis.exceptions import ConnectionError, TimeoutError

    if asyncio:
        from redis.asyncio.retry import Retry
    else:
        from redis.retry import Retry  # type: ignore[assignment]
    return {
        "socket_timeout": socket_timeout(),
        "socket_connect_timeout": connect_timeout(),
        "retry": Retry(ExponentialBackoff(cap=0.2, base=0.02), 1, (ConnectionError, TimeoutError)),
        "health_check_interval": 30,
    }
