"""Payments end to end through the official `stripe` library against the Stripe fake (a real
process: localstripe plus Connect and Checkout), with webhooks signed by Stripe's scheme and
delivered to the service as Stripe would (docs/payments.md)."""

from __future__ import annotations

import json
import logging

import pytest

from collective.models import Connection, CreditTransaction, Offer
from notifications.models import Notification
from payments.models import CreditPack, LedgerEntry, Payment, StripeEvent
from realtime.models import Event
from tests.conftest import client_for
from tests.factories import OfferFactory, UserFactory
from tests.fakes.stripe import DECLINED_CARD, sign

from .conftest import WEBHOOK, deliver, deliver_since, onboard, paid_connection_setup

pytestmark = pytest.mark.django_db


def _ledger(payment: Payment) -> list[tuple[str, int]]:
    return sorted((e.entry_type, e.amount_cents) for e in LedgerEntry.objects.filter(payment=payment))


def test_the_migration_loads_the_default_packs():
    import importlib

    from payments.models import DEFAULT_CREDIT_PACKS
    from payments.services import credit_packs_load

    migration = importlib.import_module("payments.migrations.0002_credit_packs")
    assert migration.PACKS == DEFAULT_CREDIT_PACKS
    assert credit_packs_load() == 0  # idempotent: the fixture loaded them


# --- without keys ---------------------------------------------------------------------------------


def test_without_keys_every_payment_endpoint_is_503_and_packs_are_listed(settings, user):
    settings.STRIPE_SECRET_KEY = ""
    settings.PAYMENT_BACKEND = ""
    client = client_for(user)
    calls = [
        ("post", "/api/v1/credit-packs/starter/buy/"),
        ("post", "/api/v1/connections/1/pay/"),
        ("post", "/api/v1/offers/1/buy/"),
        ("get", "/api/v1/payments/"),
        ("get", "/api/v1/payments/1/"),
        ("post", "/api/v1/payments/1/refresh/"),
        ("get", "/api/v1/payments/earnings/"),
        ("get", "/api/v1/payments/ledger/"),
        ("get", "/api/v1/payments/payout-account/"),
        ("post", "/api/v1/payments/payout-account/onboarding/"),
        ("post", WEBHOOK),
    ]
    for method, url in calls:
        response = getattr(client, method)(url)
        assert response.status_code == 503, (url, response.content)
        assert response.json()["code"] == "payments_not_configured", url
        assert response["Retry-After"], url
    packs = client.get("/api/v1/credit-packs/")
    assert packs.status_code == 200
    assert [(p["slug"], p["name"], p["price_cents"], p["currency"], p["credits"]) for p in packs.json()["results"]] == [
        ("starter", "Starter", 500, "usd", 100),
        ("builder", "Builder", 2000, "usd", 500),
        ("creator", "Creator", 5000, "usd", 1500),
    ]


# --- a paid connection -----------------------------------------------------------------------------


def test_pay_webhook_paid_then_in_progress(payments_on, django_capture_on_commit_callbacks):
    fake = payments_on
    s = paid_connection_setup(price=5000, fake=fake, capture=django_capture_on_commit_callbacks)
    buyer, seller, connection = s["buyer"], s["seller"], s["connection"]
    buyer_client, seller_client = client_for(buyer), client_for(seller)

    # Unpaid: work cannot start.
    response = seller_client.patch(f"/api/v1/connections/{connection.pk}/", {"status": "accepted"}, format="json")
    assert response.status_code == 200
    response = buyer_client.patch(f"/api/v1/connections/{connection.pk}/", {"status": "in_progress"}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "payment_required"

    # Only the buyer pays; an outsider sees nothing.
    assert seller_client.post(f"/api/v1/connections/{connection.pk}/pay/").json()["code"] == "not_the_buyer"
    assert client_for(UserFactory()).post(f"/api/v1/connections/{connection.pk}/pay/").status_code == 404

    Event.objects.all().delete()
    response = buyer_client.post(f"/api/v1/connections/{connection.pk}/pay/")
    assert response.status_code == 201, response.content
    payment = response.json()
    assert (payment["status"], payment["amount_cents"], payment["currency"], payment["platform_fee_cents"]) == (
        "open",
        5000,
        "usd",
        500,
    )
    assert payment["checkout_url"].startswith(fake.base_url + "/checkout/cs_")
    again = buyer_client.post(f"/api/v1/connections/{connection.pk}/pay/")
    assert again.status_code == 200 and again.json()["id"] == payment["id"]
    assert again.json()["checkout_url"] == payment["checkout_url"]
    connection.refresh_from_db()
    assert connection.payment_status == "pending"

    row = Payment.objects.get(pk=payment["id"])
    mark = fake.mark()
    paid = fake.pay(row.stripe_checkout_session_id)
    assert paid["status"] == "succeeded"
    delivered = deliver_since(buyer_client, fake, mark, capture=django_capture_on_commit_callbacks)
    assert {"payment_intent.succeeded", "checkout.session.completed"} <= {e["type"] for e in delivered}

    row.refresh_from_db()
    assert row.status == "succeeded" and row.paid_at is not None
    assert row.stripe_payment_intent_id == paid["payment_intent"]["id"]
    assert _ledger(row) == [("platform_fee", -500), ("sale", 5000)]
    assert set(LedgerEntry.objects.filter(payment=row).values_list("user_id", flat=True)) == {seller.pk}
    connection.refresh_from_db()
    assert connection.payment_status == "paid" and connection.paid_at is not None
    # The money went to the creator's Connect account, less the platform's fee.
    intent = fake.client().v1.payment_intents.retrieve(row.stripe_payment_intent_id)
    assert intent["transfer_data"]["destination"] == seller.payout_account.stripe_account_id
    assert intent["application_fee_amount"] == 500

    # Both participants were told, live.
    for user in (buyer, seller):
        types = list(Event.objects.filter(user=user).order_by("id").values_list("type", flat=True))
        assert "payment.updated" in types and "connection.updated" in types, (user, types)
    last = Event.objects.filter(user=seller, type="connection.updated").order_by("-id").first()
    assert last.data["connection"]["payment_status"] == "paid"
    # ... and in words: a receipt to the buyer, "you've been paid" to the seller (SMS fallback included).
    receipt = Notification.objects.get(recipient=buyer, kind="payment")
    assert receipt.title.startswith("Payment received: $50.00 USD") and receipt.url.endswith(f"/payments/{row.pk}")
    sale = Notification.objects.get(recipient=seller, kind="payment")
    assert sale.title.startswith(f"@{buyer.username} paid you $50.00 USD") and sale.url.endswith("/earnings")
    assert sale.sms_text.endswith("/earnings")

    response = buyer_client.patch(f"/api/v1/connections/{connection.pk}/", {"status": "in_progress"}, format="json")
    assert response.status_code == 200, response.content
    assert buyer_client.post(f"/api/v1/connections/{connection.pk}/pay/").json()["code"] == "already_paid"
    # The price is locked once paid.
    response = seller_client.post(
        f"/api/v1/connections/{connection.pk}/proposals/", {"amount_cents": 9000}, format="json"
    )
    assert response.status_code == 409 and response.json()["code"] == "price_locked"


def test_a_declined_card_fails_then_a_good_one_pays(payments_on, django_capture_on_commit_callbacks):
    fake = payments_on
    s = paid_connection_setup(price=2500, fake=fake, capture=django_capture_on_commit_callbacks)
    client = client_for(s["buyer"])
    payment = client.post(f"/api/v1/connections/{s['connection'].pk}/pay/").json()
    row = Payment.objects.get(pk=payment["id"])

    mark = fake.mark()
    assert fake.pay(row.stripe_checkout_session_id, card=DECLINED_CARD)["status"] == "declined"
    delivered = deliver_since(client, fake, mark, capture=django_capture_on_commit_callbacks)
    assert "payment_intent.payment_failed" in {e["type"] for e in delivered}
    row.refresh_from_db()
    assert row.status == "failed" and row.failure_code
    assert not LedgerEntry.objects.filter(payment=row).exists()
    s["connection"].refresh_from_db()
    assert s["connection"].payment_status == "failed"
    declined = Notification.objects.get(recipient=s["buyer"], kind="payment")
    assert "was declined" in declined.title and declined.body
    assert not Notification.objects.filter(recipient=s["seller"], kind="payment").exists()
    # The same checkout is offered again.
    again = client.post(f"/api/v1/connections/{s['connection'].pk}/pay/")
    assert again.status_code == 200 and again.json()["id"] == row.pk and again.json()["checkout_url"]

    mark = fake.mark()
    assert fake.pay(row.stripe_checkout_session_id)["status"] == "succeeded"
    deliver_since(client, fake, mark, capture=django_capture_on_commit_callbacks)
    row.refresh_from_db()
    assert row.status == "succeeded" and row.failure_code == ""
    assert _ledger(row) == [("platform_fee", -250), ("sale", 2500)]


def test_duplicated_and_out_of_order_webhooks_change_nothing_twice(payments_on, django_capture_on_commit_callbacks):
    fake = payments_on
    s = paid_connection_setup(price=4000, fake=fake, capture=django_capture_on_commit_callbacks)
    client = client_for(s["buyer"])
    row = Payment.objects.get(pk=client.post(f"/api/v1/connections/{s['connection'].pk}/pay/").json()["id"])
    mark = fake.mark()
    paid = fake.pay(row.stripe_checkout_session_id)
    # Stripe refunds (from its dashboard, say) before any webhook of the payment arrived.
    fake.client().v1.refunds.create(params={"payment_intent": paid["payment_intent"]["id"], "amount": 1000})
    fake.wait_outbox("charge.refunded", since=mark)
    entries = fake.outbox(mark)
    # Newest first, each three times: charge.refunded arrives before payment_intent.succeeded.
    for entry in reversed(entries):
        for _ in range(3):
            with django_capture_on_commit_callbacks(execute=True):
                assert deliver(client, entry).status_code == 200
    row.refresh_from_db()
    assert row.status == "partially_refunded" and row.refunded_cents == 1000
    assert _ledger(row) == [("fee_refund", 100), ("platform_fee", -400), ("refund", -1000), ("sale", 4000)]
    for entry in entries:
        stored = StripeEvent.objects.get(event_id=entry["event_id"])
        assert stored.deliveries == 3 and stored.processed_at is not None
    assert StripeEvent.objects.filter(event_id__in=[e["event_id"] for e in entries]).count() == len(entries)


def test_forged_missing_or_stale_signatures_are_400_and_logged(payments_on, user, caplog):
    fake = payments_on
    client = client_for(user)
    body = json.dumps(
        {"id": "evt_forged", "object": "event", "type": "payment_intent.succeeded", "data": {"object": {}}}
    )
    cases = {
        "wrong secret": sign(body.encode(), "whsec_not_the_secret"),
        "missing": None,
        "garbage": "t=1,v1=deadbeef",
        "stale": sign(body.encode(), fake.webhook_secret, timestamp=1_000_000_000),
    }
    for name, header in cases.items():
        extra = {"HTTP_STRIPE_SIGNATURE": header} if header else {}
        with caplog.at_level(logging.WARNING, logger="payments.api.webhooks.views"):
            response = client.post(WEBHOOK, data=body, content_type="application/json", **extra)
        assert response.status_code == 400, name
        assert response.json()["code"] == "invalid_stripe_signature", name
    # A valid signature over another body does not sign this one.
    other = sign(b'{"id": "evt_other"}', fake.webhook_secret)
    response = client.post(WEBHOOK, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=other)
    assert response.status_code == 400
    assert not StripeEvent.objects.filter(event_id="evt_forged").exists()
    assert sum("webhook refused" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING) >= 4


def test_cancelling_a_paid_connection_refunds_it(payments_on, django_capture_on_commit_callbacks):
    fake = payments_on
    s = paid_connection_setup(price=3000, fake=fake, capture=django_capture_on_commit_callbacks)
    buyer, connection = s["buyer"], s["connection"]
    client = client_for(buyer)
    row = Payment.objects.get(pk=client.post(f"/api/v1/connections/{connection.pk}/pay/").json()["id"])
    mark = fake.mark()
    fake.pay(row.stripe_checkout_session_id)
    deliver_since(client, fake, mark, capture=django_capture_on_commit_callbacks)
    assert (
        client_for(s["seller"])
        .patch(f"/api/v1/connections/{connection.pk}/", {"status": "accepted"}, format="json")
        .status_code
        == 200
    )
    assert (
        client.patch(f"/api/v1/connections/{connection.pk}/", {"status": "in_progress"}, format="json").status_code
        == 200
    )

    mark = fake.mark()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.patch(f"/api/v1/connections/{connection.pk}/", {"status": "cancelled"}, format="json")
    assert response.status_code == 200, response.content
    row.refresh_from_db()
    assert row.status == "refunded" and row.refunded_cents == 3000 and row.refunded_at is not None
    assert _ledger(row) == [("fee_refund", 300), ("platform_fee", -300), ("refund", -3000), ("sale", 3000)]
    connection.refresh_from_db()
    assert connection.payment_status == "refunded"
    # Stripe reversed the transfer and gave the fee back.
    refunds = fake.client().v1.refunds.list(params={"payment_intent": row.stripe_payment_intent_id})
    assert [r["amount"] for r in refunds["data"]] == [3000]
    # Its webhook comes later and changes nothing.
    deliver_since(client, fake, mark, capture=django_capture_on_commit_callbacks)
    assert _ledger(row) == [("fee_refund", 300), ("platform_fee", -300), ("refund", -3000), ("sale", 3000)]
    statuses = [
        e.data["connection"]["payment_status"]
        for e in Event.objects.filter(user=s["seller"], type="connection.updated").order_by("id")
    ]
    assert statuses[-2:] == ["refund_pending", "refunded"]


def test_a_dispute_is_recorded(payments_on, django_capture_on_commit_callbacks):
    fake = payments_on
    s = paid_connection_setup(price=2000, fake=fake, capture=django_capture_on_commit_callbacks)
    client = client_for(s["buyer"])
    row = Payment.objects.get(pk=client.post(f"/api/v1/connections/{s['connection'].pk}/pay/").json()["id"])
    mark = fake.mark()
    fake.pay(row.stripe_checkout_session_id)
    deliver_since(client, fake, mark, capture=django_capture_on_commit_callbacks)
    row.refresh_from_db()
    mark = fake.mark()
    dispute = {
        "id": "dp_test_1",
        "object": "dispute",
        "amount": 2000,
        "currency": "usd",
        "charge": row.stripe_charge_id,
        "payment_intent": row.stripe_payment_intent_id,
        "reason": "fraudulent",
        "status": "needs_response",
    }
    fake.send_event("charge.dispute.created", dispute)
    deliver_since(client, fake, mark, times=2, capture=django_capture_on_commit_callbacks)
    row.refresh_from_db()
    assert row.status == "disputed"
    assert ("dispute", -2000) in _ledger(row)
    assert LedgerEntry.objects.filter(entry_type="dispute").count() == 1
    s["connection"].refresh_from_db()
    assert s["connection"].payment_status == "disputed"


# --- credit packs -------------------------------------------------------------------------------------


def test_a_credit_pack_is_credited_once_despite_three_deliveries(payments_on, user, django_capture_on_commit_callbacks):
    fake = payments_on
    client = client_for(user)
    response = client.post("/api/v1/credit-packs/builder/buy/")
    assert response.status_code == 201, response.content
    assert client.post("/api/v1/credit-packs/builder/buy/").json()["id"] == response.json()["id"]  # a double click
    row = Payment.objects.get(pk=response.json()["id"])
    assert (row.kind, row.amount_cents, row.seller_id, row.platform_fee_cents) == ("credit_pack", 2000, None, 0)
    mark = fake.mark()
    fake.pay(row.stripe_checkout_session_id)
    fake.wait_outbox("checkout.session.completed", since=mark)
    deliver_since(client, fake, mark, times=3, capture=django_capture_on_commit_callbacks)
    user.refresh_from_db()
    row.refresh_from_db()
    assert user.credit_balance == 500
    purchases = CreditTransaction.objects.filter(user=user, transaction_type="purchase")
    assert [(p.amount, p.stripe_payment_intent_id) for p in purchases] == [(500, row.stripe_payment_intent_id)]
    row.refresh_from_db()
    assert row.status == "succeeded" and _ledger(row) == [("sale", 2000)]
    assert client.get("/api/v1/me/").json()["credit_balance"] == 500
    # A new purchase of the same pack is a new payment.
    assert client.post("/api/v1/credit-packs/builder/buy/").json()["id"] != row.pk


@pytest.mark.parametrize(("amount", "currency"), [(1, "usd"), (500, "eur")])
def test_amount_or_currency_tampering_is_refused(
    payments_on, user, amount, currency, django_capture_on_commit_callbacks
):
    """A PaymentIntent that names our payment but not its amount or currency credits nothing."""
    fake = payments_on
    client = client_for(user)
    row = Payment.objects.get(pk=client.post("/api/v1/credit-packs/starter/buy/").json()["id"])
    stripe = fake.client()
    method = stripe.v1.payment_methods.create(
        params={"type": "card", "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}}
    )
    mark = fake.mark()
    stripe.v1.payment_intents.create(
        params={
            "amount": amount,
            "currency": currency,
            "payment_method": method["id"],
            "confirm": True,
            "metadata": {"payment_id": str(row.pk)},
        }
    )
    fake.wait_outbox("payment_intent.succeeded", since=mark)
    deliver_since(client, fake, mark, capture=django_capture_on_commit_callbacks)
    row.refresh_from_db()
    assert row.status == "mismatch" and row.failure_code == "mismatch"
    user.refresh_from_db()
    assert user.credit_balance == 0
    assert not CreditTransaction.objects.filter(user=user).exists()
    assert not LedgerEntry.objects.filter(payment=row).exists()


# --- buying an offer -----------------------------------------------------------------------------------


def test_buying_a_fixed_price_app(payments_on, django_capture_on_commit_callbacks):
    fake = payments_on
    seller, buyer = UserFactory(), UserFactory()
    onboard(fake, seller, django_capture_on_commit_callbacks)
    app = OfferFactory(user=seller, offer_type="app", is_paid=True, price_cents=1500, pricing_type="one_time")
    client = client_for(buyer)
    assert client_for(seller).post(f"/api/v1/offers/{app.pk}/buy/").json()["code"] == "own_offer"
    free = OfferFactory(user=seller, offer_type="app")
    assert client.post(f"/api/v1/offers/{free.pk}/buy/").json()["code"] == "offer_not_for_sale"
    service = OfferFactory(user=seller, offer_type="service", is_paid=True, price_cents=900, pricing_type="hourly")
    assert client.post(f"/api/v1/offers/{service.pk}/buy/").json()["code"] == "offer_not_for_sale"
    assert client.post("/api/v1/offers/999999/buy/").status_code == 404

    response = client.post(f"/api/v1/offers/{app.pk}/buy/")
    assert response.status_code == 201, response.content
    row = Payment.objects.get(pk=response.json()["id"])
    mark = fake.mark()
    fake.pay(row.stripe_checkout_session_id)
    deliver_since(client, fake, mark, capture=django_capture_on_commit_callbacks)
    row.refresh_from_db()
    assert row.status == "succeeded" and _ledger(row) == [("platform_fee", -150), ("sale", 1500)]
    # Recorded and visible to both sides, to nobody else.
    bought = client.get("/api/v1/payments/?role=buyer&kind=offer").json()["results"]
    sold = client_for(seller).get("/api/v1/payments/?role=seller").json()["results"]
    assert [p["id"] for p in bought] == [row.pk] and [p["id"] for p in sold] == [row.pk]
    assert bought[0]["offer"] == app.pk and bought[0]["checkout_url"] is None
    assert client_for(UserFactory()).get(f"/api/v1/payments/{row.pk}/").status_code == 404
    assert client.post(f"/api/v1/offers/{app.pk}/buy/").json()["code"] == "already_paid"
    Offer.objects.filter(pk=app.pk).update(price_cents=2000)


def test_seller_without_payouts_cannot_be_paid(payments_on, django_capture_on_commit_callbacks):
    seller, buyer = UserFactory(), UserFactory()
    app = OfferFactory(user=seller, offer_type="course", is_paid=True, price_cents=1500, pricing_type="one_time")
    response = client_for(buyer).post(f"/api/v1/offers/{app.pk}/buy/")
    assert response.status_code == 409 and response.json()["code"] == "seller_not_payable"
    assert not Payment.objects.exists()


# --- earnings, refresh, provider down ---------------------------------------------------------------


def test_earnings_sum_sales_fees_refunds_and_payouts(payments_on, django_capture_on_commit_callbacks):
    fake = payments_on
    s = paid_connection_setup(price=10000, fake=fake, capture=django_capture_on_commit_callbacks)
    seller = s["seller"]
    client = client_for(s["buyer"])
    row = Payment.objects.get(pk=client.post(f"/api/v1/connections/{s['connection'].pk}/pay/").json()["id"])
    mark = fake.mark()
    paid = fake.pay(row.stripe_checkout_session_id)
    fake.client().v1.refunds.create(params={"payment_intent": paid["payment_intent"]["id"], "amount": 2500})
    account = seller.payout_account.stripe_account_id
    fake.send_event(
        "payout.paid", {"id": "po_test_1", "object": "payout", "amount": 5000, "currency": "usd"}, account=account
    )
    deliver_since(client, fake, mark, times=2, capture=django_capture_on_commit_callbacks)
    earnings = client_for(seller).get("/api/v1/payments/earnings/").json()
    assert earnings["sales_count"] == 1
    assert earnings["payout_account"]["status"] == "active"
    assert earnings["totals"] == [
        {
            "currency": "usd",
            "sales_cents": 10000,
            "fees_cents": -1000,
            "refunds_cents": -2500,
            "fee_refunds_cents": 250,
            "disputes_cents": 0,
            "payouts_cents": -5000,
            "net_cents": 6750,
            "balance_cents": 1750,
        }
    ]
    ledger = client_for(seller).get("/api/v1/payments/ledger/").json()["results"]
    assert sorted(e["entry_type"] for e in ledger) == ["fee_refund", "payout", "platform_fee", "refund", "sale"]
    assert client.get("/api/v1/payments/earnings/").json()["totals"] == []  # the buyer earned nothing


def test_refresh_reads_the_state_when_no_webhook_came(payments_on, user, django_capture_on_commit_callbacks):
    fake = payments_on
    client = client_for(user)
    row = Payment.objects.get(pk=client.post("/api/v1/credit-packs/starter/buy/").json()["id"])
    fake.pay(row.stripe_checkout_session_id)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/payments/{row.pk}/refresh/")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "succeeded"
    user.refresh_from_db()
    assert user.credit_balance == 100


def test_provider_down_is_a_fast_503_and_the_retry_reuses_the_payment(payments_on, settings, user):
    from tests.procs import free_port

    settings.STRIPE_API_BASE = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    client = client_for(user)
    response = client.post("/api/v1/credit-packs/creator/buy/")
    assert response.status_code == 503 and response.json()["code"] == "payment_provider_unavailable"
    assert response["Retry-After"] == "2"
    assert Payment.objects.get().stripe_checkout_session_id == ""
    settings.STRIPE_API_BASE = payments_on.base_url
    response = client.post("/api/v1/credit-packs/creator/buy/")
    assert response.status_code == 200 and response.json()["checkout_url"]
    assert Payment.objects.count() == 1


def test_packs_are_data(payments_on, user):
    CreditPack.objects.create(slug="tiny", name="Tiny", price_cents=100, credits=10, sort_order=0)
    CreditPack.objects.filter(slug="creator").update(is_active=False)
    slugs = [p["slug"] for p in client_for(user).get("/api/v1/credit-packs/").json()["results"]]
    assert slugs == ["tiny", "starter", "builder"]
    assert client_for(user).post("/api/v1/credit-packs/creator/buy/").status_code == 404


def test_connection_payload_carries_the_payment_state(payments_on, django_capture_on_commit_callbacks):
    s = paid_connection_setup(price=1200, fake=payments_on, capture=django_capture_on_commit_callbacks)
    data = client_for(s["buyer"]).get(f"/api/v1/connections/{s['connection'].pk}/").json()
    assert (data["agreed_price_cents"], data["currency"], data["payment_status"]) == (1200, "usd", "none")
    assert Connection.objects.get(pk=s["connection"].pk).needs_payment


def test_an_agents_sales_go_to_its_owners_account(payments_on, django_capture_on_commit_callbacks):
    """Seed 001 sprint 9: an agent's payments go through its owner's Connect account."""
    from collective.models import AgentProfile

    fake = payments_on
    owner, buyer = UserFactory(), UserFactory()
    agent = UserFactory(role="agent")
    AgentProfile.objects.create(user=agent, owner=owner)
    onboard(fake, owner, django_capture_on_commit_callbacks)
    course = OfferFactory(user=agent, offer_type="course", is_paid=True, price_cents=2000, pricing_type="one_time")
    client = client_for(buyer)
    row = Payment.objects.get(pk=client.post(f"/api/v1/offers/{course.pk}/buy/").json()["id"])
    assert (row.seller_id, row.destination_account) == (agent.pk, owner.payout_account.stripe_account_id)
    mark = fake.mark()
    fake.pay(row.stripe_checkout_session_id)
    deliver_since(client, fake, mark, capture=django_capture_on_commit_callbacks)
    row.refresh_from_db()
    assert row.status == "succeeded"
    assert set(LedgerEntry.objects.filter(payment=row).values_list("user_id", flat=True)) == {owner.pk}
    assert client_for(owner).get("/api/v1/payments/earnings/").json()["totals"][0]["net_cents"] == 1800
