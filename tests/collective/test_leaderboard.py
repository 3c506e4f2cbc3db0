"""Leaderboard (seed 001 §8.4): "Top Helpers This Week" (giving points, rolling 7 days) and all
time (lifetime earned points); paginated, constant query count."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from collective.models import PointsTransaction, User
from collective.services.points import points_award
from tests.conftest import client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/leaderboard/"


def give(user: User, n: int, *, days_ago: float = 0) -> None:
    """n giving awards (give_feedback, +10 each), dated `days_ago`."""
    for _ in range(n):
        row = points_award(user=user, action="give_feedback", obj=UserFactory())
        if days_ago:
            PointsTransaction.objects.filter(pk=row.pk).update(created_at=timezone.now() - dt.timedelta(days=days_ago))


@pytest.fixture(autouse=True)
def _no_caps(settings):
    settings.POINTS_DAILY_CAPS = {"give_feedback": None, "get_followed": None}


def test_week_counts_giving_points_of_the_last_7_days_only():
    a, b, c = UserFactory(username="a"), UserFactory(username="b"), UserFactory(username="c")
    give(a, 2)  # 20 this week
    give(b, 3, days_ago=6.9)  # 30 this week
    give(c, 9, days_ago=7.1)  # 90, but last week
    for _ in range(10):  # receiving points are not giving
        points_award(user=c, action="get_followed", obj=UserFactory())
    body = client_for(a).get(URL).data
    assert body["window"] == "week"
    assert [(r["rank"], r["user"]["username"], r["points"]) for r in body["results"]] == [(1, "b", 30), (2, "a", 20)]


def test_week_counts_help_sessions():
    from collective.services.connections import connection_create, connection_transition
    from tests.factories import OfferFactory

    helper = UserFactory()
    c = connection_create(initiator=UserFactory(), offer=OfferFactory(user=helper), initial_message="hi")
    connection_transition(connection=c, actor=helper, status="accepted")
    connection_transition(connection=c, actor=helper, status="completed")
    row = client_for(helper).get(URL).data["results"][0]
    assert (row["user"]["id"], row["points"], row["helped"]) == (helper.pk, 25, 1)


def test_all_time_uses_lifetime_points_and_ignores_conversions():
    from collective.services.credits import credits_convert_points

    a, b = UserFactory(username="a"), UserFactory(username="b")
    give(a, 15, days_ago=30)  # 150 lifetime, long ago
    give(b, 12)  # 120
    credits_convert_points(user=a, points=100)
    body = client_for(b).get(URL, {"window": "all"}).data
    assert [(r["user"]["username"], r["points"]) for r in body["results"]] == [("a", 150), ("b", 120)]
    assert body["window"] == "all"


def test_inactive_users_are_left_out():
    a = UserFactory()
    give(a, 1)
    User.objects.filter(pk=a.pk).update(is_active=False)
    for window in ("week", "all"):
        assert client_for(UserFactory()).get(URL, {"window": window}).data["results"] == []


def test_pagination_ranks_and_constant_queries():
    users = [UserFactory() for _ in range(7)]
    for i, u in enumerate(users):
        give(u, i + 1)
    client = client_for(users[0])
    first = client.get(URL, {"page_size": 3})
    second = client.get(URL, {"page_size": 3, "page": 2})
    assert first.data["count"] == 7
    assert [r["rank"] for r in second.data["results"]] == [4, 5, 6]
    assert [r["points"] for r in first.data["results"] + second.data["results"]] == [70, 60, 50, 40, 30, 20]
    for window in ("week", "all"):
        with CaptureQueriesContext(connection) as small:
            client.get(URL, {"window": window, "page_size": 2})
        with CaptureQueriesContext(connection) as large:
            client.get(URL, {"window": window, "page_size": 7})
        assert len(small) == len(large), window


def test_bad_window_is_400_and_anonymous_may_read():
    from rest_framework.test import APIClient

    resp = APIClient().get(URL, {"window": "year"})
    assert resp.status_code == 400 and "window" in resp.data["fields"]
    assert APIClient().get(URL).status_code == 200
