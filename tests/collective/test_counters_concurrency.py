"""Counters and uniqueness under parallel requests, on PostgreSQL with real threads (each thread
has its own database connection, as parallel requests on a server would)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection as db_connection
from django.utils import timezone

from collective.models import Connection, Follow, Offer, User
from collective.services.connections import connection_create
from collective.services.follows import follow_create
from realtime.models import Event
from tests.conftest import client_for
from tests.factories import AskFactory, OfferFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _parallel(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls at the same moment, one thread each; returns their results (or exceptions)."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = call()
        except Exception as exc:  # reported to the test, which asserts on it
            results[i] = exc
        finally:
            db_connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a request hung (deadlock?)"
    return results


def test_parallel_completion_counts_helped_once():
    c = connection_create(initiator=UserFactory(), offer=OfferFactory(), initial_message="x")
    Connection.objects.filter(pk=c.pk).update(status="in_progress")
    Event.objects.all().delete()
    clients = [client_for(c.initiator), client_for(c.responder)] * 3
    url = f"/api/v1/connections/{c.pk}/"
    results = _parallel([lambda cl=cl: cl.patch(url, {"status": "completed"}) for cl in clients])
    assert [r.status_code for r in results] == [200] * 6
    assert User.objects.get(pk=c.responder_id).helped_count == 1
    assert User.objects.get(pk=c.initiator_id).helped_count == 0
    # One real change: one event per participant, not one per request.
    assert Counter(Event.objects.filter(type="connection.updated").values_list("user_id", flat=True)) == {
        c.initiator_id: 1,
        c.responder_id: 1,
    }
    assert Connection.objects.get(pk=c.pk).completed_at <= timezone.now()


def test_parallel_completion_of_an_ask_response_helps_the_initiator_once():
    # The helper of an ask_response is its initiator (the responder asked); points follow it.
    helper, asker = UserFactory(), UserFactory()
    c = connection_create(initiator=helper, ask=AskFactory(user=asker), initial_message="x")
    Connection.objects.filter(pk=c.pk).update(status="in_progress")
    clients = [client_for(helper), client_for(asker)] * 3
    url = f"/api/v1/connections/{c.pk}/"
    results = _parallel([lambda cl=cl: cl.patch(url, {"status": "completed"}) for cl in clients])
    assert [r.status_code for r in results] == [200] * 6
    assert User.objects.get(pk=helper.pk).helped_count == 1
    assert User.objects.get(pk=asker.pk).helped_count == 0
    assert User.objects.get(pk=helper.pk).total_points == 15 + 25
    assert User.objects.get(pk=asker.pk).total_points == 5 + 5


def test_parallel_follows_and_unfollows_keep_counts_exact():
    star = UserFactory()
    fans = [UserFactory() for _ in range(8)]
    clients = [client_for(f) for f in fans]
    results = _parallel([lambda cl=cl: cl.post("/api/v1/follows/", {"following": star.pk}) for cl in clients])
    assert [r.status_code for r in results] == [201] * 8
    star.refresh_from_db()
    assert star.followers_count == 8 == Follow.objects.filter(following=star).count()
    assert all(User.objects.get(pk=f.pk).following_count == 1 for f in fans)
    assert Event.objects.filter(type="follow.created", user=star).count() == 8

    half = clients[:4]
    results = _parallel([lambda cl=cl: cl.delete(f"/api/v1/follows/{star.pk}/") for cl in half * 2])
    assert sorted(r.status_code for r in results) == [204] * 4 + [404] * 4
    star.refresh_from_db()
    assert star.followers_count == 4 == Follow.objects.filter(following=star).count()
    assert sum(User.objects.get(pk=f.pk).following_count for f in fans) == 4


def test_parallel_duplicate_follow_counts_once():
    fan, star = UserFactory(), UserFactory()
    results = _parallel([lambda: follow_create(follower=fan, following=star.pk) for _ in range(5)])
    assert sum(isinstance(r, Follow) for r in results) == 1
    assert all(getattr(r, "code", None) == "already_following" for r in results if not isinstance(r, Follow))
    star.refresh_from_db()
    fan.refresh_from_db()
    assert (star.followers_count, fan.following_count) == (1, 1)


def test_mutual_follows_at_once_do_not_deadlock():
    pairs = [(UserFactory(), UserFactory()) for _ in range(4)]
    calls = []
    for a, b in pairs:
        calls.append(lambda a=a, b=b: follow_create(follower=a, following=b.pk))
        calls.append(lambda a=a, b=b: follow_create(follower=b, following=a.pk))
    results = _parallel(calls)
    assert all(isinstance(r, Follow) for r in results), results
    for a, b in pairs:
        a.refresh_from_db()
        b.refresh_from_db()
        assert (a.followers_count, a.following_count, b.followers_count, b.following_count) == (1, 1, 1, 1)


def test_parallel_create_of_the_same_connection_yields_one():
    initiator, offer = UserFactory(), OfferFactory()
    client = client_for(initiator)
    payload = {"offer": offer.pk, "initial_message": "hello"}
    results = _parallel([lambda: client.post("/api/v1/connections/", payload) for _ in range(5)])
    codes = sorted(r.status_code for r in results)
    assert codes == [201, 409, 409, 409, 409], [getattr(r, "data", r) for r in results]
    assert all(r.data["code"] == "duplicate_connection" for r in results if r.status_code == 409)
    assert Connection.objects.count() == 1
    assert Offer.objects.get(pk=offer.pk).connection_count == 1
    assert Event.objects.filter(type="connection.created").count() == 2


def test_parallel_reconnects_count_each_person_once():
    # Five people who connected before (and cancelled) reconnect while five newcomers connect,
    # all at once: the counter grows by the newcomers only, one each (it counts people).
    offer = OfferFactory()
    returning = [UserFactory() for _ in range(5)]
    for user in returning:
        c = connection_create(initiator=user, offer=offer, initial_message="x")
        Connection.objects.filter(pk=c.pk).update(status="cancelled")
    newcomers = [UserFactory() for _ in range(5)]
    assert Offer.objects.get(pk=offer.pk).connection_count == 5
    payload = {"offer": offer.pk, "initial_message": "hello"}
    clients = [client_for(u) for u in returning + newcomers]
    results = _parallel([lambda cl=cl: cl.post("/api/v1/connections/", payload) for cl in clients])
    assert [r.status_code for r in results] == [201] * 10, [getattr(r, "data", r) for r in results]
    assert Offer.objects.get(pk=offer.pk).connection_count == 10


def test_parallel_reconnects_of_one_person_count_and_notify_once():
    offer = OfferFactory()
    initiator = UserFactory()
    c = connection_create(initiator=initiator, offer=offer, initial_message="x")
    Connection.objects.filter(pk=c.pk).update(status="cancelled")
    client = client_for(initiator)
    payload = {"offer": offer.pk, "initial_message": "again"}
    results = _parallel([lambda: client.post("/api/v1/connections/", payload) for _ in range(5)])
    assert sorted(r.status_code for r in results) == [201, 409, 409, 409, 409]
    assert Offer.objects.get(pk=offer.pk).connection_count == 1
    from notifications.models import Notification

    notes = list(Notification.objects.filter(recipient=offer.user).values_list("kind", "repeat_count", "read_at"))
    assert notes == [("connection_request", 2, None)]
