"""Who is on the other end of `/ws/`.

Two ways in (contract §3):
- the session cookie, from a browser: the `Origin` header must be present and be this service's
  own origin (scheme, host and port; the host one of `ALLOWED_HOSTS`) or one of
  `CSRF_TRUSTED_ORIGINS` or `CORS_ALLOWED_ORIGINS` (a front end on another origin), or a page on
  another site could ride the user's cookie (cross-site WebSocket hijacking);
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
    return _header(scope, b"origin")


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin1")
    return None


def origin_allowed(origin: str, scope) -> bool:
    """Is `origin` (scheme, host and port) this service's own, or one of CSRF_TRUSTED_ORIGINS or
    CORS_ALLOWED_ORIGINS?

    The rule of Django's CSRF check for `Origin`: a page of this service opens its socket with
    the Origin it was served from, which is the handshake's `Host` under the socket's scheme
    (ws -> http, wss -> https), and that host must be one of ALLOWED_HOSTS. A front end served
    elsewhere is named, scheme and port included, in CSRF_TRUSTED_ORIGINS. Comparing host names
    alone let `http://localhost:6666` (any local page on any port) ride the session cookie."""
    parsed = urlparse(origin.strip().lower())
    if parsed.scheme not in {"http", "https"} or not parsed.netloc:
        return False
    host = (_header(scope, b"host") or "").lower()
    scheme = "https" if scope.get("scheme") in {"wss", "https"} else "http"
    if host and f"{parsed.scheme}://{parsed.netloc}" == f"{scheme}://{host}":
        domain, _port = split_domain_port(host)
        if domain and validate_host(domain, settings.ALLOWED_HOSTS):
            return True
    for trusted in [*settings.CSRF_TRUSTED_ORIGINS, *settings.CORS_ALLOWED_ORIGINS]:
        good = urlparse(trusted.lower())
        if good.scheme != parsed.scheme:
            continue
        if good.netloc == parsed.netloc:
            return True
        if good.netloc.startswith("*.") and parsed.netloc.endswith(good.netloc[1:]):
            return True  # Django's wildcard: "https://*.example.com" covers its subdomains
    return False


class OriginGuard:
    """Refuses (403) a handshake whose `Origin` is present and not allowed (origin_allowed)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        origin = origin_of(scope)
        if origin is not None and not origin_allowed(origin, scope):
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
