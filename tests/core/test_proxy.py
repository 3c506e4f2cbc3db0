"""Rate limits count the real client (issue 11 item 2): proxy headers are believed only from
TRUSTED_PROXIES; logins are limited per account too; the admin login is limited."""

from __future__ import annotations

import pytest
import requests
from django.test import Client

from core.proxy import TrustedProxyMiddleware, client_from_forwarded, parse_networks
from tests.factories import UserFactory
from tests.procs import embedded_env, free_port, migrate_embedded, start_uvicorn, stop, wait_http_ready

NETS = parse_networks(["10.0.0.0/8", "127.0.0.1"])


@pytest.mark.parametrize(
    "peer, xff, client",
    [
        ("203.0.113.9", "1.2.3.4", "203.0.113.9"),  # not a trusted peer: the header is ignored
        ("127.0.0.1", "1.2.3.4", "1.2.3.4"),
        ("127.0.0.1", "6.6.6.6, 1.2.3.4", "1.2.3.4"),  # the client's own left part is not believed
        ("127.0.0.1", "6.6.6.6, 1.2.3.4, 10.1.1.1", "1.2.3.4"),  # trusted hops are skipped
        ("127.0.0.1", "10.2.2.2, 10.1.1.1", "10.2.2.2"),  # all trusted: the left-most
        ("127.0.0.1", "garbage, 1.2.3.4", "1.2.3.4"),
        ("127.0.0.1", "1.2.3.4, garbage", "127.0.0.1"),  # a broken chain: stop at the peer
        ("127.0.0.1", "[2001:db8::1]:443", "2001:db8::1"),
        ("127.0.0.1", "", "127.0.0.1"),
    ],
)
def test_client_address_from_forwarded_for(peer, xff, client):
    assert client_from_forwarded(peer, xff, NETS) == client


async def test_the_middleware_rewrites_client_and_scheme_only_for_trusted_peers():
    seen = []

    async def app(scope, receive, send):
        seen.append((scope["client"][0], scope["scheme"]))

    middleware = TrustedProxyMiddleware(app, NETS)
    headers = [(b"x-forwarded-for", b"1.2.3.4"), (b"x-forwarded-proto", b"https")]
    await middleware({"type": "http", "client": ("127.0.0.1", 5), "scheme": "http", "headers": headers}, None, None)
    await middleware({"type": "http", "client": ("8.8.8.8", 5), "scheme": "http", "headers": headers}, None, None)
    await middleware({"type": "websocket", "client": ("10.0.0.7", 5), "scheme": "ws", "headers": headers}, None, None)
    assert seen == [("1.2.3.4", "https"), ("8.8.8.8", "http"), ("1.2.3.4", "wss")]


def _wrong_logins(port: int, count: int, forged: bool) -> list[int]:
    codes = []
    for i in range(count):
        headers = {"X-Forwarded-For": f"198.51.100.{i + 1}"} if forged else {}
        r = requests.post(
            f"http://127.0.0.1:{port}/api/v1/auth/token/",
            json={"username": f"nobody{i}", "password": "wrong-password"},
            headers=headers,
            timeout=10,
        )
        codes.append(r.status_code)
        if r.status_code == 429:
            assert int(r.headers["Retry-After"]) >= 1
    return codes


@pytest.mark.parametrize("trusted", ["", "127.0.0.1"])
def test_forged_forwarded_for_does_not_bypass_the_login_limit(tmp_path, trusted):
    """Through a real server, started as `make run` starts it (uvicorn, `--no-proxy-headers`)."""
    env = embedded_env(tmp_path, TRUSTED_PROXIES=trusted)
    migrate_embedded(env)
    port, log = free_port(), tmp_path / "uvicorn.log"
    proc = start_uvicorn(port, env, log)
    try:
        wait_http_ready(port, proc, log)
        codes = _wrong_logins(port, 12, forged=True)
    finally:
        stop(proc)
    if trusted:
        # The test's own address is then a trusted proxy: each forwarded address is its own client.
        assert codes == [400] * 12
    else:
        # Nothing trusted (the default): 12 attempts from one address, whatever the header says.
        assert codes == [400] * 10 + [429] * 2


@pytest.mark.django_db
def test_failed_logins_are_limited_per_account_from_any_address(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "login_account": "5/hour"},
    }
    user = UserFactory(username="Ada")
    user.set_password("the-right-passphrase")
    user.save()
    client = Client()

    def attempt(i: int, username: str, password: str):
        # A new address each time: the per-address limit never applies.
        return client.post(
            "/api/v1/auth/token/",
            {"username": username, "password": password},
            content_type="application/json",
            REMOTE_ADDR=f"192.0.2.{i}",
        )

    codes = [attempt(i, "ada" if i % 2 else "ADA", "wrong").status_code for i in range(1, 6)]
    assert codes == [400] * 5
    locked = attempt(6, "Ada", "the-right-passphrase")  # even the right password waits now
    assert locked.status_code == 429 and locked.json()["code"] == "too_many_attempts"
    assert int(locked["Retry-After"]) >= 1
    assert attempt(7, "someone-else", "wrong").status_code == 400  # other accounts are unaffected


@pytest.mark.django_db
def test_admin_login_is_limited(settings):
    # The limit's count, over an hour's window: with the default minute window, eleven requests
    # that straddle a minute boundary start over in the new window (a fixed window, by design).
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "login": "10/hour"},
    }
    staff = UserFactory(username="root", is_staff=True, is_superuser=True)
    staff.set_password("the-right-passphrase")
    staff.save()
    client = Client()
    codes = [client.post("/admin/login/", {"username": "root", "password": "wrong"}).status_code for _ in range(11)]
    assert codes == [200] * 10 + [429]  # the form again ten times, then refused
    refused = client.post("/admin/login/", {"username": "root", "password": "the-right-passphrase"})
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    # From another address the right password works (the account is under its own limit).
    ok = client.post(
        "/admin/login/", {"username": "root", "password": "the-right-passphrase"}, REMOTE_ADDR="192.0.2.50"
    )
    assert ok.status_code == 302
