"""Single-use WebSocket tickets (`?ticket=` on `/ws/`).

A ticket lives in the Django cache, which is Redis whenever `REDIS_URL` is set, so every server
process sees it. Consumption is atomic: of any number of concurrent consumers, only the one whose
`delete` actually removed the key gets the user; the others (and everyone after) find it invalid.
Expiry is the cache TTL.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.core.cache import cache

_PREFIX = "realtime:ticket:"


def ticket_ttl() -> int:
    ttl: Any = settings.REALTIME.get("TICKET_TTL", 60)  # Any: mypy joins dict[str, Any].get's default to object
    return int(ttl)


def ticket_issue(*, user_id: int) -> str:
    ticket = secrets.token_urlsafe(32)
    cache.set(_PREFIX + ticket, int(user_id), timeout=ticket_ttl())
    return ticket


def ticket_consume(ticket: str) -> int | None:
    """The user id the ticket was issued to, or None if it is unknown, expired or already used."""
    if not isinstance(ticket, str) or not (16 <= len(ticket) <= 128):
        return None
    key = _PREFIX + ticket
    user_id = cache.get(key)
    if user_id is None:
        return None
    # `delete` reports whether this call removed the key: exactly one concurrent caller wins.
    if not cache.delete(key):
        return None
    return int(user_id)


async def aticket_consume(ticket: str) -> int | None:
    from asgiref.sync import sync_to_async

    return await sync_to_async(ticket_consume, thread_sensitive=False)(ticket)
