"""Parallel webhook deliveries on PostgreSQL: Stripe retries and redelivers, a load balancer spreads
the copies over processes, and they race. The result is one stored event per Stripe event, one
ledger row per money movement, and the credits bought once."""

from __future__ import annotations

import random
import threading

import pytest
from django.db import connection as db_connection

from collective.models import CreditTransaction
from payments.models import LedgerEntry, Payment, StripeEvent
from tests.conftest import client_for
from tests.factories import UserFactory

from .conftest import deliver, paid_connection_setup

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

COPIES = 6


@pytest.fixture(autouse=True)
def _celery_join_flag():
    """Eager `Task.apply` sets Celery's "a join would block" flag around the task, and that flag is
    one process-wide global, not per thread: tasks applied in parallel threads can restore each
    other's value and leave it set, and every later eager `.get()` in this process then raises
    "Never call result.get() within a task!". Put it back after the race (the service never
    calls `.get()`; only tests do)."""
    from celery._state import _set_task_join_will_block

    yield
    _set_task_join_will_block(False)


def _race(entries: list[dict]) -> list[int]:
    barrier = threading.Barrier(COPIES)
    statuses: list[int] = []
    lock = threading.Lock()
    client = client_for(UserFactory())  # any client: the webhook needs no authentication

    def run(seed: int) -> None:
        mine = list(entries)
        random.Random(seed).shuffle(mine)  # every copy in its own order
        try:
            barrier.wait(timeout=10)
            for entry in mine:
                code = deliver(client, entry).status_code
                with lock:
                    statuses.append(code)
        finally:
            db_connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(COPIES)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return statuses


def test_parallel_deliveries_of_a_credit_pack_purchase_credit_once(payments_on):
    fake = payments_on
    buyer = UserFactory()
    row = Payment.objects.get(pk=client_for(buyer).post("/api/v1/credit-packs/creator/buy/").json()["id"])
    mark = fake.mark()
    fake.pay(row.stripe_checkout_session_id)
    fake.wait_outbox("checkout.session.completed", since=mark)
    entries = fake.outbox(mark)

    statuses = _race(entries)
    assert statuses == [200] * (COPIES * len(entries))
    for entry in entries:
        stored = StripeEvent.objects.get(event_id=entry["event_id"])
        assert stored.deliveries == COPIES and stored.processed_at is not None
    buyer.refresh_from_db()
    assert buyer.credit_balance == 1500
    assert CreditTransaction.objects.filter(user=buyer, transaction_type="purchase").count() == 1
    assert list(LedgerEntry.objects.filter(payment=row).values_list("entry_type", "amount_cents")) == [("sale", 5000)]


def test_parallel_deliveries_of_a_connection_payment_write_one_sale(payments_on, django_capture_on_commit_callbacks):
    fake = payments_on
    s = paid_connection_setup(price=7000, fake=fake, capture=django_capture_on_commit_callbacks)
    row = Payment.objects.get(
        pk=client_for(s["buyer"]).post(f"/api/v1/connections/{s['connection'].pk}/pay/").json()["id"]
    )
    mark = fake.mark()
    paid = fake.pay(row.stripe_checkout_session_id)
    fake.client().v1.refunds.create(params={"payment_intent": paid["payment_intent"]["id"], "amount": 700})
    fake.wait_outbox("charge.refunded", since=mark)
    entries = fake.outbox(mark)

    assert set(_race(entries)) == {200}
    row.refresh_from_db()
    assert (row.status, row.refunded_cents) == ("partially_refunded", 700)
    assert sorted(LedgerEntry.objects.filter(payment=row).values_list("entry_type", "amount_cents")) == [
        ("fee_refund", 70),
        ("platform_fee", -700),
        ("refund", -700),
        ("sale", 7000),
    ]
    s["connection"].refresh_from_db()
    assert s["connection"].payment_status == "paid"
