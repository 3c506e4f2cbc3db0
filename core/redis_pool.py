"""One Redis connection pool per process for Django's cache.

Django keeps a cache backend object per thread, and each has its own connection pool. Under ASGI
every request runs its sync code in a thread of its own, so every request opened a new TCP
connection to Redis (with a DNS lookup) for its first cache call (token-bucket counters, tickets).
The profile of the delivery benchmark showed it (docs/benchmarks.md). `redis.ConnectionPool` is
thread-safe, so the backends of all threads share one per URL and options.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import redis

_lock = threading.Lock()
_pools: dict[tuple[Any, ...], redis.ConnectionPool] = {}


class SharedConnectionPool(redis.ConnectionPool):
    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> redis.ConnectionPool:  # type: ignore[override]
        # The pid is in the key: a forked child (Celery prefork) must not share its parent's sockets.
        key = (os.getpid(), url, tuple(sorted((k, repr(v)) for k, v in kwargs.items())))
        pool = _pools.get(key)
        if pool is None:
            with _lock:
                pool = _pools.get(key)
                if pool is None:
                    pool = _pools[key] = redis.ConnectionPool.from_url(url, **kwargs)
        return pool
