"""Peer rewards (seed 001 §8.8): gifts of points and credits, endorsements, peer badges, and
what the storefront shows of them."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from collective.models import (
    Connection,
    CreditGift,
    CreditTransaction,
    Endorsement,
    PeerBadgeAward,
    PeerBadgeType,
    PointGift,
    PointsTransaction,
    User,
)
from collective.services.blocks import block_create
from collective.services.credits import (
    credits_apply,
    credits_bonus,
    credits_convert_points,
    credits_giftable,
    credits_refund,
    credits_spend,
    economy_reference_load,
)
from realtime.models import Event
from tests.conftest import client_for
from tests.factories import OfferFactory, UserFactory

pytestmark = pytest.mark.django_db
GIFTS = "/api/v1/gifts/"


@pytest.fixture(autouse=True)
def _reference_data() -> None:
    economy_reference_load()


def peer_points(user: User, points: int) -> None:
    """Seed `user`'s balance as points received from another person (a ledger row plus the
    matching total): only such points may be gifted on (docs/economy.md)."""
    PointsTransaction.objects.create(
        user=user, action="gift_received", amount=points, related_user=UserFactory(), balance_after=points
    )
    User.objects.filter(pk=user.pk).update(total_points=points)


def peer_credits(user: User, credits: int) -> None:
    """Credit `user` with credits received from another person, through the ledger's one
    writer: only such credits (and purchased ones) may be gifted on (docs/economy.md)."""
    credits_apply(
        user=user, amount=credits, transaction_type="gift_received", related_user=UserFactory(), description="seed"
    )


def rich(points: int = 0, credits: int = 0, **kw) -> User:
    user = UserFactory(**kw)
    if points:
        peer_points(user, points)
    if credits:
        peer_credits(user, credits)
    user.refresh_from_db()
    return user


def completed_between(a: User, b: User) -> Connection:
    return Connection.objects.create(
        initiator=a,
        responder=b,
        offer=OfferFactory(user=b),
        connection_type="offer_inquiry",
        initial_message="hi",
        status="completed",
        completed_at=timezone.now(),
    )


# --- gifts ---------------------------------------------------------------------------------


def test_gift_points_moves_points_writes_both_ledgers_and_toasts_the_recipient():
    sarah, ben = rich(80, username="sarah"), UserFactory(username="ben")
    conn = completed_between(sarah, ben)
    resp = client_for(sarah).post(
        GIFTS, {"to": "ben", "points": 50, "message": "Thanks for the feedback!", "connection": conn.pk}
    )
    assert resp.status_code == 201
    assert (resp.data["kind"], resp.data["amount"], resp.data["connection"]) == ("points", 50, conn.pk)
    sarah.refresh_from_db()
    ben.refresh_from_db()
    assert (sarah.total_points, sarah.points_gifted_total, ben.total_points) == (30, 50, 50)
    gift = PointGift.objects.get()
    assert list(
        PointsTransaction.objects.filter(object_id=gift.pk)
        .order_by("user_id")
        .values_list("user_id", "action", "amount")
    ) == sorted([(sarah.pk, "gift_sent", -50), (ben.pk, "gift_received", 50)])
    assert [e.data for e in Event.objects.filter(type="points.awarded")] == [
        {
            "amount": 50,
            "action": "gift_received",
            "reason": "@sarah gifted you 50 points: “Thanks for the feedback!”",
            "total_points": 50,
        }
    ]
    assert Event.objects.get(type="points.awarded").user_id == ben.pk


def test_gift_credits_moves_credits_with_ledger_rows():
    sarah, ben = rich(credits=30), UserFactory()
    resp = client_for(sarah).post(GIFTS, {"to": ben.pk, "credits": 20})
    assert resp.status_code == 201 and resp.data["kind"] == "credits"
    sarah.refresh_from_db()
    ben.refresh_from_db()
    assert (sarah.credit_balance, sarah.credits_gifted_total, ben.credit_balance) == (10, 20, 20)
    assert list(
        CreditTransaction.objects.filter(user=ben).values_list("transaction_type", "amount", "related_user")
    ) == [("gift_received", 20, sarah.pk)]
    assert CreditTransaction.objects.get(user=sarah, transaction_type="gift_sent").amount == -20


def test_an_allowed_credit_gift_answers_and_writes_the_ledger_as_before():
    sarah, ben = rich(credits=30, username="sarah"), UserFactory(username="ben")
    conn = completed_between(sarah, ben)
    resp = client_for(sarah).post(
        GIFTS, {"to": "ben", "credits": 12, "message": "For the clips", "connection": conn.pk}
    )
    assert resp.status_code == 201, resp.data
    gift = CreditGift.objects.get()
    body = dict(resp.data)
    assert set(body) == {"id", "kind", "sender", "recipient", "amount", "message", "connection", "created_at"}
    assert (body["id"], body["kind"], body["amount"], body["message"], body["connection"]) == (
        gift.pk,
        "credits",
        12,
        "For the clips",
        conn.pk,
    )
    assert (body["sender"]["username"], body["recipient"]["username"]) == ("sarah", "ben")
    rows = CreditTransaction.objects.filter(metadata__credit_gift=gift.pk).order_by("pk")
    assert [
        (r.user_id, r.transaction_type, r.amount, r.balance_after, r.related_user_id, r.description) for r in rows
    ] == [
        (sarah.pk, "gift_sent", -12, 18, ben.pk, "Gift to @ben"),
        (ben.pk, "gift_received", 12, 12, sarah.pk, "Gift from @sarah"),
    ]
    assert User.objects.get(pk=sarah.pk).credits_gifted_total == 12


def test_bonus_and_converted_credits_are_spendable_but_not_giftable():
    sarah, ben = rich(points=200), UserFactory()
    credits_bonus(user=sarah, amount=5, description="welcome promo")
    credits_convert_points(user=sarah, points=100)  # giftable points, converted: 10 credits
    assert User.objects.get(pk=sarah.pk).credit_balance == 15
    resp = client_for(sarah).post(GIFTS, {"to": ben.pk, "credits": 1})
    assert (resp.status_code, resp.data["code"]) == (409, "credits_not_giftable")
    assert "You can gift 0 of your credits" in resp.data["detail"]
    assert not CreditGift.objects.exists() and User.objects.get(pk=ben.pk).credit_balance == 0
    # The points that are still giftable go as points; the recipient may convert them.
    assert client_for(sarah).post(GIFTS, {"to": ben.pk, "points": 100}).status_code == 201
    # And the credits are the user's to spend.
    assert client_for(sarah).post("/api/v1/credits/spend/", {"feature": "course-builder-assist"}).status_code == 201


def test_purchased_credits_are_giftable_spending_draws_on_the_others_first_and_a_refund_gives_back():
    sarah, ben = UserFactory(), UserFactory()
    credits_apply(user=sarah, amount=10, transaction_type="purchase", stripe_payment_intent_id="pi_test")
    credits_bonus(user=sarah, amount=10, description="promo")
    usage, _ = credits_spend(user=sarah, feature="course-builder-assist")  # 10 of 20
    assert credits_giftable(sarah.pk) == 10  # the bonus went first
    client = client_for(sarah)
    resp = client.post(GIFTS, {"to": ben.pk, "credits": 11})
    assert (resp.status_code, resp.data["code"]) == (409, "insufficient_credits")
    spend2, _ = credits_spend(user=sarah, feature="social-clip")  # 5 left, all of them purchased ones
    assert credits_giftable(sarah.pk) == 5
    resp = client.post(GIFTS, {"to": ben.pk, "credits": 6})
    assert (resp.status_code, resp.data["code"]) == (409, "insufficient_credits")
    credits_refund(usage=spend2)  # 10 held, 10 bought
    assert client.post(GIFTS, {"to": ben.pk, "credits": 10}).status_code == 201
    credits_refund(usage=usage)  # back: 10 credits, none of them giftable any more
    resp = client.post(GIFTS, {"to": ben.pk, "credits": 1})
    assert (resp.status_code, resp.data["code"]) == (409, "credits_not_giftable")
    assert User.objects.get(pk=sarah.pk).credit_balance == 10
    assert User.objects.get(pk=ben.pk).credit_balance == 10


@pytest.mark.parametrize(
    "payload,status,code",
    [
        ({"points": 81}, 409, "insufficient_points"),
        ({"credits": 1}, 409, "insufficient_credits"),
        ({"points": 0}, 400, None),
        ({"points": -5}, 400, None),
        ({"points": 10, "credits": 10}, 400, "points_or_credits"),
        ({}, 400, "points_or_credits"),
        ({"points": "lots"}, 400, None),
    ],
)
def test_gift_rules(payload, status, code):
    sarah, ben = rich(80), UserFactory()
    resp = client_for(sarah).post(GIFTS, {"to": ben.pk, **payload})
    assert resp.status_code == status, resp.data
    if code:
        assert resp.data["code"] == code
    assert User.objects.get(pk=sarah.pk).total_points == 80 and not PointGift.objects.exists()


def test_gift_to_self_unknown_blocked_or_foreign_connection_is_refused():
    sarah, ben, eve = rich(80), UserFactory(), UserFactory()
    client = client_for(sarah)
    assert client.post(GIFTS, {"to": sarah.pk, "points": 5}).data["code"] == "self_reward"
    assert client.post(GIFTS, {"to": 10**12, "points": 5}).data["code"] == "user_not_found"
    foreign = completed_between(ben, eve)
    resp = client.post(GIFTS, {"to": ben.pk, "points": 5, "connection": foreign.pk})
    assert (resp.status_code, resp.data["code"]) == (400, "connection_not_found")
    block_create(blocker=ben, blocked=sarah)
    assert client.post(GIFTS, {"to": ben.pk, "points": 5}).data["code"] == "user_not_found"
    assert User.objects.get(pk=sarah.pk).total_points == 80


def test_database_refuses_a_gift_to_self():
    u = UserFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        PointGift.objects.create(sender=u, recipient=u, amount=5)


# --- endorsements ----------------------------------------------------------------------------


def test_endorsement_once_per_connection_and_once_without():
    sarah, ben = UserFactory(), UserFactory()
    conn = completed_between(sarah, ben)
    client = client_for(sarah)
    text = "Ben gave me incredible feedback on my landing page"
    assert (
        client.post("/api/v1/endorsements/", {"endorsee": ben.pk, "content": text, "connection": conn.pk}).status_code
        == 201
    )
    again = client.post("/api/v1/endorsements/", {"endorsee": ben.pk, "content": text, "connection": conn.pk})
    assert (again.status_code, again.data["code"]) == (409, "duplicate_endorsement")
    assert client.post("/api/v1/endorsements/", {"endorsee": ben.pk, "content": text}).status_code == 201
    assert client.post("/api/v1/endorsements/", {"endorsee": ben.pk, "content": text}).status_code == 409
    assert Endorsement.objects.count() == 2
    with pytest.raises(IntegrityError), transaction.atomic():
        Endorsement.objects.create(endorser=sarah, endorsee=ben, content="x", connection=conn)


def test_endorsement_validation():
    sarah, ben = UserFactory(), UserFactory()
    client = client_for(sarah)
    assert client.post("/api/v1/endorsements/", {"endorsee": ben.pk, "content": "x" * 501}).status_code == 400
    assert client.post("/api/v1/endorsements/", {"endorsee": ben.pk, "content": "   "}).status_code == 400
    assert client.post("/api/v1/endorsements/", {"endorsee": sarah.pk, "content": "me"}).data["code"] == "self_reward"


def test_only_the_endorsee_features_or_flags():
    sarah, ben, eve = UserFactory(), UserFactory(), UserFactory()
    e = Endorsement.objects.create(endorser=sarah, endorsee=ben, content="Great")
    url = f"/api/v1/endorsements/{e.pk}/"
    assert client_for(eve).patch(url, {"is_featured": True}).status_code == 404
    assert client_for(sarah).patch(url, {"is_featured": True}).status_code == 403
    resp = client_for(ben).patch(url, {"is_featured": True})
    assert resp.status_code == 200 and resp.data["is_featured"] is True
    flagged = client_for(ben).post(f"{url}flag/")
    assert flagged.status_code == 200 and (flagged.data["is_flagged"], flagged.data["is_featured"]) == (True, False)
    assert client_for(ben).patch(url, {"is_featured": True}).data["code"] == "endorsement_hidden"


def test_storefront_shows_featured_first_and_hides_flagged_and_withdrawn():
    ben = UserFactory(username="ben")
    a, b, c, d = (UserFactory(username=n) for n in "abcd")
    Endorsement.objects.create(endorser=a, endorsee=ben, content="first")
    Endorsement.objects.create(endorser=b, endorsee=ben, content="featured", is_featured=True)
    Endorsement.objects.create(endorser=c, endorsee=ben, content="flagged", is_flagged=True)
    Endorsement.objects.create(endorser=d, endorsee=ben, content="withdrawn", is_approved=False)
    body = client_for(a).get("/api/v1/people/ben/").data
    assert [e["content"] for e in body["endorsements"]] == ["featured", "first"]
    assert body["endorsements"][0]["endorser"]["username"] == "b"


# --- peer badges -------------------------------------------------------------------------------


def test_badge_types_are_the_seeded_ones():
    body = client_for(UserFactory()).get("/api/v1/badges/").data
    assert {b["slug"] for b in body} == {
        "amazing-feedback",
        "thorough-review",
        "quick-responder",
        "fast-helper",
        "patient-teacher",
        "great-explainer",
        "welcoming",
        "supportive",
    }
    assert PeerBadgeType.objects.get(slug="patient-teacher").category == "teaching"


def test_award_badges_once_per_type_and_connection_and_count_them_on_the_storefront():
    ben = UserFactory(username="ben")
    fans = [UserFactory() for _ in range(3)]
    for fan in fans:
        resp = client_for(fan).post("/api/v1/badges/awards/", {"recipient": "ben", "badge": "patient-teacher"})
        assert resp.status_code == 201
    dup = client_for(fans[0]).post("/api/v1/badges/awards/", {"recipient": "ben", "badge": "patient-teacher"})
    assert (dup.status_code, dup.data["code"]) == (409, "duplicate_badge")
    conn = completed_between(fans[0], ben)
    assert (
        client_for(fans[0])
        .post("/api/v1/badges/awards/", {"recipient": ben.pk, "badge": "patient-teacher", "connection": conn.pk})
        .status_code
        == 201
    )
    client_for(fans[1]).post("/api/v1/badges/awards/", {"recipient": "ben", "badge": "quick-responder"})
    unknown = client_for(fans[1]).post("/api/v1/badges/awards/", {"recipient": "ben", "badge": "nope"})
    assert (unknown.status_code, unknown.data["code"]) == (400, "unknown_badge")
    assert client_for(ben).post("/api/v1/badges/awards/", {"recipient": "ben", "badge": "welcoming"}).status_code == 400
    badges = client_for(fans[2]).get("/api/v1/people/ben/").data["peer_badges"]
    assert [(b["slug"], b["count"]) for b in badges] == [("patient-teacher", 4), ("quick-responder", 1)]
    assert badges[0]["icon"] == "🎓"
    assert PeerBadgeAward.objects.count() == 5


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/gifts/",
        "/api/v1/endorsements/",
        "/api/v1/badges/awards/",
        "/api/v1/credits/convert/",
        "/api/v1/credits/spend/",
    ],
)
@pytest.mark.parametrize(
    "body",
    [
        [1, 2],
        "text",
        {"to": "9" * 40, "points": 1},
        {"to": "0", "credits": 1},
        {"endorsee": {"x": 1}, "content": "x"},
        {"recipient": None, "badge": "welcoming"},
        {"points": 10**30},
        {"feature": "a\x00b"},
        {"connection": -1},
    ],
)
def test_garbage_is_a_4xx_never_a_500(url, body):
    resp = client_for(rich(500, credits=50)).post(url, body, format="json")
    assert 400 <= resp.status_code < 500, (resp.status_code, getattr(resp, "data", None))


@pytest.mark.parametrize("path", ["/api/v1/endorsements/99999999999999999999/", "/api/v1/endorsements/0/flag/"])
def test_out_of_range_endorsement_ids_are_4xx(path):
    client = client_for(UserFactory())
    resp = client.patch(path, {"is_featured": True}) if not path.endswith("flag/") else client.post(path)
    assert 400 <= resp.status_code < 500
