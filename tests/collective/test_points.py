"""Points (seed 001 §8.2, §8.3, §8.6): every value of the table, awarded where it happens,
idempotency, daily caps, the helper of a connection, toasts (recipients and texts),
milestones and giving streaks."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from collective.models import Connection, PointsAccount, PointsTransaction, User
from collective.models.points import POINTS_RULES
from collective.services.connections import (
    connection_create,
    connection_helper_id,
    connection_rate,
    connection_transition,
)
from collective.services.follows import follow_create, follow_delete
from collective.services.offers import offer_create, offer_update
from collective.services.points import daily_cap, points_award
from realtime.models import Event
from tests.conftest import client_for
from tests.factories import AskFactory, OfferFactory, UserFactory

pytestmark = pytest.mark.django_db

# Seed 001 §8.2, restated independently of the code.
SEED_VALUES = {
    "respond_to_ask": 15,
    "complete_help": 25,
    "helpful_rating": 20,
    "give_feedback": 10,
    "beta_test": 15,
    "ask_response_received": 5,
    "help_received": 5,
    "add_offer": 10,
    "first_offer": 20,
    "welcome_member": 5,
    "get_followed": 2,
    "complete_onboarding": 25,
}


def toasts(user: User) -> list[dict]:
    return [e.data for e in Event.objects.filter(user=user, type="points.awarded").order_by("seq")]


def points(user: User) -> int:
    return User.objects.get(pk=user.pk).total_points


def ledger(user: User) -> list[tuple[str, int]]:
    return list(PointsTransaction.objects.filter(user=user).order_by("pk").values_list("action", "amount"))


def ask_response(*, helper: User | None = None, owner: User | None = None) -> Connection:
    owner = owner or UserFactory(username=f"sarah{User.objects.count()}")
    ask = AskFactory(user=owner)
    return connection_create(initiator=helper or UserFactory(), ask=ask, initial_message="I can help")


def complete(c: Connection) -> Connection:
    connection_transition(connection=c, actor=c.responder, status="accepted")
    return connection_transition(connection=c, actor=c.initiator, status="completed")


def test_rule_table_holds_every_seed_value():
    for action, value in SEED_VALUES.items():
        assert POINTS_RULES[action].amount == value, action


@pytest.mark.parametrize("action", ["give_feedback", "beta_test", "welcome_member"])
def test_person_keyed_actions_award_their_table_value_once_per_person(action):
    user, other = UserFactory(), UserFactory()
    row = points_award(user=user, action=action, obj=other, other=other)
    assert row.amount == SEED_VALUES[action] == points(user)
    assert points_award(user=user, action=action, obj=other, other=other) is None
    assert points(user) == SEED_VALUES[action]


@pytest.mark.parametrize(
    "ask_type, action, amount, reason",
    [
        ("beta_tester", "beta_test", 15, "You beta tested @sarah's app"),
        ("feedback", "give_feedback", 10, "You gave @sarah feedback"),
    ],
)
def test_completing_a_beta_test_or_feedback_ask_adds_its_giving_award(ask_type, action, amount, reason):
    helper, owner = UserFactory(username="ben"), UserFactory(username="sarah")
    c = connection_create(initiator=helper, ask=AskFactory(user=owner, ask_type=ask_type), initial_message="I can help")
    complete(c)
    assert ledger(helper) == [("respond_to_ask", 15), ("complete_help", 25), (action, amount)]
    assert ledger(owner) == [("ask_response_received", 5), ("help_received", 5)]
    assert {"amount": amount, "action": action, "reason": reason, "total_points": 40 + amount} in toasts(helper)
    # Once per person helped: a second session with sarah earns complete_help again, not this.
    again = connection_create(initiator=helper, ask=AskFactory(user=owner, ask_type=ask_type), initial_message="more")
    complete(again)
    assert [a for a, _ in ledger(helper)].count(action) == 1
    assert [a for a, _ in ledger(helper)].count("complete_help") == 2


def test_completing_a_feedback_offer_gives_the_offer_owner_the_feedback_award():
    owner, client = UserFactory(username="olga"), UserFactory(username="ian")
    c = connection_create(initiator=client, offer=OfferFactory(user=owner, offer_type="feedback"), initial_message="hi")
    complete(c)
    assert ledger(owner) == [("complete_help", 25), ("give_feedback", 10)]
    assert ledger(client) == [("help_received", 5)]


@pytest.mark.parametrize("ask_type", ["advice", "collaborator", "learning"])
def test_other_sessions_earn_no_giving_bonus(ask_type):
    helper = UserFactory()
    complete(connection_create(initiator=helper, ask=AskFactory(ask_type=ask_type), initial_message="hi"))
    assert ledger(helper) == [("respond_to_ask", 15), ("complete_help", 25)]
    owner = UserFactory()
    complete(connection_create(initiator=UserFactory(), offer=OfferFactory(user=owner), initial_message="hi"))
    assert ledger(owner) == [("complete_help", 25)]


def _member_for(days: int, **kwargs) -> User:
    return UserFactory(date_joined=timezone.now() - dt.timedelta(days=days), **kwargs)


def test_an_established_member_reaching_out_to_a_newcomer_earns_welcome_member_once():
    host, newcomer = _member_for(30), _member_for(2, username="nina")
    connection_create(initiator=host, offer=OfferFactory(user=newcomer), initial_message="Welcome! Tell me more")
    assert ledger(host) == [("welcome_member", 5)]
    assert toasts(host) == [
        {"amount": 5, "action": "welcome_member", "reason": "You welcomed @nina", "total_points": 5}
    ]
    connection_create(initiator=host, responder=newcomer, initial_message="Also this")  # a direct one
    assert ledger(host) == [("welcome_member", 5)]
    assert ledger(newcomer) == []


@pytest.mark.parametrize("host_days, target_days", [(30, 8), (3, 2), (2, 30)])
def test_no_welcome_unless_an_established_member_meets_a_newcomer(host_days, target_days):
    host, target = _member_for(host_days), _member_for(target_days)
    connection_create(initiator=host, responder=target, initial_message="hi")
    assert ledger(host) == []


def test_responding_to_an_ask_awards_15_to_the_responder_and_5_to_the_asker():
    helper, owner = UserFactory(username="ben"), UserFactory(username="sarah")
    ask_response(helper=helper, owner=owner)
    assert ledger(helper) == [("respond_to_ask", 15)]
    assert ledger(owner) == [("ask_response_received", 5)]
    assert toasts(helper) == [
        {"amount": 15, "action": "respond_to_ask", "reason": "You responded to @sarah's ask", "total_points": 15}
    ]
    assert toasts(owner) == [
        {"amount": 5, "action": "ask_response_received", "reason": "@ben responded to your ask", "total_points": 5}
    ]


def test_cancelling_and_responding_again_to_the_same_ask_awards_nothing_more():
    helper, owner = UserFactory(), UserFactory()
    ask = AskFactory(user=owner)
    c = connection_create(initiator=helper, ask=ask, initial_message="hi")
    connection_transition(connection=c, actor=helper, status="cancelled")
    connection_create(initiator=helper, ask=ask, initial_message="hi again")
    assert (points(helper), points(owner)) == (15, 5)


def test_offer_inquiry_awards_nothing_on_creation():
    c = connection_create(initiator=UserFactory(), offer=OfferFactory(), initial_message="hi")
    assert not PointsTransaction.objects.exists()
    assert not Event.objects.filter(type="points.awarded").exists()
    assert connection_helper_id(c) == c.responder_id


def test_completing_an_ask_response_helps_the_initiator_not_the_asker():
    helper, owner = UserFactory(username="ben"), UserFactory(username="sarah")
    c = ask_response(helper=helper, owner=owner)
    assert connection_helper_id(c) == helper.pk
    complete(c)
    helper.refresh_from_db()
    owner.refresh_from_db()
    assert (helper.helped_count, owner.helped_count) == (1, 0)
    assert ledger(helper) == [("respond_to_ask", 15), ("complete_help", 25)]
    assert ledger(owner) == [("ask_response_received", 5), ("help_received", 5)]
    helper_toasts = toasts(helper)
    assert helper_toasts[1] == {
        "amount": 25,
        "action": "complete_help",
        "reason": "You helped @sarah with their ask",
        "total_points": 40,
    }
    assert helper_toasts[2] == {
        "amount": 0,
        "action": "milestone",
        "reason": "You've helped your first person! 🌟",
        "total_points": 40,
    }
    assert toasts(owner)[1] == {
        "amount": 5,
        "action": "help_received",
        "reason": "You closed the loop: help from @ben received",
        "total_points": 10,
    }


def test_completing_an_offer_inquiry_helps_the_responder():
    owner = UserFactory(username="olga")
    c = connection_create(initiator=UserFactory(username="ian"), offer=OfferFactory(user=owner), initial_message="hi")
    complete(c)
    assert ledger(owner) == [("complete_help", 25)]
    assert ledger(c.initiator) == [("help_received", 5)]
    assert toasts(owner)[0]["reason"] == "You helped @ian"


def test_completion_is_awarded_once_and_rolled_back_with_its_transaction():
    c = ask_response()
    connection_transition(connection=c, actor=c.responder, status="accepted")
    with pytest.raises(RuntimeError), transaction.atomic():
        connection_transition(connection=c, actor=c.initiator, status="completed")
        raise RuntimeError("abort")
    assert points(c.initiator) == 15 and User.objects.get(pk=c.initiator_id).helped_count == 0
    connection_transition(connection=c, actor=c.initiator, status="completed")
    connection_transition(connection=c, actor=c.responder, status="completed")  # no-op
    assert points(c.initiator) == 40
    assert PointsTransaction.objects.filter(action="complete_help").count() == 1


@pytest.mark.parametrize("rating,awarded", [(5, True), (4, True), (3, False), (1, False)])
def test_helpful_rating_is_4_or_5_from_the_one_helped(rating, awarded):
    helper, owner = UserFactory(), UserFactory(username="sarah")
    c = complete(ask_response(helper=helper, owner=owner))
    before = points(helper)
    connection_rate(connection=c, actor=owner, rating=rating)  # the asker rates the helper
    assert points(helper) - before == (20 if awarded else 0)
    if awarded:
        assert [t for t in toasts(helper) if t["action"] == "helpful_rating"] == [
            {
                "amount": 20,
                "action": "helpful_rating",
                "reason": f"@sarah rated your help {rating}★",
                "total_points": before + 20,
            }
        ]


def test_rating_the_one_who_was_helped_awards_nothing():
    helper, owner = UserFactory(), UserFactory()
    c = complete(ask_response(helper=helper, owner=owner))
    before = points(owner)
    connection_rate(connection=c, actor=helper, rating=5)
    assert points(owner) == before


def test_rating_toast_follows_the_connection_event():
    helper, owner = UserFactory(), UserFactory()
    c = complete(ask_response(helper=helper, owner=owner))
    Event.objects.all().delete()
    connection_rate(connection=c, actor=owner, rating=5)
    mine = Event.objects.filter(type__in=["connection.updated", "points.awarded"])
    # 40 -> 60 points also crosses the 50-point unlock: its toast comes after the award's.
    assert [(e.type, e.data.get("action")) for e in mine.filter(user=helper).order_by("seq")] == [
        ("connection.updated", None),
        ("points.awarded", "helpful_rating"),
        ("points.awarded", "unlock"),
    ]
    assert list(mine.filter(user=owner).values_list("type", flat=True)) == ["connection.updated"]


def test_get_followed_awards_2_once_per_follower_through_follow_loops():
    star, fan = UserFactory(), UserFactory(username="fan")
    for _ in range(3):
        follow_create(follower=fan, following=star.pk)
        follow_delete(follower=fan, following=star.pk)
    assert ledger(star) == [("get_followed", 2)]
    assert toasts(star) == [{"amount": 2, "action": "get_followed", "reason": "@fan followed you", "total_points": 2}]
    assert ledger(fan) == []


def test_get_followed_is_capped_per_day(settings):
    settings.POINTS_DAILY_CAPS = {"get_followed": 3}
    star = UserFactory()
    for _ in range(5):
        follow_create(follower=UserFactory(), following=star.pk)
    assert points(star) == 6
    assert len(toasts(star)) == 3
    # Tomorrow the cap starts again.
    PointsTransaction.objects.filter(user=star).update(created_at=timezone.now() - dt.timedelta(days=1))
    follow_create(follower=UserFactory(), following=star.pk)
    assert points(star) == 8


def test_default_caps_are_on_the_farmable_actions():
    assert daily_cap("get_followed") == 25 and daily_cap("add_offer") == 5
    assert daily_cap("complete_onboarding") is None and daily_cap("first_offer") is None


def _offer_data(**extra) -> dict:
    return {"title": "Landing page review", "description": "I review it", "offer_type": "service", **extra}


def test_publishing_offers_awards_10_each_and_20_for_the_first_once():
    user = UserFactory()
    draft = offer_create(user=user, data=_offer_data(status="draft"))
    assert points(user) == 0
    offer_update(offer=draft, actor=user, data={"status": "active"})
    assert ledger(user) == [("add_offer", 10), ("first_offer", 20)]
    assert [t["reason"] for t in toasts(user)] == [
        "You added an offer: Landing page review",
        "Your first offer is live!",
    ]
    # Editing, pausing and re-activating the same offer earns nothing more.
    offer_update(offer=draft, actor=user, data={"status": "paused"})
    offer_update(offer=draft, actor=user, data={"status": "active", "title": "New title"})
    assert points(user) == 30
    offer_create(user=user, data=_offer_data(status="active", title="Second"))
    assert ledger(user)[-1] == ("add_offer", 10) and points(user) == 40


def test_add_offer_is_capped_per_day():
    user = UserFactory()
    for i in range(7):
        offer_create(user=user, data=_offer_data(status="active", title=f"Offer {i}"))
    assert PointsTransaction.objects.filter(user=user, action="add_offer").count() == 5
    assert points(user) == 5 * 10 + 20


def test_onboarding_endpoint_awards_25_once():
    user = UserFactory()
    client = client_for(user)
    first = client.post("/api/v1/me/onboarding/complete/")
    second = client.post("/api/v1/me/onboarding/complete/")
    assert (first.status_code, first.data) == (200, {"awarded": True, "total_points": 25})
    assert (second.status_code, second.data) == (200, {"awarded": False, "total_points": 25})
    assert toasts(user) == [
        {
            "amount": 25,
            "action": "complete_onboarding",
            "reason": "Welcome aboard! You completed onboarding",
            "total_points": 25,
        }
    ]
    assert client_for(user).post("/api/v1/me/onboarding/complete/").data["awarded"] is False
    assert api_anonymous_status() == 401


def api_anonymous_status() -> int:
    from rest_framework.test import APIClient

    return APIClient().post("/api/v1/me/onboarding/complete/").status_code


def test_points_award_is_idempotent_per_object_and_rejects_wrong_objects():
    user, other = UserFactory(), UserFactory()
    assert points_award(user=user, action="get_followed", obj=other) is not None
    assert points_award(user=user, action="get_followed", obj=other) is None
    assert len(toasts(user)) == 1 and points(user) == 2
    with pytest.raises(ValueError):
        points_award(user=user, action="add_offer", obj=other)  # keyed by offers, not users
    with pytest.raises(ValueError):
        points_award(user=user, action="complete_onboarding", amount=30)
    with pytest.raises(ValueError):
        points_award(user=user, action="no_such_action")


def test_the_database_refuses_a_second_row_for_the_same_key():
    from django.db import IntegrityError

    user = UserFactory()
    points_award(user=user, action="complete_onboarding")
    with pytest.raises(IntegrityError), transaction.atomic():
        PointsTransaction.objects.create(user=user, action="complete_onboarding", amount=25, balance_after=50)


def test_ledger_rows_record_balance_after_and_sum_to_the_total():
    user = UserFactory()
    points_award(user=user, action="complete_onboarding")
    for _ in range(3):
        points_award(user=user, action="get_followed", obj=UserFactory())
    rows = list(PointsTransaction.objects.filter(user=user).order_by("pk"))
    assert [r.balance_after for r in rows] == [25, 27, 29, 31]
    assert sum(r.amount for r in rows) == points(user) == 31
    assert PointsAccount.objects.get(user=user).lifetime_points == 31


def test_milestone_toasts_at_5_and_10_helped():
    helper = UserFactory()
    for _ in range(10):
        c = connection_create(initiator=UserFactory(), offer=OfferFactory(user=helper), initial_message="hi")
        complete(c)
    milestones = [t["reason"] for t in toasts(helper) if t["action"] == "milestone"]
    assert milestones == [
        "You've helped your first person! 🌟",
        "You've helped 5 people! 🌟",
        "You've helped 10 people! 🌟",
    ]
    # complete_help is capped at 10 a day; helped_count is not.
    assert User.objects.get(pk=helper.pk).helped_count == 10


def test_giving_streak_toast_on_the_third_day(monkeypatch):
    helper = UserFactory()
    day0 = timezone.now()
    for offset in range(4):
        monkeypatch.setattr(timezone, "now", lambda d=day0 + dt.timedelta(days=offset): d)
        ask_response(helper=helper)
    streaks = [t for t in toasts(helper) if t["action"] == "streak"]
    assert [t["reason"] for t in streaks] == ["3 days of giving! 🔥", "4 days of giving! 🔥"]
    assert all(t["amount"] == 0 for t in streaks)
    # A day without giving resets it.
    monkeypatch.setattr(timezone, "now", lambda: day0 + dt.timedelta(days=6))
    ask_response(helper=helper)
    assert PointsAccount.objects.get(user=helper).streak_days == 1
    assert PointsAccount.objects.get(user=helper).longest_streak_days == 4


def test_receiving_actions_do_not_count_for_the_giving_streak(monkeypatch):
    owner = UserFactory()
    day0 = timezone.now()
    for offset in range(3):
        monkeypatch.setattr(timezone, "now", lambda d=day0 + dt.timedelta(days=offset): d)
        ask_response(owner=owner) if offset == 0 else connection_create(
            initiator=UserFactory(), ask=AskFactory(user=owner), initial_message="x"
        )
    assert not [t for t in toasts(owner) if t["action"] == "streak"]
