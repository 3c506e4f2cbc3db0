"""Unlocks (seed 001 §8.9): thresholds on lifetime points, avatar frames set once crossed and
never lowered, toasts on crossing, shown on /me/ and the storefront."""

from __future__ import annotations

import pytest

from collective.models import User
from collective.services.credits import credits_convert_points
from collective.services.points import UNLOCKS, points_award, unlocks_for
from realtime.models import Event
from tests.conftest import client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def earn(user: User, total: int) -> None:
    """Earn exactly `total` points in get_followed steps of 2 (caps lifted)."""
    for _ in range(total // 2):
        points_award(user=user, action="get_followed", obj=UserFactory())


@pytest.fixture(autouse=True)
def _no_caps(settings):
    settings.POINTS_DAILY_CAPS = {"get_followed": None}


def test_thresholds_match_the_seed():
    table = {(u.kind, u.key): u.threshold for u in UNLOCKS}
    assert {k: v for (kind, k), v in table.items() if kind == "avatar_frame"} == {
        "bronze": 100,
        "silver": 250,
        "gold": 500,
        "diamond": 1000,
    }
    assert {k: v for (kind, k), v in table.items() if kind == "feature"} == {
        "priority_discover": 50,
        "pin_featured_offers": 150,
        "offer_analytics": 300,
        "early_access": 500,
    }
    assert {k: v for (kind, k), v in table.items() if kind == "social"} == {
        "top_helpers_featured": 200,
        "givers_circle": 400,
        "host_events": 600,
    }


@pytest.mark.parametrize(
    "points,frame,features,social",
    [
        (0, "none", [], []),
        (49, "none", [], []),
        (50, "none", ["priority_discover"], []),
        (99, "none", ["priority_discover"], []),
        (100, "bronze", ["priority_discover"], []),
        (250, "silver", ["priority_discover", "pin_featured_offers"], ["top_helpers_featured"]),
        (
            600,
            "gold",
            ["priority_discover", "pin_featured_offers", "offer_analytics", "early_access"],
            ["top_helpers_featured", "givers_circle", "host_events"],
        ),
        (
            1000,
            "diamond",
            ["priority_discover", "pin_featured_offers", "offer_analytics", "early_access"],
            ["top_helpers_featured", "givers_circle", "host_events"],
        ),
    ],
)
def test_unlocks_for_each_threshold(points, frame, features, social):
    u = unlocks_for(points)
    assert (u["avatar_frame"], u["features"], u["social"]) == (frame, features, social)


def test_crossing_100_sets_the_bronze_frame_and_toasts_once():
    user = UserFactory()
    earn(user, 98)
    assert User.objects.get(pk=user.pk).avatar_frame == "none"
    earn(user, 4)
    assert User.objects.get(pk=user.pk).avatar_frame == "bronze"
    unlock_toasts = [
        e.data
        for e in Event.objects.filter(user=user, type="points.awarded").order_by("seq")
        if e.data["action"] == "unlock"
    ]
    assert [t["reason"] for t in unlock_toasts] == [
        "Unlocked: Priority placement in Discover! 🎁",
        "Unlocked: Bronze avatar frame! 🎁",
    ]
    assert unlock_toasts[1] == {
        "amount": 0,
        "action": "unlock",
        "reason": "Unlocked: Bronze avatar frame! 🎁",
        "total_points": 100,
    }
    earn(user, 10)
    assert len([e for e in Event.objects.filter(user=user, type="points.awarded") if e.data["action"] == "unlock"]) == 2


def test_frame_and_unlocks_survive_converting_points():
    user = UserFactory()
    earn(user, 260)
    credits_convert_points(user=user, points=200)
    user.refresh_from_db()
    assert (user.total_points, user.avatar_frame) == (60, "silver")
    body = client_for(user).get("/api/v1/me/").data
    assert body["unlocks"]["avatar_frame"] == "silver"
    assert body["unlocks"]["lifetime_points"] == 260
    assert "top_helpers_featured" in body["unlocks"]["social"]
    assert body["unlocks"]["next"] == {
        "key": "offer_analytics",
        "kind": "feature",
        "label": "Analytics on your offers",
        "threshold": 300,
    }


def test_gifted_points_do_not_count_towards_unlocks():
    from collective.services.rewards import gift_send

    rich, lucky = UserFactory(), UserFactory()
    earn(rich, 200)
    gift_send(sender=rich, to=lucky.pk, points=150)
    assert User.objects.get(pk=lucky.pk).total_points == 150
    assert unlocks_for(0) == client_for(lucky).get("/api/v1/me/").data["unlocks"]


def test_me_shows_unlocks_and_reputation_for_a_new_user():
    body = client_for(UserFactory()).get("/api/v1/me/").data
    assert body["unlocks"]["avatar_frame"] == "none" and body["unlocks"]["features"] == []
    assert body["reputation"]["tier"] == "new" and body["reputation"]["score"] == 0
