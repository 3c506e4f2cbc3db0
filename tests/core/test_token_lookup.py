"""core/authentication.py: the token and its user from one prebuilt statement, converted as the
ORM would convert them, with DRF's answers for an unknown key and an inactive user."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework import exceptions
from rest_framework.authtoken.models import Token

from core.authentication import TokenAuthentication
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_user_and_token_are_those_the_orm_loads():
    user = UserFactory(first_name="Maya", is_staff=True)
    token = Token.objects.create(user=user)
    with CaptureQueriesContext(connection) as q:
        got_user, got_token = TokenAuthentication().authenticate_credentials(token.key)
    assert len(q.captured_queries) == 1
    orm = Token.objects.select_related("user").get(key=token.key)
    for f in type(user)._meta.concrete_fields:
        assert getattr(got_user, f.attname) == getattr(orm.user, f.attname), f.name
        assert type(getattr(got_user, f.attname)) is type(getattr(orm.user, f.attname)), f.name
    assert (got_token.key, got_token.user_id, got_token.created) == (orm.key, orm.user_id, orm.created)
    assert got_token.user is got_user and not got_user._state.adding
    # The loaded user saves like any other (an update of the existing row, not an insert).
    got_user.first_name = "M."
    got_user.save(update_fields=["first_name"])
    user.refresh_from_db()
    assert user.first_name == "M."


def test_unknown_and_malformed_keys_and_inactive_users_are_refused():
    user = UserFactory(is_active=False)
    token = Token.objects.create(user=user)
    auth = TokenAuthentication()
    with pytest.raises(exceptions.AuthenticationFailed, match="User inactive or deleted."):
        auth.authenticate_credentials(token.key)
    with pytest.raises(exceptions.AuthenticationFailed, match="Invalid token."):
        auth.authenticate_credentials("0" * 40)
    with CaptureQueriesContext(connection) as q, pytest.raises(exceptions.AuthenticationFailed, match="Invalid token."):
        auth.authenticate_credentials("not hex\x00" * 5)
    assert q.captured_queries == []


def test_a_token_request_sees_its_user(api_client):
    user = UserFactory()
    token = Token.objects.create(user=user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    r = api_client.get("/api/v1/me/")
    assert r.status_code == 200 and r.json()["id"] == user.pk
