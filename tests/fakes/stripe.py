"""Start the Stripe fake (tests/fakes/stripe_server.py) as a process of the test's own and talk to
its control endpoints.

    with running_stripe_fake("whsec_test") as fake:
        client = stripe.StripeClient(fake.api_key, base_addresses={"api": fake.base_url})
        session = client.v1.checkout.sessions.create({...})
        fake.pay(session.id)
        entry = fake.wait_outbox("checkout.session.completed")
        stripe.Webhook.construct_event(entry["payload"], entry["headers"]["Stripe-Signature"], fake.webhook_secret)

Every outbox entry is `{"seq", "event_id", "type", "payload" (the exact JSON text delivered),
"headers": {"Stripe-Signature", "Content-Type"}, "delivery"}`; `delivery` is None when no webhook
URL was set when the event was made, else `{"url", "status", "error", "done"}`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.procs import ROOT, free_port, stop, wait_for

GOOD_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000002"


def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """A `Stripe-Signature` header value by Stripe's scheme: `t=<ts>,v1=<hex HMAC-SHA256 of "<ts>.<payload>">`."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


class FakeStripeError(Exception):
    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"{status}: {body}")
        self.status = status
        self.body = body


@dataclass
class FakeStripe:
    base_url: str
    webhook_secret: str
    api_key: str = "sk_test_fake_0123456789"
    log: Path | None = None

    # --- plumbing
    def _call(self, method: str, path: str, body: dict | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base_url + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=10) as res:
                return json.loads(res.read())
        except urllib.error.HTTPError as exc:
            text = exc.read().decode(errors="replace")
            try:
                parsed: Any = json.loads(text)
            except ValueError:
                parsed = text
            raise FakeStripeError(exc.code, parsed) from None

    def healthy(self) -> bool:
        try:
            return bool(self._call("GET", "/_fake/health").get("ok"))
        except (OSError, FakeStripeError):
            return False

    # --- control
    def pay(self, session_id: str, card: str = GOOD_CARD) -> dict:
        """Pay a Checkout Session as its hosted page does: `{"session", "payment_intent", "status"
        ("succeeded" | "declined" | "requires_action"), "error"}`."""
        return self._call("POST", f"/_fake/checkout/{session_id}/pay", {"card": card})

    def complete_account(self, account_id: str) -> dict:
        """Finish a connected account's onboarding (emits `account.updated`): `{"account", "event_id", "seq"}`."""
        return self._call("POST", f"/_fake/accounts/{account_id}/complete", {})

    def send_event(self, type: str, obj: dict, account: str | None = None) -> dict:
        """Make, sign, record and deliver an arbitrary event; returns the event."""
        body: dict[str, Any] = {"type": type, "object": obj}
        if account:
            body["account"] = account
        return self._call("POST", "/_fake/events", body)["event"]

    def outbox(self, since: int = 0) -> list[dict]:
        return self._call("GET", f"/_fake/outbox?since={since}")

    def mark(self) -> int:
        """The sequence number of the latest outbox entry (0 if none): pass it as `since`."""
        entries = self.outbox()
        return entries[-1]["seq"] if entries else 0

    def wait_outbox(self, predicate_or_type: str | Callable[[dict], bool], since: int = 0, timeout: float = 10) -> dict:
        """The first outbox entry after `since` of that type (or matching the predicate)."""
        if isinstance(predicate_or_type, str):
            wanted = predicate_or_type

            def predicate(entry: dict) -> bool:
                return entry["type"] == wanted
        else:
            predicate = predicate_or_type

        def find() -> dict | None:
            return next((e for e in self.outbox(since) if predicate(e)), None)

        return wait_for(find, timeout, f"an outbox entry {predicate_or_type!r} after seq {since}", interval=0.05)

    def set_webhook_url(self, url: str | None) -> None:
        self._call("POST", "/_fake/webhook_url", {"url": url})

    @staticmethod
    def event(entry: dict) -> dict:
        return json.loads(entry["payload"])

    def client(self, **kwargs):
        """An official `stripe.StripeClient` pointed at the fake (no network retries)."""
        import stripe

        kwargs.setdefault("max_network_retries", 0)
        return stripe.StripeClient(self.api_key, base_addresses={"api": self.base_url}, **kwargs)


@contextmanager
def running_stripe_fake(
    webhook_secret: str, webhook_url: str | None = None, *, log: Path | None = None
) -> Iterator[FakeStripe]:
    """The fake on a free loopback port, ready; stopped when the block ends. Its output goes to
    `log` (if not given, a temporary file removed at the end; its tail is in the error if the fake
    fails to start)."""
    port = free_port()
    own_log = log is None
    if log is None:
        fd, name = tempfile.mkstemp(prefix=f"stripe-fake-{port}-", suffix=".log")
        os.close(fd)
        log = Path(name)
    args = [sys.executable, "-m", "tests.fakes.stripe_server", "--port", str(port), "--webhook-secret", webhook_secret]
    if webhook_url:
        args += ["--webhook-url", webhook_url]
    fake = FakeStripe(base_url=f"http://127.0.0.1:{port}", webhook_secret=webhook_secret, log=log)
    with log.open("ab") as out:
        proc = subprocess.Popen(args, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: proc.poll() is not None or fake.healthy(), 20, f"the Stripe fake on {port}", interval=0.05)
        if proc.poll() is not None:
            raise AssertionError(f"the Stripe fake exited ({proc.returncode}): {log.read_text()[-3000:]}")
        yield fake
    finally:
        stop(proc)
        if own_log:
            log.unlink(missing_ok=True)
