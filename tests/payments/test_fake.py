"""The Stripe fake (tests/fakes/stripe_server.py) works through the official `stripe` library:
Connect onboarding, Checkout with a destination charge, declines, refunds, signed webhooks
(recorded in the outbox and delivered to a URL), the hosted pages. One fake process for the
module; no database."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import stripe

from tests.fakes.stripe import DECLINED_CARD, FakeStripe, running_stripe_fake, sign
from tests.procs import wait_for

SECRET = "whsec_test_fake_secret"


class Receiver:
    """A webhook endpoint: records every POST (body bytes and headers) and answers 200."""

    def __init__(self) -> None:
        self.received: list[tuple[bytes, dict[str, str]]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.received.append((body, dict(self.headers)))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhooks/stripe"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def browser(url: str, form: dict[str, str] | None = None) -> tuple[int, str, str]:
    """(status, Location, body) of a GET, or of a form POST, without following redirects."""
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    try:
        with OPENER.open(urllib.request.Request(url, data=data), timeout=10) as res:
            return res.status, res.headers.get("Location", ""), res.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Location", ""), exc.read().decode()


@pytest.fixture(scope="module")
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture(scope="module")
def fake(receiver) -> FakeStripe:
    with running_stripe_fake(SECRET, webhook_url=receiver.url) as fake:
        yield fake


@pytest.fixture(scope="module")
def client(fake) -> stripe.StripeClient:
    return fake.client()


def verified(fake: FakeStripe, entry: dict) -> stripe.Event:
    return stripe.Webhook.construct_event(entry["payload"], entry["headers"]["Stripe-Signature"], fake.webhook_secret)


def new_account(client, email: str = "seller@example.com"):
    return client.v1.accounts.create(
        {
            "type": "express",
            "country": "US",
            "email": email,
            "business_type": "individual",
            "capabilities": {"card_payments": {"requested": True}, "transfers": {"requested": True}},
            "metadata": {"user_id": "42"},
        }
    )


@pytest.fixture(scope="module")
def seller(fake, client):
    account = new_account(client)
    fake.complete_account(account.id)
    return client.v1.accounts.retrieve(account.id)


def session_params(destination: str | None, **extra) -> dict:
    params: dict = {
        "mode": "payment",
        "line_items": [
            {
                "price_data": {"currency": "usd", "unit_amount": 1500, "product_data": {"name": "An answer"}},
                "quantity": 2,
            }
        ],
        "success_url": "https://app.example/paid?session={CHECKOUT_SESSION_ID}",
        "cancel_url": "https://app.example/cancelled",
        "client_reference_id": "order-7",
        "customer_email": "buyer@example.com",
        "metadata": {"order": "7"},
        "payment_intent_data": {"metadata": {"order": "7", "ask": "99"}},
        "expires_at": int(time.time()) + 3600,
    }
    if destination:
        params["payment_intent_data"]["application_fee_amount"] = 300
        params["payment_intent_data"]["transfer_data"] = {"destination": destination}
    params.update(extra)
    return params


def test_express_account_onboarding_emits_a_signed_account_updated(fake, client):
    account = new_account(client)
    assert account.id.startswith("acct_") and account.object == "account" and account.type == "express"
    assert (account.charges_enabled, account.payouts_enabled, account.details_submitted) == (False, False, False)
    assert account.metadata["user_id"] == "42" and account.requirements.currently_due
    link = client.v1.account_links.create(
        {
            "account": account.id,
            "refresh_url": "https://app.example/refresh",
            "return_url": "https://app.example/return",
            "type": "account_onboarding",
        }
    )
    assert link.object == "account_link" and link.url.startswith(f"{fake.base_url}/connect/onboard/{account.id}?link=")
    assert link.expires_at > link.created
    since = fake.mark()

    answer = fake.complete_account(account.id)

    assert answer["account"]["charges_enabled"] is True
    entry = fake.wait_outbox("account.updated", since)
    event = verified(fake, entry)
    assert event.type == "account.updated" and event.account == account.id
    assert event.data.object.id == account.id and event.data.object.charges_enabled is True
    again = client.v1.accounts.retrieve(account.id)
    assert (again.charges_enabled, again.payouts_enabled, again.details_submitted) == (True, True, True)
    assert again.requirements.currently_due == []


def test_onboarding_page_completes_and_redirects_to_return_url(fake, client):
    account = new_account(client, "page@example.com")
    link = client.v1.account_links.create(
        {
            "account": account.id,
            "refresh_url": "https://app.example/refresh",
            "return_url": "https://app.example/return?acct=" + account.id,
            "type": "account_onboarding",
        }
    )
    status, _, body = browser(link.url)
    assert status == 200 and "Complete onboarding" in body

    status, location, _ = browser(link.url, form={})

    assert (status, location) == (303, "https://app.example/return?acct=" + account.id)
    assert client.v1.accounts.retrieve(account.id).charges_enabled is True


def test_destination_checkout_paid_with_the_good_card(fake, client, seller, receiver):
    session = client.v1.checkout.sessions.create(session_params(seller.id))
    assert session.id.startswith("cs_test_") and session.object == "checkout.session"
    assert session.url == f"{fake.base_url}/checkout/{session.id}"
    assert (session.status, session.payment_status, session.payment_intent) == ("open", "unpaid", None)
    assert (session.amount_total, session.amount_subtotal, session.currency) == (3000, 3000, "usd")
    assert session.metadata["order"] == "7" and session.client_reference_id == "order-7"
    since = fake.mark()

    result = fake.pay(session.id)

    assert result["status"] == "succeeded"
    succeeded = fake.wait_outbox("payment_intent.succeeded", since)
    completed = fake.wait_outbox("checkout.session.completed", since)
    assert succeeded["seq"] < completed["seq"]
    pi_event, cs_event = verified(fake, succeeded), verified(fake, completed)
    assert cs_event.data.object.id == session.id and cs_event.data.object.payment_status == "paid"
    pi_id = cs_event.data.object.payment_intent
    assert pi_event.data.object.id == pi_id

    pi = client.v1.payment_intents.retrieve(pi_id)
    assert (pi.amount, pi.currency, pi.status) == (3000, "usd", "succeeded")
    assert pi.metadata.to_dict() == {"order": "7", "ask": "99"}
    assert pi.transfer_data.destination == seller.id and pi.application_fee_amount == 300
    again = client.v1.checkout.sessions.retrieve(session.id)
    assert (again.status, again.payment_status, again.payment_intent) == ("complete", "paid", pi_id)
    line_items = client.v1.checkout.sessions.line_items.list(session.id)
    assert [(i.description, i.quantity, i.amount_total) for i in line_items.data] == [("An answer", 2, 3000)]

    # Delivered to the webhook URL: the recorded bytes and signature, accepted by the library.
    def delivered():
        return next(((b, h) for b, h in receiver.received if json.loads(b)["id"] == cs_event.id), None)

    body, headers = wait_for(delivered, 5, "the delivery of checkout.session.completed")
    assert (
        body.decode() == completed["payload"]
        and headers["Stripe-Signature"] == completed["headers"]["Stripe-Signature"]
    )
    assert stripe.Webhook.construct_event(body, headers["Stripe-Signature"], SECRET).id == cs_event.id


def test_declined_card_fails_the_payment_and_keeps_the_session_open(fake, client, seller):
    session = client.v1.checkout.sessions.create(session_params(seller.id))
    since = fake.mark()

    result = fake.pay(session.id, card=DECLINED_CARD)

    assert result["status"] == "declined"
    event = verified(fake, fake.wait_outbox("payment_intent.payment_failed", since))
    assert event.data.object.last_payment_error.code == "card_declined"
    again = client.v1.checkout.sessions.retrieve(session.id)
    assert (again.status, again.payment_status, again.payment_intent) == ("open", "unpaid", event.data.object.id)
    assert not [e for e in fake.outbox(since) if e["type"] == "checkout.session.completed"]

    assert fake.pay(session.id)["status"] == "succeeded"  # a retry on the same session
    assert client.v1.checkout.sessions.retrieve(session.id).payment_status == "paid"


def test_refund_emits_charge_refunded(fake, client, seller):
    session = client.v1.checkout.sessions.create(session_params(seller.id))
    pi_id = fake.pay(session.id)["payment_intent"]["id"]
    since = fake.mark()

    refund = client.v1.refunds.create({"payment_intent": pi_id, "amount": 1000})

    assert refund.status == "succeeded" and refund.amount == 1000
    event = verified(fake, fake.wait_outbox("charge.refunded", since))
    charge = event.data.object
    assert (charge.payment_intent, charge.amount_refunded, charge.refunded) == (pi_id, 1000, False)
    client.v1.refunds.create({"payment_intent": pi_id})  # the rest
    full = verified(fake, fake.wait_outbox("charge.refunded", fake.mark() - 1)).data.object
    assert (full.amount_refunded, full.refunded) == (3000, True)
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.refunds.create({"payment_intent": pi_id})
    assert info.value.code == "charge_already_refunded"
    pi = client.v1.payment_intents.retrieve(pi_id)
    assert isinstance(pi.latest_charge, str)  # an id unless expanded, as Stripe does
    retrieved = client.v1.charges.retrieve(pi.latest_charge)
    assert (retrieved.amount_refunded, retrieved.refunded, retrieved.payment_intent) == (3000, True, pi_id)
    expanded = client.v1.payment_intents.retrieve(pi_id, {"expand": ["latest_charge"]})
    assert expanded.latest_charge.amount_refunded == 3000


def test_signature_checks(fake):
    sent = fake.send_event("payout.paid", {"id": "po_1", "object": "payout", "amount": 100})
    entry = fake.wait_outbox(lambda e: e["event_id"] == sent["id"])
    event = verified(fake, entry)
    assert event.type == "payout.paid" and event.data.object.amount == 100
    header = entry["headers"]["Stripe-Signature"]
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(entry["payload"], header, "whsec_wrong")
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(entry["payload"].replace("100", "999"), header, SECRET)
    # The module-level helper signs as Stripe does (and so as the fake does).
    t = int(header.split(",")[0].removeprefix("t="))
    assert sign(entry["payload"].encode(), SECRET, t) == header
    payload = b'{"id": "evt_x", "object": "event", "type": "ping"}'
    assert stripe.Webhook.construct_event(payload, sign(payload, SECRET), SECRET).id == "evt_x"


def test_send_event_for_a_connected_account(fake, seller):
    dispute = {"id": "dp_1", "object": "dispute", "amount": 3000, "charge": "ch_1", "status": "needs_response"}

    event = fake.send_event("charge.dispute.created", dispute, account=seller.id)

    assert event["id"].startswith("evt_") and event["object"] == "event" and event["livemode"] is False
    assert event["account"] == seller.id and event["data"]["object"] == dispute and event["api_version"]
    entry = fake.wait_outbox(lambda e: e["event_id"] == event["id"])
    assert entry["headers"]["Content-Type"].startswith("application/json")
    assert verified(fake, entry).account == seller.id


def test_invalid_sessions_are_400s_with_the_param(client):
    pending = new_account(client, "pending@example.com")
    cases = [
        (session_params(pending.id), "payment_intent_data[transfer_data][destination]"),
        (session_params("acct_doesnotexist"), "payment_intent_data[transfer_data][destination]"),
        (  # a fee needs a destination
            session_params(None, payment_intent_data={"application_fee_amount": 100}),
            "payment_intent_data[application_fee_amount]",
        ),
        (session_params(None, success_url=None), "success_url"),
    ]
    bad_amount = session_params(None)
    bad_amount["line_items"][0]["price_data"]["unit_amount"] = 0
    cases.append((bad_amount, "line_items[0][price_data][unit_amount]"))
    bad_currency = session_params(None)
    bad_currency["line_items"][0]["price_data"]["currency"] = "USD"
    cases.append((bad_currency, "line_items[0][price_data][currency]"))
    for params, param in cases:
        params = {k: v for k, v in params.items() if v is not None}
        with pytest.raises(stripe.InvalidRequestError) as info:
            client.v1.checkout.sessions.create(params)
        assert info.value.http_status == 400 and info.value.param == param, (param, info.value)
        assert info.value.json_body["error"]["type"] == "invalid_request_error"


def test_fee_above_the_total_is_refused(client, seller):
    params = session_params(seller.id)
    params["payment_intent_data"]["application_fee_amount"] = 3001
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.checkout.sessions.create(params)
    assert info.value.param == "payment_intent_data[application_fee_amount]"


def test_hosted_page_pays_and_redirects_to_success_url(fake, client, seller):
    session = client.v1.checkout.sessions.create(session_params(seller.id))
    status, _, body = browser(session.url)
    assert status == 200
    assert "An answer" in body and "30.00 USD" in body and "Pay with a declined card" in body
    assert 'href="https://app.example/cancelled"' in body

    status, _, body = browser(f"{fake.base_url}/checkout/{session.id}/pay", {"card": DECLINED_CARD})
    assert status == 402 and "declined" in body
    status, location, _ = browser(f"{fake.base_url}/checkout/{session.id}/pay", {"card": "4242424242424242"})

    assert (status, location) == (303, f"https://app.example/paid?session={session.id}")
    assert client.v1.checkout.sessions.retrieve(session.id).payment_status == "paid"
    assert browser(session.url)[0] == 410  # no longer payable


def test_expire_emits_checkout_session_expired(fake, client):
    session = client.v1.checkout.sessions.create(session_params(None))
    since = fake.mark()

    expired = client.v1.checkout.sessions.expire(session.id)

    assert expired.status == "expired" and expired.url is None
    assert verified(fake, fake.wait_outbox("checkout.session.expired", since)).data.object.id == session.id
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.checkout.sessions.expire(session.id)


def test_module_level_api_base_and_events_endpoint(fake, client):
    event_id = fake.send_event("payout.paid", {"id": "po_2", "object": "payout"})["id"]
    saved = stripe.api_key, stripe.api_base, stripe.max_network_retries
    stripe.api_key, stripe.api_base, stripe.max_network_retries = fake.api_key, fake.base_url, 0
    try:
        assert stripe.Event.retrieve(event_id).type == "payout.paid"
    finally:
        stripe.api_key, stripe.api_base, stripe.max_network_retries = saved
    assert client.v1.events.retrieve(event_id).data.object.id == "po_2"


def test_webhook_url_can_change_and_failures_are_recorded(fake, receiver):
    fake.set_webhook_url("http://127.0.0.1:9/nothing-listens-here")
    try:
        event = fake.send_event("payout.failed", {"id": "po_3", "object": "payout"})
        entry = fake.wait_outbox(lambda e: e["event_id"] == event["id"] and e["delivery"]["done"])
        assert entry["delivery"]["error"] and entry["delivery"]["status"] is None
    finally:
        fake.set_webhook_url(receiver.url)
    fake.set_webhook_url(None)
    try:
        event = fake.send_event("payout.canceled", {"id": "po_4", "object": "payout"})
        assert fake.wait_outbox(lambda e: e["event_id"] == event["id"])["delivery"] is None
    finally:
        fake.set_webhook_url(receiver.url)
