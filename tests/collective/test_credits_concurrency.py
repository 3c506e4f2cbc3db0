"""The no-negative rule under parallel requests, on PostgreSQL with real threads."""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from django.db import connection as db_connection

from collective.models import CreditTransaction, PointsTransaction, User
from collective.services.credits import credits_apply, credits_bonus, credits_convert_points, economy_reference_load
from tests.conftest import client_for
from tests.factories import UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _reference_data() -> None:
    economy_reference_load()


def _parallel(calls: list[Callable[[], Any]]) -> list[Any]:
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = call()
        except Exception as exc:  # reported to the test
            results[i] = exc
        finally:
            db_connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a request hung (deadlock?)"
    return results


def test_parallel_spends_cannot_overdraw():
    user = UserFactory()
    credits_bonus(user=user, amount=12, description="seed")
    client = client_for(user)
    results = _parallel([lambda: client.post("/api/v1/credits/spend/", {"feature": "social-clip"}) for _ in range(8)])
    codes = sorted(r.status_code for r in results)
    assert codes == [201, 201] + [409] * 6, [getattr(r, "data", r) for r in results]
    user.refresh_from_db()
    assert user.credit_balance == 2
    balances = list(CreditTransaction.objects.filter(user=user).order_by("pk").values_list("balance_after", flat=True))
    assert balances == [12, 7, 2]


def test_parallel_gifts_and_conversions_cannot_overdraw_points():
    giver, friends = UserFactory(), [UserFactory() for _ in range(4)]
    # Points received from another person: giftable (docs/economy.md), unlike self-earned ones.
    PointsTransaction.objects.create(
        user=giver, action="gift_received", amount=300, related_user=UserFactory(), balance_after=300
    )
    User.objects.filter(pk=giver.pk).update(total_points=300)
    client = client_for(giver)
    calls = [lambda f=f: client.post("/api/v1/gifts/", {"to": f.pk, "points": 100}) for f in friends]
    calls += [lambda: client.post("/api/v1/credits/convert/", {"points": 100}) for _ in range(2)]
    results = _parallel(calls)
    assert sorted(r.status_code for r in results).count(409) == 3, [getattr(r, "data", r) for r in results]
    giver.refresh_from_db()
    assert giver.total_points == 0
    received = sum(User.objects.get(pk=f.pk).total_points for f in friends)
    assert received + 10 * User.objects.get(pk=giver.pk).credit_balance == 300
    assert sum(PointsTransaction.objects.filter(user=giver).values_list("amount", flat=True)) == 300 - 300


def test_parallel_credit_gifts_both_ways_do_not_deadlock():
    a, b = UserFactory(), UserFactory()
    # Bought credits: giftable (a bonus is not; docs/economy.md, "What can be gifted").
    credits_apply(user=a, amount=50, transaction_type="purchase", stripe_payment_intent_id="pi_a")
    credits_apply(user=b, amount=50, transaction_type="purchase", stripe_payment_intent_id="pi_b")
    ca, cb = client_for(a), client_for(b)
    calls = []
    for _ in range(5):
        calls.append(lambda: ca.post("/api/v1/gifts/", {"to": b.pk, "credits": 10}))
        calls.append(lambda: cb.post("/api/v1/gifts/", {"to": a.pk, "credits": 10}))
    results = _parallel(calls)
    assert [r.status_code for r in results] == [201] * 10
    assert User.objects.get(pk=a.pk).credit_balance + User.objects.get(pk=b.pk).credit_balance == 100


def test_parallel_gifts_cannot_spend_more_than_the_giftable_points():
    # 55 self-earned points (onboarding, an offer) and 50 from another person: of four parallel
    # gifts of 20, two pass (40 <= 50); the third would dip into self-earned points.
    giver, friends = UserFactory(), [UserFactory() for _ in range(4)]
    rows = [("complete_onboarding", 25, 0), ("first_offer", 20, 0), ("add_offer", 10, 1), ("gift_received", 50, 0)]
    balance = 0
    for action, amount, object_id in rows:
        balance += amount
        PointsTransaction.objects.create(
            user=giver, action=action, amount=amount, object_id=object_id, balance_after=balance
        )
    User.objects.filter(pk=giver.pk).update(total_points=balance)
    client = client_for(giver)
    results = _parallel([lambda f=f: client.post("/api/v1/gifts/", {"to": f.pk, "points": 20}) for f in friends])
    codes = sorted(r.status_code for r in results)
    assert codes == [201, 201, 409, 409], [getattr(r, "data", r) for r in results]
    assert {r.data["code"] for r in results if r.status_code == 409} == {"points_not_giftable"}
    assert User.objects.get(pk=giver.pk).total_points == 105 - 40
    assert sum(User.objects.get(pk=f.pk).total_points for f in friends) == 40


def test_parallel_gifts_cannot_spend_more_than_the_giftable_credits():
    # 30 credits converted from self-earned points, a 10-credit bonus and 25 from another
    # person: of six parallel gifts of 10 (held: 65), two pass (20 <= 25); a third would dip
    # into credits that are not giftable.
    giver, friends = UserFactory(), [UserFactory() for _ in range(6)]
    PointsTransaction.objects.create(user=giver, action="complete_onboarding", amount=300, balance_after=300)
    User.objects.filter(pk=giver.pk).update(total_points=300)
    credits_convert_points(user=giver, points=300)
    credits_bonus(user=giver, amount=10, description="promo")
    credits_apply(user=giver, amount=25, transaction_type="gift_received", related_user=UserFactory())
    client = client_for(giver)
    results = _parallel([lambda f=f: client.post("/api/v1/gifts/", {"to": f.pk, "credits": 10}) for f in friends])
    codes = sorted(r.status_code for r in results)
    assert codes == [201, 201] + [409] * 4, [getattr(r, "data", r) for r in results]
    assert {r.data["code"] for r in results if r.status_code == 409} == {"credits_not_giftable"}
    giver.refresh_from_db()
    assert (giver.credit_balance, giver.credits_gifted_total) == (65 - 20, 20)
    assert sum(User.objects.get(pk=f.pk).credit_balance for f in friends) == 20
    sent = CreditTransaction.objects.filter(user=giver, transaction_type="gift_sent").order_by("pk")
    assert list(sent.values_list("amount", "balance_after")) == [(-10, 55), (-10, 45)]


def test_parallel_gifts_onward_of_credits_being_received_cannot_spend_them_twice():
    # A middle account holds 10 credits it may not gift; two senders gift it 10 each while it
    # gifts 10 onward four times in parallel: it can never send more than it has received.
    middle, target = UserFactory(), UserFactory()
    credits_bonus(user=middle, amount=10, description="promo")
    senders = [UserFactory(), UserFactory()]
    for i, s in enumerate(senders):
        credits_apply(user=s, amount=10, transaction_type="purchase", stripe_payment_intent_id=f"pi_{i}")
    mc = client_for(middle)
    calls: list[Callable[[], Any]] = [
        partial(client_for(s).post, "/api/v1/gifts/", {"to": middle.pk, "credits": 10}) for s in senders
    ]
    calls += [lambda: mc.post("/api/v1/gifts/", {"to": target.pk, "credits": 10}) for _ in range(4)]
    results = _parallel(calls)
    assert [r.status_code for r in results[:2]] == [201, 201], [getattr(r, "data", r) for r in results]
    onward = [r for r in results[2:] if r.status_code == 201]
    assert {r.data["code"] for r in results[2:] if r.status_code != 201} <= {"credits_not_giftable"}
    assert len(onward) <= 2
    middle.refresh_from_db()
    assert middle.credit_balance == 30 - 10 * len(onward) >= 10
    assert User.objects.get(pk=target.pk).credit_balance == 10 * len(onward)
