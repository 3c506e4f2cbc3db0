"""Follows: create/delete rules, counters, lists, blocks, and the `follow.created` event."""

from __future__ import annotations

import pytest
from django.db import transaction

from collective.models import Block, Follow, User
from collective.services.follows import follow_create
from realtime.models import Event
from tests.conftest import client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/follows/"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _counts(user: User) -> tuple[int, int]:
    user.refresh_from_db(fields=["followers_count", "following_count"])
    return user.followers_count, user.following_count


def test_follow_then_unfollow_keeps_counters_exact():
    a, b = UserFactory(), UserFactory()
    resp = client_for(a).post(URL, {"following": b.pk})
    assert resp.status_code == 201, resp.data
    assert resp.data["following"]["id"] == b.pk and resp.data["follower"]["id"] == a.pk
    assert _counts(a) == (0, 1) and _counts(b) == (1, 0)
    assert client_for(a).delete(f"{URL}{b.pk}/").status_code == 204
    assert _counts(a) == (0, 0) and _counts(b) == (0, 0)
    assert not Follow.objects.exists()


def test_unfollow_when_not_following_is_404_and_counters_untouched():
    a, b, c = UserFactory(), UserFactory(), UserFactory()
    follow_create(follower=c, following=b)
    resp = client_for(a).delete(f"{URL}{b.pk}/")
    assert resp.status_code == 404 and resp.data["code"] == "not_following"
    assert _counts(b) == (1, 0) and _counts(a) == (0, 0)
    assert client_for(a).delete(f"{URL}{10**25}/").status_code == 404


def test_self_follow_is_400():
    a = UserFactory()
    resp = client_for(a).post(URL, {"following": a.pk})
    assert resp.status_code == 400 and resp.data["code"] == "self_follow" and "following" in resp.data["fields"]
    assert _counts(a) == (0, 0)


def test_duplicate_follow_is_400():
    a, b = UserFactory(), UserFactory()
    assert client_for(a).post(URL, {"following": b.pk}).status_code == 201
    resp = client_for(a).post(URL, {"following": b.pk})
    assert resp.status_code == 400 and resp.data["code"] == "already_following"
    assert _counts(b) == (1, 0) and _counts(a) == (0, 1)


@pytest.mark.parametrize("value", [987654321, "x", None, -5, 10**30])
def test_unknown_or_bad_user_is_400_naming_following(value):
    resp = client_for(UserFactory()).post(URL, {"following": value}, format="json")
    assert resp.status_code == 400 and "following" in resp.data["fields"]


def test_inactive_user_is_unknown():
    gone = UserFactory(is_active=False)
    resp = client_for(UserFactory()).post(URL, {"following": gone.pk})
    assert resp.status_code == 400 and resp.data["code"] == "user_not_found"


def test_agents_can_be_followed():
    agent = UserFactory(role="agent")
    assert client_for(UserFactory()).post(URL, {"following": agent.pk}).status_code == 201
    assert _counts(agent) == (1, 0)


def test_anonymous_cannot_follow():
    from rest_framework.test import APIClient

    assert APIClient().post(URL, {"following": UserFactory().pk}).status_code == 401


def test_blocked_user_cannot_follow_blocker_and_is_not_told_why():
    blocker, blocked = UserFactory(), UserFactory()
    Block.objects.create(blocker=blocker, blocked=blocked)
    resp = client_for(blocked).post(URL, {"following": blocker.pk})
    unknown = client_for(blocked).post(URL, {"following": 987654321})
    assert resp.status_code == unknown.status_code == 400
    assert resp.data == unknown.data
    assert _counts(blocker) == (0, 0)
    resp = client_for(blocker).post(URL, {"following": blocked.pk})
    assert resp.status_code == 400 and resp.data["code"] == "user_blocked"


def test_follow_created_event_goes_to_the_followed_user_only():
    a, b = UserFactory(), UserFactory()
    client_for(a).post(URL, {"following": b.pk})
    events = list(Event.objects.filter(type="follow.created"))
    assert [e.user_id for e in events] == [b.pk]
    assert events[0].data["follower"]["id"] == a.pk
    assert events[0].data["follower"]["username"] == a.username
    # Besides the follow, only the followed user's "get followed" points toast (docs/economy.md)
    # and their "new follower" notification (docs/notifications.md).
    assert sorted(Event.objects.values_list("user_id", "type")) == [
        (b.pk, "follow.created"),
        (b.pk, "notification.created"),
        (b.pk, "points.awarded"),
    ]
    # Unfollow and failed follows say nothing.
    client_for(a).delete(f"{URL}{b.pk}/")
    client_for(a).post(URL, {"following": a.pk})
    assert Event.objects.count() == 3


def test_rolled_back_follow_leaves_nothing():
    a, b = UserFactory(), UserFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        follow_create(follower=a, following=b)
        raise RuntimeError("abort")
    assert not Event.objects.exists() and not Follow.objects.exists()
    assert _counts(b) == (0, 0)


def test_follower_and_following_lists_newest_first_paginated():
    star = UserFactory(username="star")
    fans = [UserFactory() for _ in range(3)]
    for fan in fans:
        follow_create(follower=fan, following=star)
    idol = UserFactory()
    follow_create(follower=star, following=idol)
    client = client_for(UserFactory())
    resp = client.get("/api/v1/people/star/followers/")
    assert resp.status_code == 200
    assert [item["user"]["id"] for item in resp.data["results"]] == [f.pk for f in reversed(fans)]
    assert resp.data["count"] == 3
    assert client.get("/api/v1/people/star/followers/", {"page_size": 2}).data["next"]
    resp = client.get("/api/v1/people/star/following/")
    assert [item["user"]["id"] for item in resp.data["results"]] == [idol.pk]
    assert client.get("/api/v1/people/nobody-here/followers/").status_code == 404
    assert client.get("/api/v1/people/nobody-here/following/").status_code == 404
