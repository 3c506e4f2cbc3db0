"""`GET /metrics` (Prometheus text) and the middleware that measures every HTTP request.

Access (contract §6): a request from the loopback address, or one with
`Authorization: Bearer <METRICS_TOKEN>` when that variable is set; anyone else gets a 403.

"From the loopback address" is the client address core/proxy.py resolved (REMOTE_ADDR), which
proxy headers change only when they come from a trusted proxy: a remote client's own
`X-Forwarded-For: 127.0.0.1` changes nothing. A request that carries proxy headers at all
(`X-Forwarded-For`, `Forwarded`, `X-Real-IP`) is never taken as local, though: a reverse proxy on
the same host that is not in TRUSTED_PROXIES connects from 127.0.0.1 for every outside client, and
must not open /metrics to them. Such a scraper uses the token.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_safe

from core import metrics

_PROXY_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP")
_STATIC = "/" + settings.STATIC_URL.lstrip("/") if settings.STATIC_URL else "/static/"


def _is_loopback(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def metrics_allowed(request: HttpRequest) -> bool:
    token = os.environ.get("METRICS_TOKEN", "")
    if token:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _, given = header.partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
            return True
    if any(request.META.get(name) for name in _PROXY_HEADERS):
        return False
    return _is_loopback(request.META.get("REMOTE_ADDR", ""))


@require_safe
def metrics_view(request: HttpRequest) -> HttpResponse:
    if not metrics_allowed(request):
        return JsonResponse(
            {
                "detail": "Metrics are served to the loopback address or with the metrics bearer token.",
                "code": "permission_denied",
            },
            status=403,
        )
    body, content_type = metrics.render()
    response = HttpResponse(body, content_type=content_type)
    response["Cache-Control"] = "no-store"
    return response


def route_of(request: HttpRequest) -> str:
    """A request's route label, bounded in number: the URL pattern that matched; "static" for
    /static/ and "unmatched" for what was answered before or without URL resolution (WhiteNoise,
    a CORS preflight, a 404). The metrics and the access log line (core/logs.py) both use it."""
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return match.route or match.view_name or "unnamed"
    return "static" if request.path_info.startswith(_STATIC) else "unmatched"


class MetricsMiddleware:
    """Counts every HTTP request by route template (`request.resolver_match.route`; "static" for
    /static/, "unmatched" when no URL matched), method and status, and observes its latency. First in MIDDLEWARE, so
    the time covers every other middleware. In-memory updates only."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        metrics.http_observe(
            route_of(request), request.method or "", response.status_code, time.perf_counter() - started
        )
        metrics.pool_sample()
        return response
