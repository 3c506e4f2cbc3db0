"""Home dashboard GET /api/v1/home/ (seed 001 §4)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from collective.models import Connection
from tests.conftest import client_for
from tests.factories import AskFactory, OfferFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/home/"


def connect(initiator, responder, *, offer=None, ask=None, status="initiated", minutes_ago=0) -> Connection:
    kind = "offer_inquiry" if offer else "ask_response" if ask else "direct"
    c = Connection.objects.create(
        initiator=initiator,
        responder=responder,
        offer=offer,
        ask=ask,
        connection_type=kind,
        initial_message="hi",
        status=status,
        completed_at=timezone.now() if status == "completed" else None,
    )
    Connection.objects.filter(pk=c.pk).update(created_at=timezone.now() - timedelta(minutes=minutes_ago))
    return c


def test_requires_auth(db):
    assert APIClient().get(URL).status_code == 401


def test_new_user_has_every_key_with_zeros(user):
    res = client_for(user).get(URL)
    assert res.status_code == 200
    assert res.data["offers"]["counts"] == {"draft": 0, "active": 0, "paused": 0, "archived": 0}
    assert res.data["asks"]["counts"] == {"open": 0, "in_progress": 0, "fulfilled": 0, "closed": 0, "archived": 0}
    assert res.data["offers"]["total"] == 0 and res.data["recent_connections"] == []
    assert res.data["user"]["username"] == user.username


def test_counts_by_status_only_callers(user, other_user):
    OfferFactory(user=user, status="draft")
    OfferFactory(user=user, status="active")
    OfferFactory(user=user, status="active")
    OfferFactory(user=user, status="archived", is_archived=True)
    OfferFactory(user=other_user, status="active")
    AskFactory(user=user)
    AskFactory(user=user, status="fulfilled")
    AskFactory(user=user, status="closed", is_archived=True)
    AskFactory(user=other_user)
    data = client_for(user).get(URL).data
    assert data["offers"]["counts"] == {"draft": 1, "active": 2, "paused": 0, "archived": 1}
    assert data["offers"]["total"] == 4
    assert data["asks"]["counts"] == {"open": 1, "in_progress": 0, "fulfilled": 1, "closed": 0, "archived": 1}
    assert data["asks"]["total"] == 3


def test_recent_connections_last_five_newest_first_with_other_party(user):
    people = [UserFactory() for _ in range(7)]
    offer = OfferFactory(user=user)
    made = []
    for i, p in enumerate(people):
        # alternate sides: user receives inquiries about their offer, and reaches out directly
        if i % 2 == 0:
            made.append(connect(p, user, offer=offer, minutes_ago=100 - i))
        else:
            made.append(connect(user, p, minutes_ago=100 - i))
    stranger_a, stranger_b = UserFactory(), UserFactory()
    connect(stranger_a, stranger_b, minutes_ago=0)  # not the caller's
    data = client_for(user).get(URL).data["recent_connections"]
    assert [c["id"] for c in data] == [c.pk for c in reversed(made)][:5]
    newest = data[0]  # i=6: inquiry from people[6]
    assert newest["role"] == "responder" and newest["other_party"]["id"] == people[6].pk
    assert newest["offer"]["id"] == offer.pk and newest["ask"] is None
    second = data[1]  # i=5: user initiated a direct connection
    assert second["role"] == "initiator" and second["other_party"]["id"] == people[5].pk
    assert second["connection_type"] == "direct" and second["offer"] is None


def test_query_count_constant(user):
    client = APIClient()
    client.force_authenticate(user)
    connect(UserFactory(), user, ask=AskFactory(user=user))
    with CaptureQueriesContext(connection) as small:
        client.get(URL)
    for _ in range(6):
        connect(UserFactory(), user, offer=OfferFactory(user=user))
        connect(user, UserFactory(), ask=AskFactory())
    with CaptureQueriesContext(connection) as big:
        res = client.get(URL)
    # 4, plus "matches for you" (docs/matching.md): the open asks with their tags and tools (3),
    # then per open ask its candidates (1, plus their tags and tools when there are any).
    assert len(big) == len(small) <= 4 + 3 + 3
    assert len(res.data["recent_connections"]) == 5
