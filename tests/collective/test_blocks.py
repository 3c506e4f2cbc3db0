"""Blocks: API rules, the follow it removes, and the selectors messaging relies on."""

from __future__ import annotations

import pytest

from collective.models import Block, Follow
from collective.selectors.blocks import blocked_between, is_blocked
from collective.services.follows import follow_create
from tests.conftest import client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/blocks/"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_block_list_unblock():
    me, a, b = UserFactory(), UserFactory(), UserFactory()
    client = client_for(me)
    assert client.post(URL, {"user": a.pk}).status_code == 201
    resp = client.post(URL, {"user": b.pk})
    assert resp.status_code == 201 and resp.data["user"]["id"] == b.pk
    resp = client.get(URL)
    assert [item["user"]["id"] for item in resp.data["results"]] == [b.pk, a.pk]
    assert client_for(a).get(URL).data["results"] == []  # only one's own blocks
    assert client.delete(f"{URL}{a.pk}/").status_code == 204
    assert [item["user"]["id"] for item in client.get(URL).data["results"]] == [b.pk]
    resp = client.delete(f"{URL}{a.pk}/")
    assert resp.status_code == 404 and resp.data["code"] == "not_blocked"
    assert client.delete(f"{URL}{10**30}/").status_code == 404
    assert client.post(URL, {"user": 10**30}, format="json").status_code == 400


def test_block_errors():
    me = UserFactory()
    client = client_for(me)
    resp = client.post(URL, {"user": me.pk})
    assert resp.status_code == 400 and resp.data["code"] == "self_block"
    resp = client.post(URL, {"user": 987654321})
    assert resp.status_code == 400 and "user" in resp.data["fields"]
    other = UserFactory()
    client.post(URL, {"user": other.pk})
    resp = client.post(URL, {"user": other.pk})
    assert resp.status_code == 400 and resp.data["code"] == "already_blocked"
    assert Block.objects.count() == 1


def test_blocking_removes_the_blocked_users_follow_of_the_blocker():
    me, fan = UserFactory(), UserFactory()
    follow_create(follower=fan, following=me)
    follow_create(follower=me, following=fan)
    assert client_for(me).post(URL, {"user": fan.pk}).status_code == 201
    assert not Follow.objects.filter(follower=fan, following=me).exists()
    # The blocker's own follow stays: it is theirs to keep or drop.
    assert Follow.objects.filter(follower=me, following=fan).exists()
    me.refresh_from_db()
    fan.refresh_from_db()
    assert (me.followers_count, me.following_count) == (0, 1)
    assert (fan.followers_count, fan.following_count) == (1, 0)


def test_selectors():
    a, b, c = UserFactory(), UserFactory(), UserFactory()
    Block.objects.create(blocker=a, blocked=b)
    assert is_blocked(blocker_id=a.pk, blocked_id=b.pk)
    assert not is_blocked(blocker_id=b.pk, blocked_id=a.pk)
    assert blocked_between(a.pk, b.pk) and blocked_between(b.pk, a.pk)
    assert not blocked_between(a.pk, c.pk)


def test_anonymous_cannot_block():
    from rest_framework.test import APIClient

    assert APIClient().get(URL).status_code == 401
    assert APIClient().post(URL, {"user": UserFactory().pk}).status_code == 401
