"""`manage.py load_demo_data` (`make demo`): a living community, through the services, once."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from rest_framework.test import APIClient

from collective.models import Ask, Connection, Follow, Offer, User
from collective.models.connections import ConnectionStatus
from messaging.models import Message
from onboarding.management.commands.load_demo_data import CONNECTIONS, DEMO_PASSWORD, MEMBERS, ONBOARDED
from onboarding.models import OnboardingSession
from realtime.models import Event
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NAMES = [m[0] for m in MEMBERS]


def _load(*args: str) -> str:
    out = StringIO()
    call_command("load_demo_data", *args, stdout=out)
    return out.getvalue()


def _load_here() -> str:
    """The command as `make demo` runs it: on SQLite no flag; on the PostgreSQL topology `--force`
    (the refusal itself is the last test's)."""
    return _load() if connection.vendor == "sqlite" else _load("--force")


def _counts() -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "offers": Offer.objects.count(),
        "asks": Ask.objects.count(),
        "connections": Connection.objects.count(),
        "messages": Message.objects.count(),
        "follows": Follow.objects.count(),
        "events": Event.objects.count(),
    }


def test_a_fresh_database_gets_a_living_community_once():
    out = _load_here()
    assert "Loaded the demo community" in out and DEMO_PASSWORD in out and "maya" in out
    members = User.objects.filter(username__in=NAMES)
    assert members.count() == len(NAMES) == 10
    assert all(u.bio and u.tagline for u in members)

    # Connections in every state of the state machine, each with its thread and messages.
    connections = Connection.objects.filter(initiator__in=members)
    assert set(connections.values_list("status", flat=True)) == set(ConnectionStatus.values)
    assert connections.count() == len(CONNECTIONS)
    for conn in connections:
        assert conn.dm_thread_id is not None
        assert Message.objects.filter(thread_id=conn.dm_thread_id).exists()
    talked = [c for c in CONNECTIONS if c["messages"]]
    assert Message.objects.filter(sender__in=members).count() >= len(talked) + len(CONNECTIONS)

    # Counters and points as the services keep them.
    assert set(Offer.objects.filter(user__in=members).values_list("offer_type", flat=True)) >= {
        "service",
        "template",
        "mentorship",
        "course",
        "app",
    }
    inquired = Offer.objects.get(title__startswith="LLM evaluation spreadsheet")
    assert inquired.connection_count == 1
    assert Ask.objects.get(title__startswith="Beta testers for contract review").response_count == 1
    assert Ask.objects.get(title__startswith="Feedback on my first").status == "fulfilled"
    completed = connections.filter(status="completed")
    assert completed.count() == 2 and all(c.initiator_rating and c.responder_rating for c in completed)
    maya = members.get(username="maya")
    assert maya.total_points > 0 and maya.followers_count == 3
    assert Follow.objects.filter(follower__in=members).count() == 10

    # Ava's onboarding: completed by some, started by one; events logged for the sockets.
    sessions = dict(OnboardingSession.objects.values_list("user__username", "status"))
    assert {name for name, status in sessions.items() if status == "completed"} == set(ONBOARDED)
    assert sessions["jun"] == "in_progress"
    assert Event.objects.filter(user=maya, type="connection.created").exists()

    # A second run changes nothing.
    before = _counts()
    assert "already loaded" in _load_here()
    assert _counts() == before


def test_a_demo_member_logs_in_and_sees_the_community():
    _load_here()
    client = APIClient()
    response = client.post("/api/v1/auth/token/", {"username": "maya", "password": DEMO_PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    connections = client.get("/api/v1/connections/").json()
    rows = connections["results"] if isinstance(connections, dict) else connections
    assert {row["status"] for row in rows} >= {"initiated", "completed"}
    threads = client.get("/api/v1/threads/").json()
    assert threads["results"] if isinstance(threads, dict) else threads
    assert client.get("/api/v1/offers/").json()["count"] >= 8


def test_refuses_a_database_some_of_whose_demo_names_are_taken():
    UserFactory(username="maya")
    with pytest.raises(CommandError, match="not filled by load_demo_data"):
        _load_here()
    assert User.objects.count() == 1


@pytest.mark.postgres
def test_refuses_postgresql_with_debug_off_unless_forced(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="Refusing to load demo data into a postgresql database"):
        _load()
    assert not User.objects.filter(username__in=NAMES).exists()
    assert "Loaded the demo community" in _load("--force")
    assert User.objects.filter(username__in=NAMES).count() == len(NAMES)
