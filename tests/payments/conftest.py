"""Fixtures of the payments tests: the Stripe fake as a process of the test session's own
(tests/fakes/stripe_server.py: localstripe plus Connect and Checkout), the settings that point the
official library at it, and helpers to deliver its signed webhooks to the service."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from collective.models import Connection, ConnectionType
from collective.services import negotiation
from payments.services import credit_packs_load
from tests.conftest import client_for
from tests.factories import OfferFactory, UserFactory
from tests.fakes.sms import eager_celery  # noqa: F401 - a fixture
from tests.fakes.stripe import FakeStripe, running_stripe_fake

WEBHOOK = "/api/v1/payments/stripe/webhook/"


@pytest.fixture(autouse=True)
def _credit_packs(request) -> None:
    if "db" in request.fixturenames or request.node.get_closest_marker("django_db"):
        credit_packs_load()  # the data migration's rows (tests run without migrations)


@pytest.fixture(scope="session")
def stripe_fake() -> Iterator[FakeStripe]:
    with running_stripe_fake(f"whsec_test_{secrets.token_hex(8)}") as fake:
        yield fake


@pytest.fixture
def payments_on(settings, stripe_fake: FakeStripe, eager_celery) -> FakeStripe:
    """Payments pointed at the fake. Tasks run in-process (the web tests' prod topology runs them
    on a real worker)."""
    settings.STRIPE_SECRET_KEY = stripe_fake.api_key
    settings.STRIPE_WEBHOOK_SECRET = stripe_fake.webhook_secret
    settings.STRIPE_API_BASE = stripe_fake.base_url
    settings.PAYMENTS = {**settings.PAYMENTS, "PLATFORM_FEE_PERCENT": 10, "MAX_NETWORK_RETRIES": 0}
    stripe_fake.set_webhook_url(None)  # the tests deliver the recorded events themselves
    return stripe_fake


def deliver(client, entry: dict):
    """POST one recorded webhook delivery, exactly as the fake signed it."""
    return client.post(
        WEBHOOK,
        data=entry["payload"].encode(),
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=entry["headers"]["Stripe-Signature"],
    )


def deliver_since(client, fake: FakeStripe, since: int, *, times: int = 1, capture=None) -> list[dict]:
    """Deliver every event the fake recorded after `since`, in order, each `times` times."""
    entries = fake.outbox(since)
    for entry in entries:
        for _ in range(times):
            if capture is not None:
                with capture(execute=True):
                    response = deliver(client, entry)
            else:
                response = deliver(client, entry)
            assert response.status_code == 200, response.content
    return entries


def onboard(fake: FakeStripe, user, capture) -> str:
    """Connect Express onboarding of `user` through the API and the fake, to an active account."""
    client = client_for(user)
    response = client.post("/api/v1/payments/payout-account/onboarding/")
    assert response.status_code == 200, response.content
    assert response.data["payout_account"]["status"] == "onboarding"
    account_id = user.payout_account.stripe_account_id
    assert response.data["url"].startswith(fake.base_url + f"/connect/onboard/{account_id}")
    mark = fake.mark()
    fake.complete_account(account_id)
    deliver_since(client, fake, mark, capture=capture)
    assert client.get("/api/v1/payments/payout-account/").data["payout_account"]["status"] == "active"
    return account_id


def paid_connection_setup(*, price: int = 5000, currency: str = "usd", fake: FakeStripe, capture) -> dict:
    """A buyer asks about a seller's service offer; they agree `price` through a proposal; the
    seller's payout account is active."""
    seller, buyer = UserFactory(), UserFactory()
    onboard(fake, seller, capture)
    offer = OfferFactory(user=seller, offer_type="service")
    response = client_for(buyer).post(
        "/api/v1/connections/",
        {"offer": offer.pk, "connection_type": ConnectionType.OFFER_INQUIRY, "initial_message": "Can you help?"},
        format="json",
    )
    assert response.status_code == 201, response.content
    connection = Connection.objects.get(pk=response.data["id"])
    proposal = negotiation.proposal_create(connection=connection, actor=seller, amount_cents=price, currency=currency)
    negotiation.proposal_accept(proposal=proposal, actor=buyer)
    connection.refresh_from_db()
    assert connection.agreed_price_cents == price
    return {"seller": seller, "buyer": buyer, "offer": offer, "connection": connection}
