"""SMS and payment metrics, counted where the work happens (notifications/delivery.py,
payments/services.py), with the real Twilio client against a fake and the Stripe fake."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from notifications import texts
from notifications.delivery import sms_fallback_decide
from notifications.models import Notification
from notifications.services import notification_create
from notifications.tasks import notification_sms
from payments.models import Payment
from tests.conftest import client_for
from tests.factories import UserFactory
from tests.fakes.sms import _no_one_online, eager_celery, fake_twilio, go_online, phone_user  # noqa: F401
from tests.payments.conftest import _credit_packs, deliver_since, payments_on, stripe_fake  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


class Delta:
    """Counter values now, to compare with later."""

    def __init__(self, *series: tuple[str, dict[str, str]]) -> None:
        self.series = series
        self.before = [sample(name, **labels) for name, labels in series]

    def __call__(self) -> list[float]:
        return [sample(name, **labels) - b for (name, labels), b in zip(self.series, self.before, strict=True)]


@pytest.fixture(autouse=True)
def _site(settings) -> None:
    settings.SITE_URL = "https://collective.example"
    settings.NOTIFICATIONS = {"SMS_MAX_RETRIES": 2, "SMS_RETRY_BACKOFF_SECONDS": 1}


def _notify(user) -> Notification:
    actor = UserFactory()
    words = texts.connection_request(actor=actor.username, subject="Logo review", message="hi", connection_id=42)
    return notification_create(recipient=user, actor=actor, kind="connection_request", texts=words)


def test_sms_sent_failed_and_skipped_by_reason(fake_twilio):
    delta = Delta(
        ("collective_sms_sent_total", {"purpose": "notification"}),
        ("collective_sms_failed_total", {"reason": "permanent"}),
        ("collective_sms_failed_total", {"reason": "transient"}),
        ("collective_sms_failed_total", {"reason": "gave_up"}),
        ("collective_sms_skipped_total", {"reason": "online"}),
        ("collective_sms_skipped_total", {"reason": "no_verified_phone"}),
        ("collective_celery_tasks_total", {"task": "messaging.tasks.notification_sms", "outcome": "succeeded"}),
    )
    assert notification_sms.apply(args=[_notify(phone_user()).pk]).get()["status"] == "sent"
    fake_twilio.fail_next(400, 21211)  # an invalid number: permanent
    assert notification_sms.apply(args=[_notify(phone_user()).pk]).get()["status"] == "failed"
    fake_twilio.fail_next(500, 20500, times=10)  # three transient failures, then given up
    assert notification_sms.apply(args=[_notify(phone_user()).pk]).get()["status"] == "failed"
    fake_twilio.failures.clear()
    online = phone_user()
    go_online(online)
    assert sms_fallback_decide(notification_id=_notify(online).pk).reason == "online"
    assert sms_fallback_decide(notification_id=_notify(UserFactory()).pk).reason == "no_verified_phone"
    # A decided notification keeps its decision and is not counted twice.
    note = _notify(UserFactory())
    sms_fallback_decide(notification_id=note.pk)
    sms_fallback_decide(notification_id=note.pk)
    assert delta() == [1, 1, 3, 1, 1, 2, 3]


def test_payments_checkouts_transitions_and_webhooks(payments_on, user, django_capture_on_commit_callbacks):
    fake = payments_on
    delta = Delta(
        ("collective_payment_checkouts_total", {"kind": "credit_pack"}),
        ("collective_payment_transitions_total", {"status": "succeeded"}),
        ("collective_stripe_webhook_deliveries_total", {"delivery": "new"}),
        ("collective_stripe_webhook_deliveries_total", {"delivery": "duplicate"}),
        ("collective_stripe_events_processed_total", {"outcome": "synced"}),
    )
    client = client_for(user)
    response = client.post("/api/v1/credit-packs/builder/buy/")
    assert response.status_code == 201, response.content
    assert client.post("/api/v1/credit-packs/builder/buy/").json()["id"] == response.json()["id"]  # reused
    row = Payment.objects.get(pk=response.json()["id"])
    mark = fake.mark()
    fake.pay(row.stripe_checkout_session_id)
    fake.wait_outbox("checkout.session.completed", since=mark)
    entries = deliver_since(client, fake, mark, times=3, capture=django_capture_on_commit_callbacks)
    row.refresh_from_db()
    assert row.status == "succeeded"
    checkouts, succeeded, new, duplicate, synced = delta()
    assert (checkouts, succeeded) == (1, 1)
    assert (new, duplicate) == (len(entries), 2 * len(entries))
    assert 1 <= synced <= len(entries)
