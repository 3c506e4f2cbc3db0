"""Listing and reading connections: scoped to the caller, filters, pagination, constant queries."""

from __future__ import annotations

import pytest
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext

from collective.models import Connection
from collective.services.connections import connection_create
from tests.conftest import client_for
from tests.factories import AskFactory, OfferFactory, UserFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/connections/"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world():
    me, friend, stranger = UserFactory(), UserFactory(), UserFactory()
    sent_offer = connection_create(initiator=me, offer=OfferFactory(user=friend), initial_message="a")
    sent_direct = connection_create(initiator=me, responder=stranger.pk, initial_message="b")
    received = connection_create(initiator=friend, ask=AskFactory(user=me), initial_message="c")
    others = connection_create(initiator=friend, responder=stranger.pk, initial_message="d")
    Connection.objects.filter(pk=sent_direct.pk).update(status="declined")
    return {"me": me, "sent_offer": sent_offer, "sent_direct": sent_direct, "received": received, "others": others}


def _ids(resp) -> list[int]:
    assert resp.status_code == 200, resp.data
    return [c["id"] for c in resp.data["results"]]


def test_list_is_mine_only_newest_first(world):
    ids = _ids(client_for(world["me"]).get(URL))
    assert ids == [world["received"].pk, world["sent_direct"].pk, world["sent_offer"].pk]
    assert world["others"].pk not in ids


def test_filters(world):
    client = client_for(world["me"])
    assert _ids(client.get(URL, {"role": "initiator"})) == [world["sent_direct"].pk, world["sent_offer"].pk]
    assert _ids(client.get(URL, {"role": "responder"})) == [world["received"].pk]
    assert _ids(client.get(URL, {"status": "declined"})) == [world["sent_direct"].pk]
    assert _ids(client.get(URL, {"connection_type": "offer_inquiry"})) == [world["sent_offer"].pk]
    assert _ids(client.get(URL, {"status": "initiated", "role": "initiator"})) == [world["sent_offer"].pk]


@pytest.mark.parametrize("params", [{"role": "boss"}, {"status": "done"}, {"connection_type": "x"}])
def test_bad_filters_are_400_naming_the_field(world, params):
    resp = client_for(world["me"]).get(URL, params)
    assert resp.status_code == 400 and set(params) <= set(resp.data["fields"])


def test_paginated(world):
    resp = client_for(world["me"]).get(URL, {"page_size": 2})
    assert resp.status_code == 200
    assert resp.data["count"] == 3 and len(resp.data["results"]) == 2 and resp.data["next"]


def test_detail_for_participants_only(world):
    c = world["received"]
    for user in (c.initiator, c.responder):
        resp = client_for(user).get(f"{URL}{c.pk}/")
        assert resp.status_code == 200 and resp.data["id"] == c.pk
        assert resp.data["dm_thread"] == c.dm_thread_id
        assert resp.data["ask"]["id"] == c.ask_id
        assert resp.data["responder"]["username"] == c.responder.username
    assert client_for(UserFactory()).get(f"{URL}{c.pk}/").status_code == 404
    assert client_for(world["me"]).get(f"{URL}{world['others'].pk}/").status_code == 404
    assert client_for(world["me"]).get(f"{URL}99999999/").status_code == 404
    assert client_for(world["me"]).get(f"{URL}{10**30}/").status_code == 404
    assert client_for(world["me"]).patch(f"{URL}{10**30}/", {"status": "accepted"}).status_code == 404


def _list_queries(user) -> int:
    client = client_for(user)
    client.get(URL)  # warm the token lookup path once
    with CaptureQueriesContext(db_connection) as ctx:
        assert client.get(URL).status_code == 200
    return len(ctx.captured_queries)


def test_list_costs_constant_queries():
    me = UserFactory()
    connection_create(initiator=me, offer=OfferFactory(), initial_message="x")
    few = _list_queries(me)
    for _ in range(6):
        connection_create(initiator=me, offer=OfferFactory(), initial_message="x")
        connection_create(initiator=UserFactory(), ask=AskFactory(user=me), initial_message="y")
    assert _list_queries(me) == few
