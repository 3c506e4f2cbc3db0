"""Counters for limits that DRF's throttles cannot express: per account (whatever address the
attempts come from), and for views outside DRF (the admin login).

A fixed window per key in the shared cache (Redis when configured, so every process counts
together); `incr` is atomic. Rates are DRF-style strings, `"<n>/<period>"`, where the period is
`s`, `min`, `hour` or `day`, optionally with a count (`"20/15min"`).
"""

from __future__ import annotations

import re
import time

from django.core.cache import cache

_PERIODS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """`"10/min"` -> (10, 60); `"20/15min"` -> (20, 900)."""
    count, _, period = rate.partition("/")
    match = re.fullmatch(r"(\d*)\s*([a-z]+)", period.strip().lower())
    if not count.strip().isdigit() or not match or match.group(2) not in _PERIODS:
        raise ValueError(f"not a rate: {rate!r}")
    return int(count), int(match.group(1) or 1) * _PERIODS[match.group(2)]


class Limit:
    def __init__(self, name: str, rate: str) -> None:
        self.name = name
        self.limit, self.period = parse_rate(rate)

    def _key(self, key: str, now: float) -> tuple[str, int]:
        window = int(now // self.period)
        return f"ratelimit:{self.name}:{key}:{window}", int(self.period - now % self.period) + 1

    def retry_after(self, key: str) -> int | None:
        """Seconds until `key` may try again, or None if it is under the limit (counts nothing)."""
        cache_key, remaining = self._key(key, time.time())
        return remaining if int(cache.get(cache_key, 0) or 0) >= self.limit else None

    def hit(self, key: str) -> int | None:
        """Count one attempt; the seconds to wait if that put `key` over the limit, else None."""
        cache_key, remaining = self._key(key, time.time())
        cache.add(cache_key, 0, timeout=remaining + 1)
        try:
            count = cache.incr(cache_key)
        except ValueError:  # expired between add and incr
            cache.set(cache_key, 1, timeout=remaining + 1)
            count = 1
        return remaining if count > self.limit else None
