"""Quiet hours in the user's own time zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def _zone(name: str) -> dt.tzinfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def quiet_until(*, start: dt.time | None, end: dt.time | None, time_zone: str, now: dt.datetime) -> dt.datetime | None:
    """When the quiet window that contains `now` ends (aware UTC), or None outside quiet hours.

    The window is [start, end) in local wall-clock time; `start > end` crosses midnight
    (22:00-07:00 is quiet from 22:00 until 07:00 the next morning)."""
    if start is None or end is None or start == end:
        return None
    zone = _zone(time_zone)
    local = now.astimezone(zone)
    t = local.time().replace(tzinfo=None)
    if start < end:
        inside = start <= t < end
    else:
        inside = t >= start or t < end
    if not inside:
        return None
    end_date = local.date() if t < end else local.date() + dt.timedelta(days=1)
    return dt.datetime.combine(end_date, end, tzinfo=zone).astimezone(dt.UTC)
