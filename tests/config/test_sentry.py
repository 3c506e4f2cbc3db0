"""Error tracking (core/sentry.py): on only with SENTRY_DSN; an event from a real error in a view
reaches a real HTTP ingest endpoint (a local server standing in for Sentry) with the user's id and
the request id, and without the request body, message text, phone numbers, e-mails, tokens or
cookies."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import threading
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sentry_sdk
from django.urls import include, path
from rest_framework.response import Response
from rest_framework.views import APIView

import config.urls
from core import sentry
from tests.conftest import client_for
from tests.procs import ROOT, embedded_env, wait_for

PHONE, EMAIL, BODY = "+14155550199", "carol.private@example.com", "meet me behind the old mill at nine"


class _Boom(APIView):
    def post(self, request):
        # An error whose text names a phone number and an e-mail (as a careless message might).
        raise RuntimeError(f"could not text {PHONE} or mail {EMAIL}")


class _Fine(APIView):
    def get(self, request):
        return Response({"ok": True})


urlpatterns = [
    path("test-only/sentry-boom/", _Boom.as_view()),
    path("test-only/sentry-fine/", _Fine.as_view()),
    path("", include(config.urls)),
]


class Ingest:
    """A local HTTP server that takes what the SDK sends (envelopes) and keeps the raw bytes."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                encoding = self.headers.get("Content-Encoding", "")
                if encoding == "gzip":
                    raw = gzip.decompress(raw)
                elif encoding == "deflate":
                    raw = zlib.decompress(raw)
                elif encoding == "br":
                    import brotli  # type: ignore[import-not-found]

                    raw = brotli.decompress(raw)
                outer.bodies.append(raw)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def dsn(self) -> str:
        return f"http://public@127.0.0.1:{self.server.server_address[1]}/1"

    def events(self) -> list[dict]:
        found = []
        for body in self.bodies:
            lines = body.split(b"\n")
            for header, payload in zip(lines[1::2], lines[2::2], strict=False):
                if header and json.loads(header).get("type") == "event":
                    found.append(json.loads(payload))
        return found


@pytest.fixture
def ingest() -> Iterator[Ingest]:
    server = Ingest()
    server.thread.start()
    try:
        yield server
    finally:
        server.server.shutdown()
        server.server.server_close()


@pytest.fixture
def sentry_on(ingest: Ingest) -> Iterator[Ingest]:
    """Sentry initialised in this process as the settings do with SENTRY_DSN set; afterwards the
    process is back to no client (the integrations' hooks then do nothing)."""
    sentry.init(ingest.dsn, environment="test", release="collective@test")
    try:
        yield ingest
    finally:
        client = sentry_sdk.get_client()
        client.close()
        sentry_sdk.get_global_scope().set_client(None)


@pytest.mark.urls(__name__)
def test_a_view_error_arrives_with_user_and_request_id_and_nothing_private(sentry_on, user, db):
    client = client_for(user)
    client.raise_request_exception = False
    client.cookies["sessionid"] = "cookie-secret-value"
    token = client._credentials["HTTP_AUTHORIZATION"].split()[1]
    res = client.post(
        f"/test-only/sentry-boom/?phone={PHONE}",
        {"body": BODY, "phone_number": PHONE, "email": EMAIL},
        format="json",
        HTTP_X_REQUEST_ID="sentry-req-1",
    )
    assert res.status_code == 500 and res["X-Request-ID"] == "sentry-req-1"
    sentry_sdk.flush(timeout=5)
    events = wait_for(sentry_on.events, 10, "the event at the ingest endpoint")
    (event,) = events
    assert event["exception"]["values"][-1]["type"] == "RuntimeError"
    assert event["user"] == {"id": str(user.pk)}
    assert event["tags"]["request_id"] == "sentry-req-1"
    assert event["environment"] == "test" and event["release"] == "collective@test"
    assert "[phone]" in event["exception"]["values"][-1]["value"]
    assert "[email]" in event["exception"]["values"][-1]["value"]
    request = event.get("request", {})
    assert "data" not in request and "cookies" not in request and "query_string" not in request
    raw = b"".join(sentry_on.bodies)
    for secret in (BODY, PHONE, EMAIL, token, "cookie-secret-value", user.email, user.username):
        assert secret.encode() not in raw, secret
    assert b"14155550199" not in raw


@pytest.mark.urls(__name__)
def test_a_fine_request_sends_nothing(sentry_on, user, db):
    assert client_for(user).get("/test-only/sentry-fine/").status_code == 200
    sentry_sdk.flush(timeout=5)
    assert sentry_on.events() == []


def test_the_scrubber_masks_phones_and_emails_in_free_text():
    event = {
        "event_id": "0123456789abcdef0123456789abcdef",
        "message": "SMS to +1 (415) 555-0199 and 447700900123 failed; mail bob@example.org",
        "breadcrumbs": {"values": [{"message": f"texting {PHONE}", "data": {"to": PHONE}}]},
        "request": {"data": {"body": BODY}, "cookies": {"a": "b"}, "headers": {"Cookie": "a=b", "Host": "h"}},
        "user": {"id": 5, "email": EMAIL, "username": "carol", "ip_address": "203.0.113.9"},
    }
    out = sentry.scrub(event)
    assert out["message"] == "SMS to [phone] and [phone] failed; mail [email]"
    assert out["breadcrumbs"]["values"][0] == {"message": "texting [phone]", "data": {"to": "[phone]"}}
    assert out["request"] == {"headers": {"Host": "h"}}
    assert out["user"] == {"id": "5"}
    assert out["event_id"] == "0123456789abcdef0123456789abcdef"  # ids are not free text


def _probe(**env: str) -> dict:
    code = (
        "import django, json, sentry_sdk; django.setup(); c = sentry_sdk.get_client();"
        "print(json.dumps({'active': c.is_active(), 'integrations': sorted(getattr(c, 'integrations', {})),"
        "'pii': c.options.get('send_default_pii'), 'env': c.options.get('environment')}))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_without_sentry_dsn_sentry_is_not_initialised(tmp_path):
    env = embedded_env(tmp_path)
    env.pop("SENTRY_DSN", None)
    assert _probe(**env)["active"] is False


def test_with_sentry_dsn_it_is_with_django_celery_and_redis(tmp_path, ingest):
    probe = _probe(**embedded_env(tmp_path, SENTRY_DSN=ingest.dsn, SENTRY_ENVIRONMENT="staging"))
    assert probe["active"] is True and not probe["pii"] and probe["env"] == "staging"
    assert {"django", "celery", "redis"} <= set(probe["integrations"])
