"""Credits (seed 001 §8.7, §8.11): the ledger, conversion of points, spending on features
priced as data, refunds, bonuses, and the no-negative rule."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from collective.models import CreditCost, CreditTransaction, PointsTransaction, User
from collective.services.credits import (
    credits_apply,
    credits_bonus,
    credits_refund,
    credits_spend,
    economy_reference_load,
)
from core.errors import Conflict, DomainError
from tests.conftest import client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _reference_data() -> None:
    economy_reference_load()  # the data migration's rows (tests run without migrations)


def test_migration_data_matches_the_defaults():
    import importlib

    from collective.models.credits import DEFAULT_CREDIT_COSTS
    from collective.models.rewards import PEER_BADGES

    migration = importlib.import_module("collective.migrations.0005_economy_reference_data")
    assert migration.CREDIT_COSTS == [(c["slug"], c["name"], c["cost"]) for c in DEFAULT_CREDIT_COSTS]
    assert migration.PEER_BADGES == [
        (b["slug"], b["name"], b["icon"], b["category"], b["description"]) for b in PEER_BADGES
    ]
    assert economy_reference_load() == (0, 0)  # idempotent


def with_points(n: int) -> User:
    user = UserFactory()
    User.objects.filter(pk=user.pk).update(total_points=n)  # balance only; ledger rows tested elsewhere
    user.refresh_from_db()
    return user


def with_credits(n: int) -> User:
    user = UserFactory()
    credits_bonus(user=user, amount=n, description="test")
    user.refresh_from_db()
    return user


def test_default_costs_are_the_seed_table():
    assert dict(CreditCost.objects.values_list("slug", "cost")) == {
        "ava-session": 1,
        "social-clip": 5,
        "course-builder-assist": 10,
        "image-generation": 2,
    }
    body = client_for(UserFactory()).get("/api/v1/credits/costs/").data
    assert [r["slug"] for r in body] == ["ava-session", "image-generation", "social-clip", "course-builder-assist"]


def test_conversion_100_points_to_10_credits_with_both_ledgers():
    user = with_points(350)
    resp = client_for(user).post("/api/v1/credits/convert/", {"points": 300})
    assert resp.status_code == 201
    assert (resp.data["amount"], resp.data["transaction_type"], resp.data["points_converted"]) == (
        30,
        "points_conversion",
        300,
    )
    user.refresh_from_db()
    assert (user.total_points, user.credit_balance) == (50, 30)
    row = PointsTransaction.objects.get(user=user)
    assert (row.action, row.amount, row.object_id, row.balance_after) == (
        "points_conversion",
        -300,
        resp.data["id"],
        50,
    )


@pytest.mark.parametrize(
    "points,code", [(99, "invalid_conversion"), (150, "invalid_conversion"), (0, None), (-100, None)]
)
def test_conversion_minimum_and_multiples(points, code):
    user = with_points(1000)
    resp = client_for(user).post("/api/v1/credits/convert/", {"points": points})
    assert resp.status_code == 400 and "points" in resp.data["fields"]
    if code:
        assert resp.data["code"] == code
    assert User.objects.get(pk=user.pk).credit_balance == 0


def test_conversion_beyond_the_points_held_is_409():
    user = with_points(150)
    resp = client_for(user).post("/api/v1/credits/convert/", {"points": 200})
    assert (resp.status_code, resp.data["code"]) == (409, "insufficient_points")
    assert not CreditTransaction.objects.exists()


def test_spend_debits_the_configured_cost_and_records_balance_after():
    user = with_credits(12)
    client = client_for(user)
    resp = client.post("/api/v1/credits/spend/", {"feature": "social-clip"})
    assert resp.status_code == 201
    assert (resp.data["amount"], resp.data["balance_after"], resp.data["feature"]) == (-5, 7, "social-clip")
    CreditCost.objects.filter(slug="social-clip").update(cost=7)  # costs are data
    assert client.post("/api/v1/credits/spend/", {"feature": "social-clip"}).data["balance_after"] == 0
    resp = client.post("/api/v1/credits/spend/", {"feature": "ava-session"})
    assert (resp.status_code, resp.data["code"]) == (409, "insufficient_credits")
    assert User.objects.get(pk=user.pk).credit_balance == 0


def test_spend_unknown_or_inactive_feature_is_400():
    user = with_credits(20)
    CreditCost.objects.filter(slug="ava-session").update(is_active=False)
    for feature in ["ava-session", "nope", ""]:
        resp = client_for(user).post("/api/v1/credits/spend/", {"feature": feature})
        assert resp.status_code == 400 and "feature" in resp.data["fields"]


def test_spend_with_client_id_is_idempotent():
    user = with_credits(20)
    client = client_for(user)
    first = client.post("/api/v1/credits/spend/", {"feature": "image-generation", "client_id": "job-1"})
    again = client.post("/api/v1/credits/spend/", {"feature": "image-generation", "client_id": "job-1"})
    assert (first.status_code, again.status_code) == (201, 200) and first.data["id"] == again.data["id"]
    other = client.post("/api/v1/credits/spend/", {"feature": "social-clip", "client_id": "job-1"})
    assert (other.status_code, other.data["code"]) == (409, "client_id_reused")
    assert User.objects.get(pk=user.pk).credit_balance == 18


def test_refund_once():
    user = with_credits(10)
    usage, _ = credits_spend(user=user, feature="course-builder-assist")
    refund = credits_refund(usage=usage)
    assert (refund.amount, refund.balance_after, refund.transaction_type) == (10, 10, "refund")
    with pytest.raises(Conflict):
        credits_refund(usage=usage)
    with pytest.raises(DomainError):
        credits_refund(usage=refund)


def test_credits_endpoint_lists_balance_and_transactions_newest_first():
    user = with_credits(10)
    credits_spend(user=user, feature="ava-session")
    body = client_for(user).get("/api/v1/credits/").data
    assert body["credit_balance"] == 9
    assert [(r["transaction_type"], r["amount"], r["balance_after"]) for r in body["results"]] == [
        ("usage", -1, 9),
        ("bonus", 10, 10),
    ]
    assert client_for(UserFactory()).get("/api/v1/credits/").data["results"] == []


def test_apply_refuses_wrong_signs_and_overdraft():
    user = with_credits(3)
    with pytest.raises(ValueError):
        credits_apply(user=user, amount=5, transaction_type="usage")
    with pytest.raises(ValueError):
        credits_apply(user=user, amount=-5, transaction_type="bonus")
    with pytest.raises(Conflict):
        credits_apply(user=user, amount=-4, transaction_type="usage")
    assert User.objects.get(pk=user.pk).credit_balance == 3


def test_database_refuses_negative_balance_and_mismatched_sign():
    user = with_credits(1)
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=user.pk).update(credit_balance=-1)
    with pytest.raises(IntegrityError), transaction.atomic():
        CreditTransaction.objects.create(user=user, amount=5, transaction_type="usage", balance_after=6)


def test_anonymous_gets_401():
    from rest_framework.test import APIClient

    for url in ["/api/v1/credits/", "/api/v1/points/"]:
        assert APIClient().get(url).status_code == 401
    assert APIClient().post("/api/v1/credits/spend/", {"feature": "ava-session"}).status_code == 401
