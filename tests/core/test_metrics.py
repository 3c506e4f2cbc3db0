"""`GET /metrics`: who may read it (contract §6), and what a scripted walk through the service leaves
in it, scraped from a real server process as `make run` serves it (docs/operations.md, "Metrics")."""

from __future__ import annotations

import asyncio
import json
import re
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from channels.testing import ApplicationCommunicator
from prometheus_client.parser import text_string_to_metric_families
from websockets.asyncio.client import connect

from config.asgi import application
from core.proxy import parse_networks
from tests.fakes.twilio_api import FakeTwilio
from tests.procs import embedded_env, free_port, migrate_embedded, start_uvicorn, stop, wait_http_ready

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "f" * 32


# --- access -------------------------------------------------------------------------------------
async def _asgi_get(path: str, peer: str, headers: list[tuple[bytes, bytes]] | None = None, method: str = "GET"):
    """One request through the whole ASGI application (core/proxy.py's middleware included), from
    the TCP peer `peer`: what a server hands the app for a connection from that address."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), *(headers or [])],
        "client": (peer, 40000),
        "server": ("testserver", 80),
    }
    comm = ApplicationCommunicator(application, scope)
    await comm.send_input({"type": "http.request", "body": b"", "more_body": False})
    start = await comm.receive_output(5)
    body = b""
    while True:
        part = await comm.receive_output(5)
        body += part.get("body", b"")
        if not part.get("more_body"):
            break
    await comm.wait(1)
    return start["status"], {k.lower(): v for k, v in start["headers"]}, body


pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("peer", ["127.0.0.1", "127.0.0.53", "::1", "::ffff:127.0.0.1"])
async def test_loopback_reads_the_metrics(peer):
    status, headers, body = await _asgi_get("/metrics", peer)
    assert status == 200
    assert headers[b"content-type"].startswith(b"text/plain; version=")
    names = {f.name for f in text_string_to_metric_families(body.decode())}
    assert {"collective_http_requests", "collective_ws_open_sockets", "collective_presence_users_online"} <= names


@pytest.mark.parametrize("peer", ["203.0.113.7", "10.1.2.3", "192.168.0.10", "::ffff:203.0.113.7"])
async def test_others_get_403_with_the_error_shape(peer):
    status, headers, body = await _asgi_get("/metrics", peer)
    assert status == 403
    assert json.loads(body)["code"] == "permission_denied"
    assert b"collective_" not in body


async def test_a_forged_forwarded_for_from_an_untrusted_peer_stays_403(settings):
    forged = [(b"x-forwarded-for", b"127.0.0.1")]
    assert (await _asgi_get("/metrics", "203.0.113.7", forged))[0] == 403
    # With a trusted proxy network configured, a peer outside it is still not believed.
    settings.TRUSTED_PROXY_NETWORKS = parse_networks(["10.0.0.0/8"])
    assert (await _asgi_get("/metrics", "203.0.113.7", forged))[0] == 403
    # Through the trusted proxy, the client is the hop it appended (the outside address): 403,
    # whatever the client put at the left of the header.
    chain = [(b"x-forwarded-for", b"127.0.0.1, 203.0.113.7")]
    assert (await _asgi_get("/metrics", "10.0.0.5", chain))[0] == 403


@pytest.mark.parametrize("header", [b"x-forwarded-for", b"forwarded", b"x-real-ip"])
async def test_a_proxy_on_the_same_host_that_is_not_trusted_does_not_open_it(header):
    # nginx on 127.0.0.1, not in TRUSTED_PROXIES: its peer address is loopback for every client.
    value = b"for=203.0.113.7" if header == b"forwarded" else b"203.0.113.7"
    status, _, _ = await _asgi_get("/metrics", "127.0.0.1", [(header, value)])
    assert status == 403


async def test_the_bearer_token(monkeypatch):
    monkeypatch.setenv("METRICS_TOKEN", "s3cret-metrics-token")
    good = [(b"authorization", b"Bearer s3cret-metrics-token")]
    assert (await _asgi_get("/metrics", "203.0.113.7", good))[0] == 200
    assert (await _asgi_get("/metrics", "203.0.113.7", [(b"authorization", b"bearer s3cret-metrics-token")]))[0] == 200
    for wrong in (b"Bearer s3cret-metrics-tokeN", b"Bearer ", b"Token s3cret-metrics-token", b"s3cret-metrics-token"):
        assert (await _asgi_get("/metrics", "203.0.113.7", [(b"authorization", wrong)]))[0] == 403, wrong
    assert (await _asgi_get("/metrics", "203.0.113.7"))[0] == 403
    # The token also lets a scraper behind a proxy in, and loopback stays open.
    assert (await _asgi_get("/metrics", "127.0.0.1", [(b"x-forwarded-for", b"203.0.113.7"), *good]))[0] == 200
    assert (await _asgi_get("/metrics", "127.0.0.1"))[0] == 200


async def test_no_token_configured_means_no_bearer_access(monkeypatch):
    monkeypatch.delenv("METRICS_TOKEN", raising=False)
    assert (await _asgi_get("/metrics", "203.0.113.7", [(b"authorization", b"Bearer ")]))[0] == 403


async def test_only_get_and_head():
    status, _, body = await _asgi_get("/metrics", "127.0.0.1", method="POST")
    assert status in (403, 405) and b"collective_" not in body  # CSRF refuses it first
    assert (await _asgi_get("/metrics", "127.0.0.1", method="HEAD"))[0] == 200


def test_metrics_is_not_in_the_openapi_schema(api_client):
    schema = api_client.get("/api/schema/?format=json").json()
    assert "/api/v1/me/" in schema["paths"]
    assert not [p for p in schema["paths"] if "metrics" in p]


# --- a walk through a real server -----------------------------------------------------------------
def _call(port: int, method: str, path: str, body: dict | None = None, token: str | None = None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Token {token}"
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as res:
            return res.status, json.loads(res.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a scrape: {(sample name, sorted labels): value}."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as res:
        text = res.read().decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def total(samples: dict, name: str, **labels: str) -> float:
    """The sum over every series of `name` whose labels include `labels`."""
    want = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and want <= set(ls))


async def _frame(ws, type_: str, timeout: float = 5) -> dict:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), max(0.01, deadline - loop.time())))
        if frame["type"] == type_:
            return frame


async def _socket(port: int, token: str, query: str = ""):
    status, body = await asyncio.to_thread(_call, port, "POST", "/api/v1/realtime/tickets/", {}, token)
    assert status == 201, body
    ws = await connect(f"ws://127.0.0.1:{port}/ws/?ticket={body['ticket']}{query}")
    hello = await _frame(ws, "hello")
    return ws, hello


@pytest.fixture
def walk_server(tmp_path):
    """An embedded `make run` (SQLite, in-memory layer, eager Celery) with the real Twilio client
    pointed at a local fake; single process, so the metrics are the default registry's."""
    fake = FakeTwilio(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN).start()
    env = embedded_env(
        tmp_path,
        TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        TWILIO_FROM_NUMBER="+15005550006",
        TWILIO_API_BASE_URL=fake.base_url,
        NOTIFICATIONS_SMS_DELAY_SECONDS="0",
        THROTTLE_REGISTER="1000/hour",
    )
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.pop("METRICS_TOKEN", None)
    migrate_embedded(env)
    port = free_port()
    log = tmp_path / "server.log"
    proc = start_uvicorn(port, env, log)
    try:
        wait_http_ready(port, proc, log)
        yield port, fake, tmp_path
    finally:
        stop(proc)
        fake.stop()
        print(f"--- server log ---\n{log.read_text()[-4000:]}")  # shown when the test fails


MESSAGES_ROUTE = "api/v1/threads/<int:thread_id>/messages/"


async def test_a_scripted_walk_shows_in_the_metrics(walk_server):
    port, fake, tmp = walk_server
    call = lambda *a, **k: asyncio.to_thread(_call, port, *a, **k)  # noqa: E731
    before = await asyncio.to_thread(scrape, port)

    # Two members register through the API; Bob verifies a phone (the code comes by SMS).
    _, alice = await call(
        "POST",
        "/api/v1/auth/register/",
        {"username": "alice_m", "email": "a@example.com", "password": "correct-horse-1"},
    )
    _, bob = await call(
        "POST", "/api/v1/auth/register/", {"username": "bob_m", "email": "b@example.com", "password": "correct-horse-2"}
    )
    assert alice["token"] and bob["token"]
    assert (await call("PATCH", "/api/v1/me/", {"settings": {"phone_number": "+14155550199"}}, bob["token"]))[0] == 200
    assert (await call("POST", "/api/v1/me/phone/verify/start/", {}, bob["token"]))[0] == 202
    (code_sms,) = fake.messages()
    code = re.search(r"\b(\d{6})\b", code_sms.form["Body"]).group(1)
    assert (await call("POST", "/api/v1/me/phone/verify/confirm/", {"code": code}, bob["token"]))[0] == 200

    # Bob online: a DM reaches his socket live.
    ws, hello = await _socket(port, bob["token"])
    status, thread = await call("POST", "/api/v1/threads/", {"user": bob["id"]}, alice["token"])
    assert status in (200, 201), thread
    messages = f"/api/v1/threads/{thread['id']}/messages/"
    assert (await call("POST", messages, {"body": "hello bob"}, alice["token"]))[0] == 201
    live = await _frame(ws, "message.created")
    await ws.send(json.dumps({"type": "ping"}))
    await _frame(ws, "pong")
    await ws.send(json.dumps({"type": "no.such.frame"}))
    assert (await _frame(ws, "error"))["data"]["code"] == "unknown_type"
    await ws.close()

    # Bob offline: the next DM is sent to his phone (through the fake Twilio) ...
    async def offline():
        return value(await asyncio.to_thread(scrape, port), "collective_presence_users_online") == 0

    for _ in range(50):
        if await offline():
            break
        await asyncio.sleep(0.1)
    assert (await call("POST", messages, {"body": "are you there?"}, alice["token"]))[0] == 201
    for _ in range(50):
        if len(fake.messages()) == 2:
            break
        await asyncio.sleep(0.1)
    assert len(fake.messages()) == 2 and "@alice_m sent you a message" in fake.messages()[1].form["Body"]

    # ... and his reconnect resumes from the last event he saw: the missed events are replayed.
    ws, _ = await _socket(port, bob["token"], f"&last_event_id={live['id']}")
    resumed = await _frame(ws, "resumed")
    replayed = resumed["data"]["last_event_id"] - live["id"]
    assert replayed >= 1
    # A resume from an id the stream never had: resync_required.
    await ws.send(json.dumps({"type": "resume", "last_event_id": 10**9}))
    await _frame(ws, "resync_required")

    after = await asyncio.to_thread(scrape, port)
    (tmp / "scrape.txt").write_text(
        urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
    )
    await ws.close()

    def delta(name: str, **labels: str) -> float:
        return total(after, name, **labels) - total(before, name, **labels)

    # HTTP: by route template and status, with latency.
    assert delta("collective_http_requests_total", route="api/v1/auth/register/", method="POST", status="201") == 2
    assert delta("collective_http_requests_total", route=MESSAGES_ROUTE, method="POST", status="201") == 2
    assert delta("collective_http_request_duration_seconds_count", route=MESSAGES_ROUTE, method="POST") == 2
    assert delta("collective_http_request_duration_seconds_sum", route=MESSAGES_ROUTE, method="POST") > 0
    assert delta("collective_http_requests_total", route="api/v1/realtime/tickets/", status="201") == 2
    assert not [ls for (n, ls) in after if n == "collective_http_requests_total" and "/api/v1/threads/1" in str(ls)]
    # Sockets: one open now (the second), two accepted; frames both ways by type.
    assert value(after, "collective_ws_open_sockets") == 1
    assert delta("collective_ws_connections_total", outcome="accepted") == 2
    assert delta("collective_ws_frames_in_total", type="ping") == 1
    assert delta("collective_ws_frames_in_total", type="resume") == 1
    assert delta("collective_ws_frames_rejected_total", code="unknown_type") == 1
    assert delta("collective_ws_frames_out_total", type="hello") == 2
    assert delta("collective_ws_frames_out_total", type="pong") == 1
    assert delta("collective_ws_frames_out_total", type="resumed") == 1
    assert delta("collective_ws_frames_out_total", type="message.created") == 2  # one live, one replayed
    # Events: two DMs, each to both participants; one delivered live, the missed ones replayed.
    assert delta("collective_events_published_total", type="message.created") == 4
    assert delta("collective_events_delivered_total", path="live") >= 1
    assert delta("collective_events_delivered_total", path="replay") == replayed
    assert delta("collective_ws_resumes_total", outcome="resumed") == 1
    assert delta("collective_ws_resumes_total", outcome="resync") == 1
    assert delta("collective_ws_replay_events_count") == 1
    assert delta("collective_ws_replay_events_sum") == replayed
    assert delta("collective_ws_resync_required_total") == 1
    assert delta("collective_channel_layer_failures_total") == 0
    # Presence: online twice, offline once; one user online at the scrape.
    assert delta("collective_presence_changes_total", status="online") == 2
    assert delta("collective_presence_changes_total", status="offline") == 1
    assert value(after, "collective_presence_users_online") == 1
    assert value(after, "collective_presence_entries") == 1
    # SMS: the code and the DM to the offline member.
    assert delta("collective_sms_sent_total", purpose="verification") == 1
    assert delta("collective_sms_sent_total", purpose="notification") == 1
    assert delta("collective_sms_failed_total") == 0
    # Celery (eager on the embedded default): the SMS tasks ran and succeeded.
    assert delta("collective_celery_tasks_total", task="messaging.tasks.notification_sms", outcome="succeeded") == 1
    assert delta("collective_celery_tasks_total", outcome="failed") == 0
    # SQLite: no pool; connections opened are counted.
    assert delta("collective_db_connections_opened_total", vendor="sqlite") >= 1
    assert total(after, "collective_db_pool_connections") == 0


def test_the_dashboard_queries_only_metrics_that_exist():
    from core.metrics import metric_names

    dashboard = json.loads((Path(__file__).resolve().parents[2] / "docs" / "grafana-dashboard.json").read_text())
    assert dashboard["schemaVersion"] >= 36
    assert any(v["type"] == "datasource" and v["query"] == "prometheus" for v in dashboard["templating"]["list"])
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    assert len(exprs) >= 12
    known = metric_names()
    used = set()
    for expr in exprs:
        found = set(re.findall(r"\bcollective_[a-z0-9_]+", expr))
        assert found, expr
        assert found <= known, (expr, found - known)
        used |= found
    # Every area of the metrics has a panel.
    for prefix in (
        "collective_http_",
        "collective_ws_",
        "collective_events_",
        "collective_channel_layer_",
        "collective_presence_",
        "collective_db_",
        "collective_celery_",
        "collective_sms_",
        "collective_payment_",
        "collective_stripe_",
    ):
        assert any(name.startswith(prefix) for name in used), prefix


async def test_routes_are_templates_and_unmatched_paths_one_series():
    from prometheus_client import REGISTRY

    def count(route: str, status: str) -> float:
        labels = {"route": route, "method": "GET", "status": status}
        return REGISTRY.get_sample_value("collective_http_requests_total", labels) or 0.0

    before = (count("unmatched", "404"), count("static", "200"), count("api/v1/offers/<int:pk>/", "404"))
    for n in range(3):
        assert (await _asgi_get(f"/no/such/page/{n}73519", "203.0.113.7"))[0] == 404
    assert (await _asgi_get("/static/rest_framework/css/bootstrap.min.css", "203.0.113.7"))[0] == 200
    assert (await _asgi_get("/api/v1/offers/987654/", "203.0.113.7"))[0] == 404
    after = (count("unmatched", "404"), count("static", "200"), count("api/v1/offers/<int:pk>/", "404"))
    assert [a - b for a, b in zip(after, before, strict=True)] == [3, 1, 1]
    series = [s.labels for f in REGISTRY.collect() if f.name == "collective_http_requests" for s in f.samples]
    assert not [labels for labels in series if "73519" in str(labels) or "987654" in str(labels)]
