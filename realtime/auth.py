"""Who is on the other end of `/ws/`.

Two ways in (contract §3):
- the session cookie, from a browser: the `Origin` header must be present and name one of
  `ALLOWED_HOSTS`, or a page on another site could ride the user's cookie (cross-site WebSocket
  hijacking);
- `?ticket=<ticket>` from `POST /api/v1/realtime/tickets/`: the ticket is the credential, so no
  `Origin` is required (non-browser clients send none).
An `Origin` that is present but not allowed refuses the handshake (HTTP 403) whatever the
credentials; missing or invalid credentials are closed with 4401 right after accept.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host

from .tickets import aticket_consume


def origin_of(scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"origin":
            return value.decode("latin1")
    return None


def origin_allowed(origin: str) -> bool:
    parsed = urlparse(origin)
    if parsed.scheme not in {"http", "https"} or not parsed.netloc:
        return False
    domain, _port = split_domain_port(parsed.netloc.lower())
    return bool(domain) and validate_host(domain, settings.ALLOWED_HOSTS)


class OriginGuard:
    """Refuses (403) a handshake whose `Origin` is present and not one of ALLOWED_HOSTS."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        origin = origin_of(scope)
        if origin is not None and not origin_allowed(origin):
            return await WebsocketDenier()(scope, receive, send)
        return await self.app(scope, receive, send)


def websocket_stack(app):
    return OriginGuard(AuthMiddlewareStack(app))


def active_user(user_id: int):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(pk=user_id, is_active=True).first()


_active_user = database_sync_to_async(active_user)


def ticket_of(scope) -> str | None:
    """The `?ticket=` of the handshake, if one was offered (it then decides alone)."""
    tickets = parse_qs(scope.get("query_string", b"").decode("latin1")).get("ticket")
    return tickets[0] if tickets else None


async def authenticate(scope):
    """The authenticated, active user of this handshake, or None."""
    ticket = ticket_of(scope)
    if ticket is not None:
        # A ticket was offered: it decides alone (no silent fallback to a cookie).
        user_id = await aticket_consume(ticket)
        return await _active_user(user_id) if user_id is not None else None
    user = scope.get("user")
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if origin_of(scope) is None:
        return None
    return user
