"""Who the client is: proxy headers are believed only from the proxies named in TRUSTED_PROXIES.

Rate limits (login, register, tickets, admin login) count the client's address. Any client can
send `X-Forwarded-For`, so a header believed from anyone let 30 wrong passwords, each with another
forged address, pass a limit of 10 a minute. The servers therefore run with their own proxy-header
handling off (uvicorn `--no-proxy-headers`, daphne without `--proxy-headers`) and this ASGI
middleware, the one place that reads the headers, rewrites the connection's client address
(`scope["client"]`, which Django exposes as REMOTE_ADDR) and scheme only when the TCP peer is a
trusted proxy. It works the same under both servers and for HTTP and WebSocket.

TRUSTED_PROXIES: comma-separated addresses or networks (`10.0.0.0/8,127.0.0.1`); default none.
From a trusted peer, `X-Forwarded-For` is read from the right, skipping trusted hops: the first
untrusted address is the client (a client may put anything at the left; only the hops our own
proxies appended are believed). `X-Forwarded-Proto` (`http`/`https`) sets the scheme.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    networks = []
    for value in values:
        value = value.strip()
        if value:
            networks.append(ipaddress.ip_network(value, strict=False))
    return tuple(networks)


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # [v6]:port
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # v4:port
        value = value.split(":", 1)[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def _trusted(address: Any, networks: tuple[Network, ...]) -> bool:
    return address is not None and any(address in net for net in networks)


def client_from_forwarded(peer: str, forwarded_for: str | None, networks: tuple[Network, ...]) -> str:
    """The client's address: `peer` itself unless it is a trusted proxy; then the right-most
    address of X-Forwarded-For that is not a trusted proxy (the left-most good one if all are)."""
    if not forwarded_for or not _trusted(_address(peer), networks):
        return peer
    hops = [h for h in (part.strip() for part in forwarded_for.split(",")) if h]
    client = peer
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            break  # garbage from the client's side of the chain: stop at the last good hop
        client = str(address)
        if not _trusted(address, networks):
            break
    return client


class TrustedProxyMiddleware:
    def __init__(self, app: Any, networks: tuple[Network, ...] | None = None) -> None:
        self.app = app
        self._networks = networks

    @property
    def networks(self) -> tuple[Network, ...]:
        if self._networks is None:
            from django.conf import settings

            return settings.TRUSTED_PROXY_NETWORKS
        return self._networks

    async def __call__(self, scope, receive, send):
        networks = self.networks
        if networks and scope["type"] in ("http", "websocket") and scope.get("client"):
            peer, port = scope["client"][0], scope["client"][1]
            if _trusted(_address(peer), networks):
                scope = dict(scope)
                headers = scope.get("headers", [])
                # Several header lines are one list, in order (RFC 9110 §5.3).
                forwarded = ", ".join(v.decode("latin1") for k, v in headers if k == b"x-forwarded-for")
                if forwarded:
                    scope["client"] = (client_from_forwarded(peer, forwarded, networks), port)
                protos = [v.decode("latin1") for k, v in headers if k == b"x-forwarded-proto"]
                proto = protos[-1].split(",")[-1].strip().lower() if protos else ""
                if proto in ("http", "https"):
                    secure = proto == "https"
                    scope["scheme"] = ("wss" if secure else "ws") if scope["type"] == "websocket" else proto
        return await self.app(scope, receive, send)
